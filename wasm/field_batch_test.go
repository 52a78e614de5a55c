package zkvault

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
)

// TestOpenFieldsBatchMixed opens one batch of good, tampered, moved,
// unknown-version, unparsable and badly padded fields under two key
// versions, and checks that every item has the outcome and value OpenField
// gives it alone.
func TestOpenFieldsBatchMixed(t *testing.T) {
	ctx := context.Background()
	s, err := NewSpace(ctx, native, "vault-batch")
	if err != nil {
		t.Fatal(err)
	}
	const perVersion = 80
	var in []FieldCiphertext
	seal := func(v int) {
		for i := range perVersion {
			ref := FieldRef{"c", fmt.Sprintf("r-%d-%d", v, i), "f"}
			ct, err := s.SealField(ctx, ref, bytes.Repeat([]byte{byte('a' + i%26)}, 1+i*13), i%2 == 0)
			if err != nil {
				t.Fatal(err)
			}
			in = append(in, FieldCiphertext{ref, ct})
		}
	}
	seal(1)
	if _, err := s.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	seal(2)
	// Interleave the versions, so that each group is spread over the batch.
	mixed := make([]FieldCiphertext, 0, len(in))
	for i := range perVersion {
		mixed = append(mixed, in[i], in[perVersion+i])
	}
	in = mixed

	want := map[int]string{}
	// Positions 2k and 2k+1 are item k of versions 1 and 2.
	for _, k := range []int{3, 17, 45, 70} {
		for _, i := range []int{2 * k, 2*k + 1} {
			in[i].Ciphertext = flipBody(t, in[i].Ciphertext, 20+k) // tampered
			want[i] = "incorrect key"
		}
	}
	for _, k := range []int{5, 60} {
		for _, i := range []int{2 * k, 2*k + 1} {
			in[i].Ref.RecordID += "-moved" // another place: wrong associated data
			want[i] = "incorrect key"
		}
	}
	for _, k := range []int{8, 50} {
		i := 2 * k
		in[i].Ciphertext = strings.Replace(in[i].Ciphertext, "enc:v2:1:", "enc:v2:9:", 1)
		want[i] = "unknown key version"
		in[i+1].Ciphertext = strings.Replace(in[i+1].Ciphertext, "enc:v2:2:", "enc:v2:1:", 1)
		want[i+1] = "incorrect key" // the other version's key
	}
	for _, k := range []int{10, 55} {
		in[2*k].Ciphertext = in[2*k].Ciphertext[:12] // too short
		want[2*k] = "parse error"
		in[2*k+1].Ref.Field = "" // not a field name
		want[2*k+1] = "parse error"
	}
	for _, k := range []int{12, 66} {
		for _, v := range []uint32{1, 2} {
			i := 2*k + int(v) - 1
			in[i].Ciphertext = sealRaw(t, s, v, in[i].Ref, make([]byte, 33)) // no 0x80
			want[i] = "incorrect key"
		}
	}

	values, errs := s.OpenFields(ctx, in)
	for i, f := range in {
		v, err := s.OpenField(ctx, f.Ref, f.Ciphertext)
		got, plain := outcome(errs[i]), outcome(err)
		if got != plain || errs[i] != nil && err != nil && errs[i].Error() != err.Error() {
			t.Errorf("item %d: batch %v, alone %v", i, errs[i], err)
		}
		w, ok := want[i]
		if !ok {
			w = "success"
		}
		if got != w {
			t.Errorf("item %d: %q (%v), want %q", i, got, errs[i], w)
		}
		if !bytes.Equal(values[i], v) {
			t.Errorf("item %d: batch value %q, alone %q", i, values[i], v)
		}
	}
}

// flipBody flips one bit of the decoded body of an enc:v2 text at byte k.
func flipBody(t *testing.T, ct string, k int) string {
	t.Helper()
	i := strings.LastIndexByte(ct, ':')
	raw, err := base64.RawURLEncoding.DecodeString(ct[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	raw[k%len(raw)] ^= 0x10
	return ct[:i+1] + base64.RawURLEncoding.EncodeToString(raw)
}

// sealRaw seals inner as the inner plaintext of field ref under version v,
// without padding it: an inner plaintext without the 0x80 marker.
func sealRaw(t *testing.T, s *Space, v uint32, ref FieldRef, inner []byte) string {
	t.Helper()
	ctx := context.Background()
	sv, err := s.version(v)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.fieldAEAD(ctx, sv)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, prim.GCMNonceSize)
	sealed, err := a.Seal(ctx, nonce, inner, fieldAAD(s.id, ref, sv.kid))
	if err != nil {
		t.Fatal(err)
	}
	return FieldPrefix + sv.kid + ":" + base64.RawURLEncoding.EncodeToString(append(nonce, sealed...))
}

// TestFieldKeyInto opens fields of two versions with the standard library's
// AES-GCM under the key bytes FieldKeyInto gives (section 3.1: associated
// data, nonce, padding), as the bridge's AES-GCM module does, and checks its
// refusals: a version not in the keyring, version 0, a destination of the
// wrong size.
func TestFieldKeyInto(t *testing.T) {
	ctx := context.Background()
	s := testSpace(t, "vault-fieldkey")
	ref := FieldRef{"c", "r-1", "f"}
	var cts []string
	for v := 1; v <= 2; v++ {
		ct, err := s.SealField(ctx, ref, []byte(fmt.Sprintf("value %d", v)), true)
		if err != nil {
			t.Fatal(err)
		}
		cts = append(cts, ct)
		if v == 1 {
			if _, err := s.Rotate(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, ct := range cts {
		v := uint32(i + 1)
		key := make([]byte, 32)
		if err := s.FieldKeyInto(ctx, v, key); err != nil {
			t.Fatal(err)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			t.Fatal(err)
		}
		kid := fmt.Sprint(v)
		body, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(ct, "enc:v2:"+kid+":"))
		if err != nil {
			t.Fatal(err)
		}
		inner, err := gcm.Open(nil, body[:12], body[12:], fieldAAD(s.ID(), ref, kid))
		if err != nil {
			t.Fatalf("version %d: the key does not open its field: %v", v, err)
		}
		val, ok := unpad(inner)
		if !ok || string(val) != fmt.Sprintf("value %d", v) {
			t.Fatalf("version %d: opened %q", v, inner)
		}
	}
	if err := s.FieldKeyInto(ctx, 3, make([]byte, 32)); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Fatalf("version 3: %v, want ErrUnknownKeyVersion", err)
	}
	if err := s.FieldKeyInto(ctx, 0, make([]byte, 32)); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Fatalf("version 0: %v, want ErrUnknownKeyVersion", err)
	}
	if err := s.FieldKeyInto(ctx, 1, make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte destination was accepted")
	}
}
