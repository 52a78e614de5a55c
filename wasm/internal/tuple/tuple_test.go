package tuple

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func TestStrings(t *testing.T) {
	got := hex.EncodeToString(Strings("ab", "", "c"))
	want := "00000002" + "6162" + "00000000" + "00000001" + "63"
	if got != want {
		t.Fatalf("Strings = %s, want %s", got, want)
	}
}

func TestUnambiguous(t *testing.T) {
	a := Strings("ab", "c")
	b := Strings("a", "bc")
	if bytes.Equal(a, b) {
		t.Fatal("different tuples encode the same")
	}
	if !bytes.Equal(Append(nil, []byte("ab"), []byte("c")), a) {
		t.Fatal("Append and Strings disagree")
	}
}

func TestAppendStrings(t *testing.T) {
	prefix := []byte("x")
	got := AppendStrings(prefix, "ab", "", "c")
	if want := append([]byte("x"), Strings("ab", "", "c")...); !bytes.Equal(got, want) {
		t.Fatalf("AppendStrings = %x, want %x", got, want)
	}
}
