package zkvault

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/stream"
)

var bg = context.Background()

func TestPadme(t *testing.T) {
	for _, c := range []struct{ in, want int }{
		{1, 1}, {2, 2}, {3, 3}, {4, 4}, {7, 7}, {8, 8}, {9, 10}, {10, 10}, {11, 12},
		{17, 18}, {100, 104}, {1001, 1024}, {1024, 1024}, {1025, 1088},
		{MaxFieldValue + 1, 1081344},
	} {
		if got := padme(c.in); got != c.want {
			t.Errorf("padme(%d) = %d, want %d", c.in, got, c.want)
		}
	}
	prev := 0
	for L := 1; L < 1<<16; L++ {
		p := padme(L)
		if p < L || p < prev || float64(p-L) > 0.12*float64(L)+1 {
			t.Fatalf("padme(%d) = %d (previous %d)", L, p, prev)
		}
		prev = p
	}
}

func TestFieldRoundTrip(t *testing.T) {
	s := testSpace(t, "vault-1")
	ref := FieldRef{"notes", "n-1", "body"}
	for _, n := range []int{0, 1, 2, 3, 15, 16, 17, 100, 1000, 4097, MaxFieldValue} {
		for _, padded := range []bool{false, true} {
			value := bytes.Repeat([]byte{0x80, 0}, n/2+1)[:n] // ends in 0x80 or 0: unpadding must not eat it
			ct, err := s.SealField(bg, ref, value, padded)
			if err != nil {
				t.Fatal(err)
			}
			if !IsField(ct) || !strings.HasPrefix(ct, "enc:v2:1:") {
				t.Fatalf("bad form %.40s", ct)
			}
			raw, _ := decodeB64(ct[len("enc:v2:1:"):])
			inner := len(raw) - 12 - 16
			if want := map[bool]int{false: n + 1, true: padme(n + 1)}[padded]; inner != want {
				t.Fatalf("n=%d pad=%v: inner length %d, want %d", n, padded, inner, want)
			}
			got, err := s.OpenField(bg, ref, ct)
			if err != nil || !bytes.Equal(got, value) {
				t.Fatalf("n=%d pad=%v: open: %v", n, padded, err)
			}
		}
	}
	if _, err := s.SealField(bg, ref, make([]byte, MaxFieldValue+1), true); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if _, err := s.SealField(bg, FieldRef{"notes", "bad/id", "body"}, nil, true); err == nil {
		t.Fatal("bad record id accepted")
	}
}

func TestFieldTamper(t *testing.T) {
	s := testSpace(t, "vault-1")
	other := testSpace(t, "vault-1") // same id, another secret
	sameSecret := newSpaceWithSecrets(native, "vault-2", map[uint32][]byte{1: s.versions[1].secret})
	ref := FieldRef{"contacts", "c-1", "firstName"}
	ct, err := s.SealField(bg, ref, []byte(`"Ada"`), true)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		s   *Space
		ref FieldRef
	}{
		"field":      {s, FieldRef{"contacts", "c-1", "lastName"}},
		"record":     {s, FieldRef{"contacts", "c-2", "firstName"}},
		"collection": {s, FieldRef{"people", "c-1", "firstName"}},
		"space id":   {sameSecret, ref},
		"secret":     {other, ref},
	} {
		if _, err := c.s.OpenField(bg, c.ref, ct); !errors.Is(err, ErrIncorrectKey) {
			t.Errorf("moved to another %s: %v", name, err)
		}
	}
	raw, _ := decodeB64(ct[len("enc:v2:1:"):])
	for i := range raw {
		for bit := 0; bit < 8; bit++ {
			r := bytes.Clone(raw)
			r[i] ^= 1 << bit
			if _, err := s.OpenField(bg, ref, "enc:v2:1:"+base64.RawURLEncoding.EncodeToString(r)); !errors.Is(err, ErrIncorrectKey) {
				t.Fatalf("bit %d of byte %d: %v", bit, i, err)
			}
		}
	}
	var pe *ParseError
	if _, err := s.OpenField(bg, ref, "enc:v1:abc"); !errors.As(err, &pe) {
		t.Fatalf("parse error: %v", err)
	}
}

// countingProvider counts key derivations.
type countingProvider struct {
	prim.Provider
	hkdf atomic.Int64
}

func (c *countingProvider) HKDF(ctx context.Context, secret, salt, info []byte, length int) ([]byte, error) {
	c.hkdf.Add(1)
	return c.Provider.HKDF(ctx, secret, salt, info, length)
}

func TestFieldKeyDerivedOnce(t *testing.T) {
	cp := &countingProvider{Provider: native}
	s, err := NewSpace(bg, cp, "vault-1")
	if err != nil {
		t.Fatal(err)
	}
	fields := make([]FieldValue, 10000)
	for i := range fields {
		fields[i] = FieldValue{Ref: FieldRef{"c", fmt.Sprintf("r-%d", i), "f"}, Value: []byte("v"), Pad: true}
	}
	cts, err := s.SealFields(bg, fields)
	if err != nil {
		t.Fatal(err)
	}
	in := make([]FieldCiphertext, len(cts))
	for i, ct := range cts {
		in[i] = FieldCiphertext{fields[i].Ref, ct}
	}
	in[7].Ref.Field = "g" // one bad field does not stop the batch
	values, errs := s.OpenFields(bg, in)
	for i := range values {
		if i == 7 {
			if !errors.Is(errs[i], ErrIncorrectKey) {
				t.Fatalf("moved field: %v", errs[i])
			}
			continue
		}
		if errs[i] != nil || string(values[i]) != "v" {
			t.Fatalf("field %d: %q %v", i, values[i], errs[i])
		}
	}
	if n := cp.hkdf.Load(); n != 1 {
		t.Fatalf("%d HKDF derivations for 20000 field operations, want 1", n)
	}
}

func TestRotation(t *testing.T) {
	s := testSpace(t, "vault-1")
	ref := FieldRef{"c", "r", "f"}
	old, _ := s.SealField(bg, ref, []byte("old"), false)
	var blob bytes.Buffer
	w, _ := s.EncryptBlob(bg, "b-1", &blob)
	io.WriteString(w, "old blob")
	w.Close()
	v, err := s.Rotate(bg)
	if err != nil || v != 2 || s.CurrentVersion() != 2 {
		t.Fatalf("Rotate: %d %v", v, err)
	}
	ct, _ := s.SealField(bg, ref, []byte("new"), false)
	if !strings.HasPrefix(ct, "enc:v2:2:") {
		t.Fatalf("after rotation: %.10s", ct)
	}
	for want, c := range map[string]string{"old": old, "new": ct} {
		if got, err := s.OpenField(bg, ref, c); err != nil || string(got) != want {
			t.Fatalf("%s: %q %v", want, got, err)
		}
	}
	r, err := s.DecryptBlob(bg, "b-1", bytes.NewReader(blob.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(r); err != nil || string(b) != "old blob" {
		t.Fatalf("old blob: %q %v", b, err)
	}

	// A recipient added after the rotation gets every version.
	pr, _ := NewPassphraseRecipientWithParams(native, "pw", fastArgon2id)
	envs, err := s.Envelopes(bg, pr)
	if err != nil || len(envs) != 2 {
		t.Fatalf("Envelopes: %d %v", len(envs), err)
	}
	s2, err := OpenSpace(bg, native, api.Space{ID: "vault-1", Envelopes: envs}, NewPassphraseIdentity(native, "pw"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Versions(); len(got) != 2 || s2.CurrentVersion() != 2 {
		t.Fatalf("versions %v current %d", got, s2.CurrentVersion())
	}
	if got, err := s2.OpenField(bg, ref, old); err != nil || string(got) != "old" {
		t.Fatalf("old field in reopened space: %q %v", got, err)
	}
	// Only version 2: old ciphertexts name a version not in the keyring.
	s3, err := OpenSpace(bg, native, api.Space{ID: "vault-1", Envelopes: envs[1:]}, NewPassphraseIdentity(native, "pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3.OpenField(bg, ref, old); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Fatalf("missing version: %v", err)
	}
	if err := s3.SetCurrent(1); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Fatalf("SetCurrent(1): %v", err)
	}
	secret := s2.versions[2].secret
	s2.Forget()
	if _, err := s2.OpenField(bg, ref, ct); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Fatalf("after Forget: %v", err)
	}
	if _, err := s2.SealField(bg, ref, nil, false); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Fatalf("seal after Forget: %v", err)
	}
	if !bytes.Equal(secret, make([]byte, SecretSize)) {
		t.Fatal("Forget left the secret in memory")
	}
}

func TestSpaceEnvelopes(t *testing.T) {
	keys := testKeyHolders(t)
	s := testSpace(t, "followup-7")
	owner := keys[0].Recipient("user-owner")
	pass, err := NewPassphraseRecipientWithParams(native, "correct horse", fastPBKDF2)
	if err != nil {
		t.Fatal(err)
	}
	eo, err := s.Envelope(bg, owner)
	if err != nil {
		t.Fatal(err)
	}
	if eo.Kind != api.RecipientPrincipal || eo.Principal != "user-owner" || eo.Fingerprint != keys[0].Fingerprint().String() ||
		eo.KeyVersion != 1 || eo.SecretVersion != 1 {
		t.Fatalf("principal envelope metadata: %+v", eo)
	}
	ep, err := s.Envelope(bg, pass)
	if err != nil {
		t.Fatal(err)
	}
	if ep.Kind != api.RecipientPassphrase || ep.Principal != "" || ep.Fingerprint != "" || ep.SecretVersion != 1 {
		t.Fatalf("passphrase envelope metadata: %+v", ep)
	}
	for _, e := range []api.Envelope{eo, ep} {
		if err := api.ValidateEnvelope("envelope", &e); err != nil {
			t.Fatalf("api.ValidateEnvelope(%s): %v", e.Kind, err)
		}
	}
	sp := api.Space{ID: "followup-7", Envelopes: []api.Envelope{ep, eo}}
	ref := FieldRef{"messages", "m-1", "text"}
	ct, _ := s.SealField(bg, ref, []byte("hi"), true)
	for name, id := range map[string]Identity{"key": keys[0], "passphrase": NewPassphraseIdentity(native, "correct horse")} {
		o, err := OpenSpace(bg, native, sp, id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := o.OpenField(bg, ref, ct); err != nil || string(got) != "hi" {
			t.Fatalf("%s: %q %v", name, got, err)
		}
	}
	// Wrong passphrase, wrong key: the same sentinel.
	for name, id := range map[string]Identity{"key": keys[1], "passphrase": NewPassphraseIdentity(native, "wrong horse")} {
		if _, err := OpenSpace(bg, native, sp, id); !errors.Is(err, ErrIncorrectKey) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// A server that relabels the envelope's fingerprint gains nothing.
	forged := eo
	forged.Fingerprint = keys[1].Fingerprint().String()
	if _, err := OpenSpace(bg, native, api.Space{ID: sp.ID, Envelopes: []api.Envelope{forged}}, keys[1]); !errors.Is(err, ErrIncorrectKey) {
		t.Fatalf("relabelled envelope: %v", err)
	}
	// An envelope moved to another space or version fails.
	if _, err := OpenSpace(bg, native, api.Space{ID: "followup-8", Envelopes: sp.Envelopes}, keys[0]); !errors.Is(err, ErrIncorrectKey) {
		t.Fatalf("moved to another space: %v", err)
	}
	relabelled := eo
	relabelled.SecretVersion = 2
	if _, err := OpenSpace(bg, native, api.Space{ID: sp.ID, Envelopes: []api.Envelope{relabelled}}, keys[0]); !errors.Is(err, ErrIncorrectKey) {
		t.Fatalf("moved to another version: %v", err)
	}
	bad := eo
	bad.Data += "="
	var pe *ParseError
	if _, err := OpenSpace(bg, native, api.Space{ID: sp.ID, Envelopes: []api.Envelope{bad}}, keys[0]); !errors.As(err, &pe) {
		t.Fatalf("bad base64: %v", err)
	}
}

func TestKeyHolder(t *testing.T) {
	keys := testKeyHolders(t)
	alice := keys[0]
	for _, params := range []PassphraseParams{fastArgon2id, fastPBKDF2} {
		sealed, err := alice.SealWithPassphrase(bg, "user-alice", "s3cret", params)
		if err != nil {
			t.Fatal(err)
		}
		k, err := OpenSealedKey(bg, native, sealed, "s3cret", "user-alice", 1, false)
		if err != nil || k.Fingerprint() != alice.Fingerprint() || k.KeyVersion() != 1 {
			t.Fatalf("OpenSealedKey: %v", err)
		}
		for name, open := range map[string]func() error{
			"wrong passphrase": func() error {
				_, err := OpenSealedKey(bg, native, sealed, "S3cret", "user-alice", 1, false)
				return err
			},
			"other principal": func() error { _, err := OpenSealedKey(bg, native, sealed, "s3cret", "user-bob", 1, false); return err },
			"other version": func() error {
				_, err := OpenSealedKey(bg, native, sealed, "s3cret", "user-alice", 2, false)
				return err
			},
		} {
			if err := open(); !errors.Is(err, ErrIncorrectKey) {
				t.Fatalf("%s: %v", name, err)
			}
		}
		// Non-extractable: the opened key cannot be sealed again.
		if _, err := k.SealWithPassphrase(bg, "user-alice", "x", fastPBKDF2); !errors.Is(err, prim.ErrNotExtractable) {
			t.Fatalf("non-extractable sealed: %v", err)
		}
		if _, err := k.ExportPEM(bg); !errors.Is(err, prim.ErrNotExtractable) {
			t.Fatalf("non-extractable exported: %v", err)
		}
	}
	for _, weak := range []PassphraseParams{
		{KDF: KDFArgon2id, MemoryKiB: 16 << 10, Time: 4, Parallelism: 1},
		{KDF: KDFArgon2id, MemoryKiB: 19 << 10, Time: 1, Parallelism: 1},
		{KDF: KDFPBKDF2, Iterations: 100_000},
	} {
		if _, err := alice.SealWithPassphrase(bg, "user-alice", "x", weak); !errors.Is(err, ErrWeakParameters) {
			t.Fatalf("weak %+v: %v", weak, err)
		}
	}
	for _, heavy := range []PassphraseParams{
		{KDF: KDFArgon2id, MemoryKiB: 512 << 10, Time: 1, Parallelism: 1},
		{KDF: KDFPBKDF2, Iterations: 20_000_000},
	} {
		if _, err := alice.SealWithPassphrase(bg, "user-alice", "x", heavy); !errors.Is(err, ErrWorkFactor) {
			t.Fatalf("heavy %+v: %v", heavy, err)
		}
	}
	if _, err := alice.SealWithPassphrase(bg, "user-alice", "", fastPBKDF2); err == nil {
		t.Fatal("empty passphrase accepted")
	}

	// PEM backup round trip.
	p, err := alice.ExportPEM(bg)
	if err != nil || !bytes.HasPrefix(p, []byte("-----BEGIN PRIVATE KEY-----")) {
		t.Fatalf("ExportPEM: %v", err)
	}
	back, err := ImportPEM(bg, native, p, 1, false)
	if err != nil || back.Fingerprint() != alice.Fingerprint() {
		t.Fatalf("ImportPEM: %v", err)
	}

	// Group key: the queue's private key sealed for a member (envelope
	// encryption of a PKCS #8 far larger than one RSA block).
	queue, member, outsider := keys[2], keys[1], keys[0]
	sealed, err := queue.SealGroupKey(bg, "queue-1", member.Recipient("user-m"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := OpenGroupKey(bg, native, member, sealed, "queue-1", 1, false)
	if err != nil || k.Fingerprint() != queue.Fingerprint() {
		t.Fatalf("OpenGroupKey: %v", err)
	}
	if _, err := OpenGroupKey(bg, native, outsider, sealed, "queue-1", 1, false); !errors.Is(err, ErrIncorrectKey) {
		t.Fatalf("outsider: %v", err)
	}
	if _, err := OpenGroupKey(bg, native, member, sealed, "queue-2", 1, false); !errors.Is(err, ErrIncorrectKey) {
		t.Fatalf("other group: %v", err)
	}
}

func TestDefaultParams(t *testing.T) {
	if d := DefaultArgon2id(); d.MemoryKiB != 65536 || d.Time != 3 || d.Parallelism != 4 || d.KDF != KDFArgon2id {
		t.Fatalf("DefaultArgon2id = %+v", d)
	}
	if d := DefaultPBKDF2(); d.Iterations != 600000 || d.KDF != KDFPBKDF2 {
		t.Fatalf("DefaultPBKDF2 = %+v", d)
	}
	// The vectors run the defaults both ways; here only check that they are
	// what a recipient uses.
	r, err := NewPassphraseRecipient(native, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if r.params != DefaultArgon2id() {
		t.Fatalf("NewPassphraseRecipient params = %+v", r.params)
	}
	if r, _ := NewPassphraseRecipientWithParams(native, "pw", PassphraseParams{}); r.params != DefaultArgon2id() {
		t.Fatalf("zero params = %+v", r.params)
	}
}

func TestFingerprint(t *testing.T) {
	var f Fingerprint
	for i := range f {
		f[i] = byte(i * 7)
	}
	s := FormatFingerprint(f)
	if len(s) != 16*4+15 || strings.Count(s, " ") != 15 || strings.ReplaceAll(s, " ", "") != f.String() {
		t.Fatalf("FormatFingerprint = %q", s)
	}
	if g, err := ParseFingerprint(f.String()); err != nil || g != f {
		t.Fatalf("ParseFingerprint: %v", err)
	}
	for _, bad := range []string{strings.ToUpper(f.String()), f.String()[:62], f.String() + "00", s, strings.Repeat("g", 64)} {
		if _, err := ParseFingerprint(bad); err == nil {
			t.Fatalf("ParseFingerprint(%q) accepted", bad)
		}
	}
	keys := testKeyHolders(t)
	pr := PrincipalOf(keys[0], "user-a", api.PrincipalUser, nil)
	r, err := PrincipalRecipient(bg, native, pr)
	if err != nil || r.Fingerprint() != keys[0].Fingerprint() || r.PrincipalID() != "user-a" {
		t.Fatalf("PrincipalRecipient: %v", err)
	}
	pr.Fingerprint = keys[1].Fingerprint().String()
	if _, err := PrincipalRecipient(bg, native, pr); err == nil {
		t.Fatal("mismatched fingerprint accepted")
	}
}

func TestBlobChunkSwap(t *testing.T) {
	s := testSpace(t, "vault-1")
	enc := func(id string, fill byte) []byte {
		var buf bytes.Buffer
		w, err := s.EncryptBlob(bg, id, &buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(bytes.Repeat([]byte{fill}, 3*stream.DefaultChunkSize/2))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := enc("blob-a", 'a'), enc("blob-b", 'b')
	// Put blob b's first chunk into blob a.
	first := stream.HeaderSize
	end := first + stream.DefaultChunkSize + prim.GCMTagSize
	swapped := append(append(bytes.Clone(a[:first]), b[first:end]...), a[end:]...)
	r, err := s.DecryptBlob(bg, "blob-a", bytes.NewReader(swapped))
	if err == nil {
		_, err = io.ReadAll(r)
	}
	if !errors.Is(err, stream.ErrCorrupt) {
		t.Fatalf("swapped chunk: %v", err)
	}
	ra, err := s.OpenBlobAt(bg, "blob-a", bytes.NewReader(swapped), int64(len(swapped)))
	if err == nil {
		_, err = ra.ReadAt(make([]byte, 10), 5)
	}
	if !errors.Is(err, stream.ErrCorrupt) {
		t.Fatalf("swapped chunk, ReadAt: %v", err)
	}
	// The untouched blob reads back, also from the middle.
	ra, err = s.OpenBlobAt(bg, "blob-a", bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	if _, err := ra.ReadAt(buf, stream.DefaultChunkSize-50); err != nil || !bytes.Equal(buf, bytes.Repeat([]byte("a"), 100)) {
		t.Fatalf("ReadAt: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := testSpace(t, "vault-1")
	schema, _ := Schema("contacts")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			ref := FieldRef{"c", fmt.Sprintf("r-%d", g), "f"}
			for i := range 50 {
				ct, err := s.SealField(bg, ref, []byte("v"), true)
				if err == nil {
					_, err = s.OpenField(bg, ref, ct)
				}
				if err == nil {
					_, err = s.IndexValues(bg, schema, "emails", []string{"a@b.c"}, RecordOptions{})
				}
				if err != nil {
					t.Error(err)
					return
				}
				if g == 0 && i%10 == 0 {
					if _, err := s.Rotate(bg); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
}
