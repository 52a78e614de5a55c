package zkvault

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"testing"
)

func TestSealedPEMBackup(t *testing.T) {
	ctx := context.Background()
	keys := testKeyHolders(t)
	master := keys[0]
	backup, err := master.ExportSealedPEM(ctx, "master", "correct horse battery staple", fastArgon2id)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(backup, []byte("PRIVATE KEY-----\nMII")) {
		t.Fatal("sealed backup looks like a clear PKCS #8 PEM")
	}
	got, principal, err := ImportSealedPEM(ctx, native, backup, "correct horse battery staple", false)
	if err != nil {
		t.Fatal(err)
	}
	if principal != "master" || got.Fingerprint() != master.Fingerprint() || got.KeyVersion() != 1 {
		t.Fatalf("imported %s v%d for %q, want the master key v1", got.Fingerprint(), got.KeyVersion(), principal)
	}
	if _, err := got.ExportPEM(ctx); err == nil {
		t.Fatal("a key imported non-extractable exported itself")
	}

	if _, _, err := ImportSealedPEM(ctx, native, backup, "wrong passphrase", false); !errors.Is(err, ErrIncorrectKey) {
		t.Fatalf("wrong passphrase: %v, want ErrIncorrectKey", err)
	}

	edit := func(name, value string) []byte {
		block, _ := pem.Decode(backup)
		block.Headers[name] = value
		return pem.EncodeToMemory(block)
	}
	// The principal and version are bound into the envelope: editing them
	// makes the envelope fail to open, with the passphrase-failure error.
	for _, h := range []struct{ name, value string }{{"Principal", "someone-else"}, {"Key-Version", "2"}} {
		if _, _, err := ImportSealedPEM(ctx, native, edit(h.name, h.value), "correct horse battery staple", false); !errors.Is(err, ErrIncorrectKey) {
			t.Errorf("edited %s: %v, want ErrIncorrectKey", h.name, err)
		}
	}
	// The fingerprint header is checked against the opened key.
	var pe *ParseError
	if _, _, err := ImportSealedPEM(ctx, native, edit("Fingerprint", keys[1].Fingerprint().String()), "correct horse battery staple", false); !errors.As(err, &pe) {
		t.Errorf("wrong fingerprint header: %v, want a parse error", err)
	}
	for _, bad := range [][]byte{nil, []byte("not pem"), edit("Key-Version", "01"), edit("Principal", "a/b")} {
		if _, _, err := ImportSealedPEM(ctx, native, bad, "correct horse battery staple", false); err == nil {
			t.Errorf("ImportSealedPEM(%q) succeeded", bad)
		}
	}
}

func TestEmptyPassphraseRefused(t *testing.T) {
	if _, err := NewPassphraseRecipient(native, ""); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("NewPassphraseRecipient(\"\") = %v, want ErrEmptyPassphrase", err)
	}
}
