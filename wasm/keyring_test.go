package zkvault

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"testing"
)

func TestKeyringHandover(t *testing.T) {
	ctx := context.Background()
	s, err := NewSpace(ctx, native, "vault-1")
	if err != nil {
		t.Fatal(err)
	}
	ref := FieldRef{Collection: "notes", RecordID: "r1", Field: "text"}
	old, err := s.SealField(ctx, ref, []byte("before rotation"), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCurrent(1); err != nil { // current need not be the highest
		t.Fatal(err)
	}
	text, err := s.HandoverKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenHandover(ctx, native, "vault-1", text)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Versions(); len(v) != 2 || got.CurrentVersion() != 1 {
		t.Fatalf("handed over versions %v current %d, want [1 2] current 1", v, got.CurrentVersion())
	}
	if pt, err := got.OpenField(ctx, ref, old); err != nil || string(pt) != "before rotation" {
		t.Fatalf("OpenField after handover = %q, %v", pt, err)
	}

	// Another space's id, or a damaged text, is refused at once.
	if _, err := OpenHandover(ctx, native, "vault-2", text); !errors.Is(err, ErrIncorrectKey) {
		t.Errorf("other space: %v, want ErrIncorrectKey", err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(text)
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x01
		_, err := OpenHandover(ctx, native, "vault-1", base64.RawURLEncoding.EncodeToString(bad))
		var pe *ParseError
		if !errors.Is(err, ErrIncorrectKey) && !errors.As(err, &pe) {
			t.Fatalf("bit flipped at byte %d: %v, want ErrIncorrectKey or a parse error", i, err)
		}
	}
	for _, bad := range []string{"", "not base64!", base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]), text + "A"} {
		if _, err := OpenHandover(ctx, native, "vault-1", bad); err == nil {
			t.Errorf("OpenHandover(%q) succeeded", bad)
		}
	}
}

func TestSealedKeyring(t *testing.T) {
	ctx := context.Background()
	s, err := NewSpace(ctx, native, "vault-1")
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	key[0] = 7
	session, err := native.NewAEAD(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.SealKeyring(ctx, session)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenSealedKeyring(ctx, native, "vault-1", session, sealed)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentVersion() != 1 {
		t.Fatalf("current version %d", got.CurrentVersion())
	}
	// The sealed keyring is bound to its space, its session key and every bit.
	if _, err := OpenSealedKeyring(ctx, native, "vault-2", session, sealed); !errors.Is(err, ErrIncorrectKey) {
		t.Errorf("other space: %v", err)
	}
	key[0] = 8
	other, _ := native.NewAEAD(ctx, key)
	if _, err := OpenSealedKeyring(ctx, native, "vault-1", other, sealed); !errors.Is(err, ErrIncorrectKey) {
		t.Errorf("other session key: %v", err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	if _, err := OpenSealedKeyring(ctx, native, "vault-1", session, flipped); !errors.Is(err, ErrIncorrectKey) {
		t.Errorf("flipped bit: %v", err)
	}
	var pe *ParseError
	if _, err := OpenSealedKeyring(ctx, native, "vault-1", session, sealed[:20]); !errors.As(err, &pe) {
		t.Errorf("truncated: %v, want a parse error", err)
	}

	// A forgotten (locked) space has nothing to hand over.
	s.Forget()
	if _, err := s.HandoverKey(ctx); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Errorf("HandoverKey of a locked space: %v", err)
	}
}
