package zkvault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"testing"
)

// ---- keyrings: handover text and sealed session keyrings ----

type keyringVector struct {
	Name    string `json:"name"`
	SpaceID string `json:"space_id,omitempty"` // when not the file's
	Current uint32 `json:"current,omitempty"`  // success: the current version
	// Handover is the handover text (OpenHandover); Sealed the hex sealed
	// keyring (OpenSealedKeyring under session_key). One of the two is set.
	Handover   string `json:"handover,omitempty"`
	SessionKey string `json:"session_key,omitempty"`
	Nonce      string `json:"nonce,omitempty"` // hex: reproduce Sealed with this nonce
	Sealed     string `json:"sealed,omitempty"`
	Result     string `json:"result"`
}

type keyringFile struct {
	Description string `json:"description"`
	vectorSpace
	Vectors []keyringVector `json:"vectors"`
}

func genKeyringVectors(t *testing.T) any {
	ctx := context.Background()
	vs := testVectorSpace()
	f := keyringFile{Description: "keyrings (docs/spec/02-spaces-envelopes.md §2.7): handover text and keyrings sealed under a session key. The space holds every secret of the file; current is the version new ciphertexts use. result: success, parse error, incorrect key.", vectorSpace: vs}
	s := vs.space(t, "")
	text, err := s.HandoverKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetCurrent(1); err != nil {
		t.Fatal(err)
	}
	text1, err := s.HandoverKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sessionKey := seq(0x90, 32)
	aead, err := native.NewAEAD(ctx, sessionKey)
	if err != nil {
		t.Fatal(err)
	}
	nonce := seq(0xa0, 12)
	withRand(t, nonce)
	sealed, err := s.SealKeyring(ctx, aead)
	if err != nil {
		t.Fatal(err)
	}
	testRand = nil
	raw, _ := base64.RawURLEncoding.DecodeString(text)
	mod := func(name, result string, f func(b []byte) []byte) keyringVector {
		return keyringVector{Name: name, Handover: base64.RawURLEncoding.EncodeToString(f(bytes.Clone(raw))), Result: result}
	}
	sk := hex.EncodeToString(sessionKey)
	f.Vectors = []keyringVector{
		{Name: "handover, current 2", Current: 2, Handover: text, Result: "success"},
		{Name: "handover, current 1", Current: 1, Handover: text1, Result: "success"},
		{Name: "handover for another space", SpaceID: "vault-other", Handover: text, Result: "incorrect key"},
		mod("flipped bit in a secret", "incorrect key", func(b []byte) []byte { b[20] ^= 1; return b }),
		mod("flipped bit in the check", "incorrect key", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }),
		mod("version 2 renamed 3, current too", "incorrect key", func(b []byte) []byte { b[48], b[7] = 3, 3; return b }),
		mod("versions out of order", "parse error", func(b []byte) []byte { b[12] = 2; return b }),
		mod("current not in the keyring", "parse error", func(b []byte) []byte { b[7] = 9; return b }),
		mod("bad magic", "parse error", func(b []byte) []byte { b[3] = 1; return b }),
		mod("truncated", "parse error", func(b []byte) []byte { return b[:len(b)-1] }),
		mod("trailing byte", "parse error", func(b []byte) []byte { return append(b, 0) }),
		mod("no versions", "parse error", func(b []byte) []byte { b[8] = 0; return b[:9] }),
		{Name: "handover with padding", Handover: text + "=", Result: "parse error"},
		{Name: "sealed, current 1", Current: 1, SessionKey: sk, Nonce: hex.EncodeToString(nonce), Sealed: hex.EncodeToString(sealed), Result: "success"},
		{Name: "sealed for another space", SpaceID: "vault-other", SessionKey: sk, Sealed: hex.EncodeToString(sealed), Result: "incorrect key"},
		{Name: "sealed under another session key", SessionKey: hex.EncodeToString(seq(0x91, 32)), Sealed: hex.EncodeToString(sealed), Result: "incorrect key"},
		{Name: "sealed, truncated to the nonce", SessionKey: sk, Sealed: hex.EncodeToString(sealed[:12]), Result: "parse error"},
	}
	return f
}

func TestVectorsKeyrings(t *testing.T) {
	var f keyringFile
	writeOrRead(t, "keyrings.json", func() any { return genKeyringVectors(t) }, &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	ctx := context.Background()
	for _, p := range providers {
		for _, v := range f.Vectors {
			t.Run(p.Name()+"/"+v.Name, func(t *testing.T) {
				spaceID := v.SpaceID
				if spaceID == "" {
					spaceID = f.SpaceID
				}
				var s *Space
				var err error
				var aead interface {
					Seal(context.Context, []byte, []byte, []byte) ([]byte, error)
					Open(context.Context, []byte, []byte, []byte) ([]byte, error)
				}
				if v.Sealed != "" {
					aead, err = p.NewAEAD(ctx, mustHex(t, v.SessionKey))
					if err != nil {
						t.Fatal(err)
					}
					s, err = OpenSealedKeyring(ctx, p, spaceID, aead, mustHex(t, v.Sealed))
				} else {
					s, err = OpenHandover(ctx, p, spaceID, v.Handover)
				}
				if o := outcome(err); o != v.Result {
					t.Fatalf("got %q (%v), want %q", o, err, v.Result)
				}
				if v.Result != "success" {
					return
				}
				want := f.spaceWith(t, p, "")
				if s.CurrentVersion() != v.Current || len(s.Versions()) != len(f.Secrets) {
					t.Fatalf("versions %v current %d, want %d versions current %d", s.Versions(), s.CurrentVersion(), len(f.Secrets), v.Current)
				}
				// Same secrets: a field sealed by the file's space opens.
				ref := FieldRef{Collection: "c", RecordID: "r", Field: "f"}
				for _, ver := range want.Versions() {
					if err := want.SetCurrent(ver); err != nil {
						t.Fatal(err)
					}
					ct, err := want.SealField(ctx, ref, []byte("x"), false)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := s.OpenField(ctx, ref, ct); err != nil {
						t.Fatalf("version %d: %v", ver, err)
					}
				}
				// Reproduce the bytes.
				if v.Sealed != "" {
					withRand(t, mustHex(t, v.Nonce))
					got, err := s.SealKeyring(ctx, aead)
					if err != nil {
						t.Fatal(err)
					}
					if hex.EncodeToString(got) != v.Sealed {
						t.Fatal("SealKeyring differs from the vector")
					}
				} else if got, err := s.HandoverKey(ctx); err != nil || got != v.Handover {
					t.Fatalf("HandoverKey differs from the vector (%v)", err)
				}
			})
		}
	}
}
