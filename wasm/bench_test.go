package zkvault

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha256"
	"io"
	"testing"
)

func BenchmarkFieldSeal1KiB(b *testing.B) {
	s := testSpace(b, "vault-1")
	ref := FieldRef{"c", "r-1", "f"}
	v := make([]byte, 1024)
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		if _, err := s.SealField(bg, ref, v, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFieldOpen1KiB(b *testing.B) {
	s := testSpace(b, "vault-1")
	ref := FieldRef{"c", "r-1", "f"}
	v := make([]byte, 1024)
	ct, _ := s.SealField(bg, ref, v, true)
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		if _, err := s.OpenField(bg, ref, ct); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFieldOpenLegacyPBKDF2 is the baseline of BenchmarkFieldOpen1KiB:
// what the legacy dashboard paid per decryption (PBKDF2-HMAC-SHA256 with
// 100,000 iterations, then AES-256-GCM).
func BenchmarkFieldOpenLegacyPBKDF2(b *testing.B) {
	nonce := make([]byte, 12)
	key, _ := pbkdf2.Key(sha256.New, "passphrase", []byte("contexter-e2e-v1"), 100_000, 32)
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	ct := gcm.Seal(nil, nonce, make([]byte, 1024), nil)
	b.SetBytes(1024)
	for b.Loop() {
		key, _ := pbkdf2.Key(sha256.New, "passphrase", []byte("contexter-e2e-v1"), 100_000, 32)
		block, _ := aes.NewCipher(key)
		gcm, _ := cipher.NewGCM(block)
		if _, err := gcm.Open(nil, nonce, ct, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlob(b *testing.B) {
	s := testSpace(b, "vault-1")
	plain := make([]byte, 8<<20)
	var blob bytes.Buffer
	b.Run("encrypt-8MiB", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			blob.Reset()
			w, err := s.EncryptBlob(bg, "blob-1", &blob)
			if err != nil {
				b.Fatal(err)
			}
			w.Write(plain)
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decrypt-8MiB", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			r, err := s.DecryptBlob(bg, "blob-1", bytes.NewReader(blob.Bytes()))
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(plain)) {
				b.Fatal(n, err)
			}
		}
	})
}

// BenchmarkUnlock opens a sealed private key with the default parameters:
// what a user waits for when typing a passphrase.
func BenchmarkUnlock(b *testing.B) {
	k := testKeyHolders(b)[0]
	for _, c := range []struct {
		name   string
		params PassphraseParams
	}{{"argon2id-64MiB-t3-p4", DefaultArgon2id()}, {"pbkdf2-600k", DefaultPBKDF2()}} {
		sealed, err := k.SealWithPassphrase(bg, "user-1", "pw", c.params)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := OpenSealedKey(bg, native, sealed, "pw", "user-1", 1, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRSAUnwrap opens a kind 1 envelope of a space secret.
func BenchmarkRSAUnwrap(b *testing.B) {
	k := testKeyHolders(b)[0]
	envCtx := SpaceSecretContext("s", 1)
	env, err := k.Recipient("").Wrap(bg, envCtx, make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := k.Unwrap(bg, envCtx, env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSAKeygen(b *testing.B) {
	for b.Loop() {
		if _, err := GenerateKeyHolder(context.Background(), native, 1, false); err != nil {
			b.Fatal(err)
		}
	}
}
