// Command verify is the native side of the JS package's cross-implementation
// tests (native Go build, pure-Go provider):
//
//	verify handover <space id>   prints the handover text of a space with the
//	                             secrets of wasm/testdata/fields.json under
//	                             another id, for the "moved to another space"
//	                             vectors
//	verify check <file.json>     opens natively what the JS package sealed in
//	                             Node or in Chromium (written by the tests) and
//	                             exits non-zero on any difference
//	verify blob <space id> <size>
//	                             prints {"handover", "blob"}: a space as for
//	                             handover, and blob "blob-native" of size
//	                             plaintext bytes k mod 251 encrypted in it
//	                             natively (base64url), for the JS tests that
//	                             cut, reorder and alter its chunks
//
// Run from the repository root: go run ./jsbridge/internal/verify ...
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

	"github.com/zkvault/zkvault/api"
	zkvault "github.com/zkvault/zkvault/wasm"
	"github.com/zkvault/zkvault/wasm/prim"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	ctx := context.Background()
	if len(args) == 3 && args[0] == "blob" {
		return nativeBlob(ctx, args[1], args[2])
	}
	if len(args) != 2 {
		return errors.New("usage: verify handover <space id> | verify check <file.json> | verify blob <space id> <size>")
	}
	switch args[0] {
	case "handover":
		s, err := testSpace(ctx, args[1])
		if err != nil {
			return err
		}
		text, err := s.HandoverKey(ctx)
		if err != nil {
			return err
		}
		fmt.Println(text)
		return nil
	case "check":
		return check(ctx, args[1])
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// nativeBlob prints a space's handover text and a blob encrypted in it.
func nativeBlob(ctx context.Context, id, size string) error {
	var n int
	if _, err := fmt.Sscan(size, &n); err != nil || n < 0 {
		return fmt.Errorf("bad size %q", size)
	}
	s, err := testSpace(ctx, id)
	if err != nil {
		return err
	}
	text, err := s.HandoverKey(ctx)
	if err != nil {
		return err
	}
	plain := make([]byte, n)
	for i := range plain {
		plain[i] = byte(i % 251)
	}
	var blob bytes.Buffer
	w, err := s.EncryptBlob(ctx, "blob-native", &blob)
	if err != nil {
		return err
	}
	if _, err := w.Write(plain); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]string{
		"handover": text,
		"blob":     base64.RawURLEncoding.EncodeToString(blob.Bytes()),
	})
}

// testSpace is a space with the secrets of wasm/testdata/fields.json, made
// through passphrase envelopes (the core has no raw-secret constructor).
func testSpace(ctx context.Context, id string) (*zkvault.Space, error) {
	p := prim.Native()
	r, err := zkvault.NewPassphraseRecipientWithParams(p, "x", zkvault.PassphraseParams{KDF: zkvault.KDFPBKDF2, Iterations: 1, InsecureAllowWeak: true})
	if err != nil {
		return nil, err
	}
	sp := api.Space{ID: id, Kind: "vault", Encrypted: true, SecretVersion: 2}
	for v, h := range map[uint32]string{
		1: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		2: "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f",
	} {
		secret, _ := hex.DecodeString(h)
		data, err := r.Wrap(ctx, zkvault.SpaceSecretContext(id, v), secret)
		if err != nil {
			return nil, err
		}
		sp.Envelopes = append(sp.Envelopes, api.Envelope{Kind: "passphrase", SecretVersion: v, Data: base64.RawURLEncoding.EncodeToString(data)})
	}
	return zkvault.OpenSpace(ctx, p, sp, zkvault.NewPassphraseIdentity(p, "x"))
}

// output is what the JS tests write: a space and what was sealed in it.
type output struct {
	Where      string    `json:"where"`
	Space      api.Space `json:"space"`
	Passphrase string    `json:"passphrase"`
	Fields     []struct {
		Collection string `json:"collection"`
		RecordID   string `json:"recordId"`
		Field      string `json:"field"`
		Ciphertext string `json:"ciphertext"`
		Value      string `json:"value"` // base64url
	} `json:"fields"`
	Records []struct {
		Schema string         `json:"schema"`
		Region string         `json:"region"`
		Record api.Record     `json:"record"`
		Fields map[string]any `json:"fields"`
		// Index queries the record must answer: index name → value parts.
		Queries map[string][]string `json:"queries"`
	} `json:"records"`
	Blobs []struct {
		ID        string `json:"id"`
		Blob      string `json:"blob"`      // base64url
		Plaintext string `json:"plaintext"` // base64url
	} `json:"blobs"`
	Keys []struct {
		PrincipalID string `json:"principalId"`
		KeyVersion  uint32 `json:"keyVersion"`
		Passphrase  string `json:"passphrase"`
		SealedKey   string `json:"sealedKey"`
		SealedPEM   string `json:"sealedPEM"`
		Fingerprint string `json:"fingerprint"`
		// An envelope of the space made for this key in JS.
		Envelope api.Envelope `json:"envelope"`
	} `json:"keys"`
}

func check(ctx context.Context, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var o output
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	p := prim.Native()
	s, err := zkvault.OpenSpace(ctx, p, o.Space, zkvault.NewPassphraseIdentity(p, o.Passphrase))
	if err != nil {
		return fmt.Errorf("opening the space: %w", err)
	}
	n := 0
	for _, f := range o.Fields {
		got, err := s.OpenField(ctx, zkvault.FieldRef{Collection: f.Collection, RecordID: f.RecordID, Field: f.Field}, f.Ciphertext)
		if err != nil {
			return fmt.Errorf("field %s/%s/%s: %w", f.Collection, f.RecordID, f.Field, err)
		}
		want, _ := base64.RawURLEncoding.DecodeString(f.Value)
		if !bytes.Equal(got, want) {
			return fmt.Errorf("field %s/%s/%s: wrong plaintext", f.Collection, f.RecordID, f.Field)
		}
		n++
	}
	for _, r := range o.Records {
		schema, ok := zkvault.Schema(r.Schema)
		if !ok {
			return fmt.Errorf("no schema %q", r.Schema)
		}
		opened, err := s.OpenRecord(ctx, schema, r.Record)
		if err != nil {
			return fmt.Errorf("record %s: %w", r.Record.ID, err)
		}
		if len(opened.Errors) > 0 {
			return fmt.Errorf("record %s: field errors %v", r.Record.ID, opened.Errors)
		}
		if !reflect.DeepEqual(opened.Fields, r.Fields) {
			return fmt.Errorf("record %s: fields differ:\n got %v\nwant %v", r.Record.ID, opened.Fields, r.Fields)
		}
		opts := zkvault.RecordOptions{Region: r.Region}
		for ix, value := range r.Queries {
			vs, err := s.IndexValues(ctx, schema, ix, value, opts)
			if err != nil {
				return fmt.Errorf("record %s: index %s: %w", r.Record.ID, ix, err)
			}
			if !overlaps(vs, r.Record.Index[ix]) {
				return fmt.Errorf("record %s: index %s: query values %v not in the record's %v", r.Record.ID, ix, vs, r.Record.Index[ix])
			}
		}
		n++
	}
	for _, bl := range o.Blobs {
		blob, _ := base64.RawURLEncoding.DecodeString(bl.Blob)
		want, _ := base64.RawURLEncoding.DecodeString(bl.Plaintext)
		rd, err := s.DecryptBlob(ctx, bl.ID, bytes.NewReader(blob))
		if err != nil {
			return fmt.Errorf("blob %s: %w", bl.ID, err)
		}
		got, err := io.ReadAll(rd)
		if err != nil {
			return fmt.Errorf("blob %s: %w", bl.ID, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("blob %s: wrong plaintext", bl.ID)
		}
		n++
	}
	for _, k := range o.Keys {
		var holders []*zkvault.KeyHolder
		if k.SealedKey != "" {
			sealed, _ := base64.RawURLEncoding.DecodeString(k.SealedKey)
			h, err := zkvault.OpenSealedKey(ctx, p, sealed, k.Passphrase, k.PrincipalID, k.KeyVersion, false)
			if err != nil {
				return fmt.Errorf("sealed key of %s: %w", k.PrincipalID, err)
			}
			holders = append(holders, h)
		}
		if k.SealedPEM != "" {
			h, id, err := zkvault.ImportSealedPEM(ctx, p, []byte(k.SealedPEM), k.Passphrase, false)
			if err != nil {
				return fmt.Errorf("sealed PEM of %s: %w", k.PrincipalID, err)
			}
			if id != k.PrincipalID {
				return fmt.Errorf("sealed PEM names %q, want %q", id, k.PrincipalID)
			}
			holders = append(holders, h)
		}
		for _, h := range holders {
			if h.Fingerprint().String() != k.Fingerprint {
				return fmt.Errorf("key of %s: fingerprint %s, want %s", k.PrincipalID, h.Fingerprint(), k.Fingerprint)
			}
			if k.Envelope.Data != "" {
				sp := o.Space
				sp.Envelopes = []api.Envelope{k.Envelope}
				s2, err := zkvault.OpenSpace(ctx, p, sp, h)
				if err != nil {
					return fmt.Errorf("space envelope for %s: %w", k.PrincipalID, err)
				}
				s2.Forget()
			}
			n++
		}
	}
	fmt.Printf("verify: %d values sealed in %s open natively\n", n, o.Where)
	return nil
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
