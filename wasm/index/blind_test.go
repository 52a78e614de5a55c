package index

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
)

func testMAC(t testing.TB, key string) prim.MAC {
	t.Helper()
	mac, err := testProvider.NewMAC(context.Background(), []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return mac
}

// fixedMAC returns the same 32 bytes for every message.
type fixedMAC []byte

func (m fixedMAC) Sum(context.Context, []byte) ([]byte, error) { return []byte(m), nil }

func TestComputeMasking(t *testing.T) {
	ctx := context.Background()
	ones := fixedMAC(make([]byte, 32))
	for i := range ones {
		ones[i] = 0xff
	}
	for bits, want := range map[int]string{
		1: "80", 4: "f0", 7: "fe", 8: "ff", 9: "ff80", 12: "fff0", 16: "ffff", 20: "fffff0",
		255: strings.Repeat("ff", 31) + "fe", 256: strings.Repeat("ff", 32),
	} {
		got, err := Compute(ctx, ones, bits, "x")
		if err != nil || got != want {
			t.Errorf("bits=%d: Compute = %q, %v; want %q", bits, got, err, want)
		}
		if err := ValidValue(got, bits); err != nil {
			t.Errorf("ValidValue(%q, %d) = %v", got, bits, err)
		}
	}
	// bits=12: 2 bytes, the last 4 bits zero, on a real HMAC too.
	mac := testMAC(t, "index key")
	for _, v := range []string{"a", "b", "c", "+14155550100", "jose"} {
		got, err := Compute(ctx, mac, 12, v)
		if err != nil || len(got) != 4 || got[3] != '0' {
			t.Errorf("Compute(12, %q) = %q, %v", v, got, err)
		}
		full, _ := Compute(ctx, mac, 256, v)
		if got[:3] != full[:3] {
			t.Errorf("Compute(12, %q) = %q is not a prefix of %q", v, got, full)
		}
	}
}

func TestComputeCompound(t *testing.T) {
	ctx := context.Background()
	mac := testMAC(t, "index key")
	a, _ := Compute(ctx, mac, 256, "ab", "c")
	b, _ := Compute(ctx, mac, 256, "a", "bc")
	c, _ := Compute(ctx, mac, 256, "abc")
	d, _ := Compute(ctx, mac, 256, "abc", "")
	if a == b || a == c || b == c || c == d {
		t.Errorf("compound inputs collide: %s %s %s %s", a, b, c, d)
	}
	other, _ := Compute(ctx, testMAC(t, "another key"), 256, "abc")
	if other == c {
		t.Error("different keys give the same index value")
	}
}

func TestComputeErrors(t *testing.T) {
	ctx := context.Background()
	mac := testMAC(t, "k")
	for _, c := range []struct {
		bits  int
		mac   prim.MAC
		parts []string
		want  error
	}{
		{0, mac, []string{"x"}, ErrInvalidBits},
		{-8, mac, []string{"x"}, ErrInvalidBits},
		{257, mac, []string{"x"}, ErrInvalidBits},
		{8, nil, []string{"x"}, ErrNilMAC},
		{8, mac, nil, ErrNoParts},
		{8, mac, []string{""}, ErrEmptyValue},
		{8, mac, []string{"", ""}, ErrEmptyValue},
		{8, mac, []string{"\xff"}, ErrInvalidUTF8},
		{8, mac, make([]string, MaxParts+1), ErrTooManyParts},
		{8, fixedMAC([]byte{1, 2, 3}), []string{"x"}, nil},
	} {
		_, err := Compute(ctx, c.mac, c.bits, c.parts...)
		if c.want == nil {
			if err == nil {
				t.Errorf("Compute(%d, %q) with a short MAC: no error", c.bits, c.parts)
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("Compute(%d, %q) = %v, want %v", c.bits, c.parts, err, c.want)
		}
	}
}

func TestComputeAll(t *testing.T) {
	ctx := context.Background()
	mac := testMAC(t, "k")
	got, err := ComputeAll(ctx, mac, 1, []string{"a", "b", "c", "d", "e", "a"})
	if err != nil {
		t.Fatal(err)
	}
	// One bit: at most the two values "00" and "80", sorted, distinct.
	if len(got) == 0 || len(got) > 2 || (len(got) == 2 && (got[0] != "00" || got[1] != "80")) {
		t.Errorf("ComputeAll = %q", got)
	}
	if _, err := ComputeAll(ctx, mac, 8, []string{"a", ""}); !errors.Is(err, ErrEmptyValue) {
		t.Errorf("ComputeAll with an empty value: %v", err)
	}
}

func TestValidValue(t *testing.T) {
	for _, c := range []struct {
		v    string
		bits int
		ok   bool
	}{
		{"8220", 12, true}, {"822b", 12, false}, {"822B", 16, false}, {"82", 12, false},
		{"822", 12, false}, {"zz", 8, false}, {"80", 1, true}, {"c0", 1, false}, {"", 8, false}, {"00", 0, false},
	} {
		if err := ValidValue(c.v, c.bits); (err == nil) != c.ok {
			t.Errorf("ValidValue(%q, %d) = %v", c.v, c.bits, err)
		}
	}
}

func TestEqual(t *testing.T) {
	if !Equal("8220", "8220") || Equal("8220", "8221") || Equal("82", "8220") || !Equal("", "") {
		t.Error("Equal is wrong")
	}
}

func TestValidBits(t *testing.T) {
	for b := -1; b <= 257; b++ {
		if err := ValidBits(b); (err == nil) != (b >= 1 && b <= 256) {
			t.Errorf("ValidBits(%d) = %v", b, err)
		}
	}
	if ValidBits(DefaultBits) != nil {
		t.Error("DefaultBits is invalid")
	}
}
