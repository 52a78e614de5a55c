package zkvault

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"testing"
)

// Every fuzz target is seeded from the known-answer vectors and fails if it
// found none.

func FuzzOpenField(f *testing.F) {
	var vf fieldFile
	readVectors(f, "fields.json", &vf)
	for _, v := range vf.Vectors {
		f.Add(v.Ciphertext)
	}
	if len(vf.Vectors) == 0 {
		f.Fatal("no seeds")
	}
	s := vf.space(f, "")
	ref := FieldRef{"whatsapp_messages", "msg-0001", "text"}
	f.Fuzz(func(t *testing.T, ct string) {
		p, err := parseField(ct)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("parse failure is not a *ParseError: %v", err)
			}
			return
		}
		// Strict decoding: a parsed text has exactly one spelling.
		if again := FieldPrefix + p.kid + ":" + base64.RawURLEncoding.EncodeToString(append(bytes.Clone(p.nonce), p.sealed...)); again != ct {
			t.Fatalf("non-canonical text accepted: %q", ct)
		}
		_, err = s.OpenField(bg, ref, ct)
		switch o := outcome(err); o {
		case "success", "incorrect key", "unknown key version", "parse error":
		default:
			t.Fatalf("OpenField: %s", o)
		}
	})
}

func FuzzOpenEnvelope(f *testing.F) {
	var ef envelopeFile
	readVectors(f, "envelopes.json", &ef)
	for _, v := range ef.Vectors {
		b, err := base64.RawURLEncoding.DecodeString(v.Envelope)
		if err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	if len(ef.Vectors) == 0 {
		f.Fatal("no seeds")
	}
	key := vectorKey(f, "rsa4096-1")
	pass := NewPassphraseIdentity(native, "correct horse battery staple")
	envCtx := SpaceSecretContext("vault-test", 1)
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := InspectEnvelope(b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("parse failure is not a *ParseError: %v", err)
			}
			return
		}
		if info.Kind < 1 || info.Kind > 3 {
			t.Fatalf("kind %d parsed", info.Kind)
		}
		var id Identity = key
		if info.Kind != kindRSA {
			p := info.Params
			if p.checkOpen() == nil && (p.MemoryKiB > 1024 || p.Time > 2 || p.Iterations > 10000) {
				return // valid but too slow to fuzz
			}
			id = pass
		}
		_, err = id.Unwrap(bg, envCtx, b)
		switch o := outcome(err); o {
		case "success", "incorrect key", "work factor too high":
		default:
			t.Fatalf("Unwrap: %s", o)
		}
	})
}

func FuzzDecryptBlob(f *testing.F) {
	var bf blobFile
	readVectors(f, "blobs.json", &bf)
	for _, v := range bf.Vectors {
		b, err := base64.RawURLEncoding.DecodeString(v.Blob)
		if err == nil {
			f.Add(b)
		}
	}
	if len(bf.Vectors) == 0 {
		f.Fatal("no seeds")
	}
	s := bf.space(f, "")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := s.DecryptBlob(bg, "blob-1", bytes.NewReader(b))
		if err == nil {
			_, err = io.ReadAll(r)
		}
		switch o := outcome(err); o {
		case "success", "corrupt blob", "unknown key version":
		default:
			t.Fatalf("DecryptBlob: %s", o)
		}
		if _, err := s.OpenBlobAt(bg, "blob-1", bytes.NewReader(b), int64(len(b))); err != nil {
			switch o := outcome(err); o {
			case "corrupt blob", "unknown key version":
			default:
				t.Fatalf("OpenBlobAt: %s", o)
			}
		}
	})
}

func FuzzOpenHandover(f *testing.F) {
	var kf keyringFile
	readVectors(f, "keyrings.json", &kf)
	n := 0
	for _, v := range kf.Vectors {
		if v.Handover != "" {
			f.Add(v.Handover)
			n++
		}
	}
	if n == 0 {
		f.Fatal("no seeds")
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := OpenHandover(bg, native, kf.SpaceID, text)
		switch o := outcome(err); o {
		case "success":
			// Whatever opens hands itself over again unchanged.
			if again, err := s.HandoverKey(bg); err != nil || again != text {
				t.Fatalf("opened keyring does not re-encode to its text (%v)", err)
			}
		case "incorrect key", "parse error":
		default:
			t.Fatalf("OpenHandover: %s", o)
		}
	})
}
