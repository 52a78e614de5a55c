package zkvault

// Known-answer vectors: testdata/{fields,envelopes,blobs,records}.json.
//
// The files are frozen. `go test -run TestVectors -update` writes the files
// that do not exist yet and never overwrites one: to change a vector file,
// delete it knowingly (and it is then a format change, see
// docs/spec/00-overview.md).
//
// Field ciphertexts, passphrase envelopes, blobs and records are checked both
// ways: re-produced byte for byte with the randomness the vector lists, and
// opened. RSA-OAEP is randomised inside the provider, so kind 1 envelopes are
// checked by opening only.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/wasm/internal/tuple"
	"github.com/zkvault/zkvault/wasm/prim"
)

var update = flag.Bool("update", false, "write the testdata vector files that do not exist (never overwrites)")

// vectorSpace is the space every vector file uses.
type vectorSpace struct {
	SpaceID string            `json:"space_id"`
	Secrets map[string]string `json:"secrets"` // kid → hex secret
}

func testVectorSpace() vectorSpace {
	s1, s2 := make([]byte, 32), make([]byte, 32)
	for i := range s1 {
		s1[i] = byte(i)
		s2[i] = byte(0x40 + i)
	}
	return vectorSpace{SpaceID: "vault-test", Secrets: map[string]string{"1": hex.EncodeToString(s1), "2": hex.EncodeToString(s2)}}
}

func (vs vectorSpace) space(t testing.TB, spaceID string) *Space {
	t.Helper()
	return vs.spaceWith(t, native, spaceID)
}

func (vs vectorSpace) spaceWith(t testing.TB, p prim.Provider, spaceID string) *Space {
	t.Helper()
	secrets := map[uint32][]byte{}
	for k, h := range vs.Secrets {
		v, ok := api.ParseKeyVersion(k)
		if !ok {
			t.Fatalf("bad kid %q", k)
		}
		secrets[v] = mustHex(t, h)
	}
	if spaceID == "" {
		spaceID = vs.SpaceID
	}
	return newSpaceWithSecrets(p, spaceID, secrets)
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// readVectors reads testdata/name into out.
func readVectors(t testing.TB, name string, out any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

// writeOrRead writes v to testdata/name if -update is set and the file does
// not exist, then reads the file into out.
func writeOrRead(t *testing.T, name string, gen func() any, out any) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			b, err := json.MarshalIndent(gen(), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", path)
		} else {
			t.Logf("%s exists: not overwritten", path)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestVectors -update to generate)", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

// ---- enc:v2 fields ----

type fieldVector struct {
	Name       string `json:"name"`
	SpaceID    string `json:"space_id,omitempty"` // when not the file's
	Collection string `json:"collection"`
	RecordID   string `json:"record_id"`
	Field      string `json:"field"`
	Value      string `json:"value,omitempty"` // hex plaintext (success)
	Pad        bool   `json:"pad,omitempty"`
	Nonce      string `json:"nonce,omitempty"` // hex: reproduce with this nonce
	Ciphertext string `json:"ciphertext"`
	Result     string `json:"result"`
}

type fieldFile struct {
	Description string `json:"description"`
	vectorSpace
	Vectors []fieldVector `json:"vectors"`
}

func genFieldVectors(t *testing.T) any {
	vs := testVectorSpace()
	s := vs.space(t, "")
	ctx := context.Background()
	f := fieldFile{Description: "enc:v2 field ciphertexts (docs/spec/03-fields.md). result: success, parse error, incorrect key, unknown key version.", vectorSpace: vs}
	ref := FieldRef{"whatsapp_messages", "msg-0001", "text"}
	seal := func(name string, v uint32, ref FieldRef, value []byte, pad bool, nonce []byte) fieldVector {
		if err := s.SetCurrent(v); err != nil {
			t.Fatal(err)
		}
		withRand(t, nonce)
		ct, err := s.SealField(ctx, ref, value, pad)
		testRand = nil
		if err != nil {
			t.Fatal(err)
		}
		return fieldVector{Name: name, Collection: ref.Collection, RecordID: ref.RecordID, Field: ref.Field,
			Value: hex.EncodeToString(value), Pad: pad, Nonce: hex.EncodeToString(nonce), Ciphertext: ct, Result: "success"}
	}
	hello := []byte(`"Hello, world"`)
	base := seal("json string, padded", 1, ref, hello, true, seq(0, 12))
	f.Vectors = append(f.Vectors,
		base,
		seal("json string, not padded", 1, ref, hello, false, seq(0x10, 12)),
		seal("empty value, padded", 1, ref, nil, true, seq(0x20, 12)),
		seal("empty value, not padded", 1, ref, nil, false, seq(0x30, 12)),
		seal("one byte, padded", 1, ref, []byte("7"), true, seq(0x40, 12)),
		seal("100 bytes, padded to 104", 1, FieldRef{"contacts", "c-42", "firstName"}, bytes.Repeat([]byte("a"), 100), true, seq(0x50, 12)),
		seal("1000 bytes, padded to 1024", 1, ref, bytes.Repeat([]byte{0xee}, 1000), true, seq(0x60, 12)),
		seal("secret version 2", 2, ref, hello, true, seq(0x70, 12)),
	)
	fail := func(name, ct string, ref FieldRef, spaceID, result string) fieldVector {
		return fieldVector{Name: name, SpaceID: spaceID, Collection: ref.Collection, RecordID: ref.RecordID, Field: ref.Field, Ciphertext: ct, Result: result}
	}
	ct := base.Ciphertext
	body := ct[len("enc:v2:1:"):]
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	flip := func(i int) string {
		r := bytes.Clone(raw)
		r[i] ^= 1
		return "enc:v2:1:" + base64.RawURLEncoding.EncodeToString(r)
	}
	// An authentic ciphertext whose plaintext has no 0x80 marker.
	a, _ := s.fieldAEAD(ctx, s.versions[1])
	nonce := seq(0x80, 12)
	sealed, _ := a.Seal(ctx, nonce, []byte("no marker\x00\x00"), fieldAAD(vs.SpaceID, ref, "1"))
	noMarker := "enc:v2:1:" + base64.RawURLEncoding.EncodeToString(append(nonce, sealed...))
	sealedZero, _ := a.Seal(ctx, nonce, []byte{0, 0, 0}, fieldAAD(vs.SpaceID, ref, "1"))
	allZero := "enc:v2:1:" + base64.RawURLEncoding.EncodeToString(append(bytes.Clone(nonce), sealedZero...))
	f.Vectors = append(f.Vectors,
		fail("moved to another field", ct, FieldRef{ref.Collection, ref.RecordID, "chatName"}, "", "incorrect key"),
		fail("moved to another record", ct, FieldRef{ref.Collection, "msg-0002", ref.Field}, "", "incorrect key"),
		fail("moved to another collection", ct, FieldRef{"imessages", ref.RecordID, ref.Field}, "", "incorrect key"),
		fail("moved to another space", ct, ref, "vault-other", "incorrect key"),
		fail("key id changed to 2", "enc:v2:2:"+body, ref, "", "incorrect key"),
		fail("key id not in keyring", "enc:v2:3:"+body, ref, "", "unknown key version"),
		fail("flipped bit in nonce", flip(0), ref, "", "incorrect key"),
		fail("flipped bit in ciphertext", flip(12), ref, "", "incorrect key"),
		fail("flipped bit in tag", flip(len(raw)-1), ref, "", "incorrect key"),
		fail("authentic plaintext without 0x80 marker", noMarker, ref, "", "incorrect key"),
		fail("authentic plaintext of zeros", allZero, ref, "", "incorrect key"),
		fail("version 1 prefix", "enc:v1:1:"+body, ref, "", "parse error"),
		fail("no prefix", body, ref, "", "parse error"),
		fail("empty", "", ref, "", "parse error"),
		fail("missing key id separator", "enc:v2:1"+body, ref, "", "parse error"),
		fail("key id 0", "enc:v2:0:"+body, ref, "", "parse error"),
		fail("key id with leading zero", "enc:v2:01:"+body, ref, "", "parse error"),
		fail("key id above 2^32-1", "enc:v2:4294967296:"+body, ref, "", "parse error"),
		fail("key id not decimal", "enc:v2:x:"+body, ref, "", "parse error"),
		fail("base64 padding", ct+"=", ref, "", "parse error"),
		fail("standard base64 alphabet", "enc:v2:1:+/"+body[2:], ref, "", "parse error"),
		fail("non-canonical trailing bits", "enc:v2:1:"+body[:len(body)-1]+nonCanonical(body[len(body)-1]), ref, "", "parse error"),
		fail("body shorter than nonce, marker and tag", "enc:v2:1:"+base64.RawURLEncoding.EncodeToString(raw[:28]), ref, "", "parse error"),
		fail("white space", ct+" ", ref, "", "parse error"),
		fail("line break in body", ct[:20]+"\n"+ct[20:], ref, "", "parse error"),
		fail("carriage return in body", ct[:20]+"\r"+ct[20:], ref, "", "parse error"),
	)
	return f
}

// nonCanonical returns another base64url digit that decodes to the same
// leading bits as c but sets a trailing bit (len(raw) % 3 == 2 leaves 2 free
// bits in the last digit).
func nonCanonical(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := bytes.IndexByte([]byte(alphabet), c)
	return string(alphabet[i^1])
}

func TestVectorsFields(t *testing.T) {
	var f fieldFile
	writeOrRead(t, "fields.json", func() any { return genFieldVectors(t) }, &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	ctx := context.Background()
	for _, p := range providers {
		for _, v := range f.Vectors {
			t.Run(p.Name()+"/"+v.Name, func(t *testing.T) {
				s := f.spaceWith(t, p, v.SpaceID)
				ref := FieldRef{v.Collection, v.RecordID, v.Field}
				got, err := s.OpenField(ctx, ref, v.Ciphertext)
				if o := outcome(err); o != v.Result {
					t.Fatalf("open: got %q (%v), want %q", o, err, v.Result)
				}
				if v.Result != "success" {
					return
				}
				want := mustHex(t, v.Value)
				if !bytes.Equal(got, want) {
					t.Fatalf("open: got %x, want %x", got, want)
				}
				f, _ := parseField(v.Ciphertext)
				if err := s.SetCurrent(f.version); err != nil {
					t.Fatal(err)
				}
				r := withRand(t, mustHex(t, v.Nonce))
				ct, err := s.SealField(ctx, ref, want, v.Pad)
				if err != nil {
					t.Fatal(err)
				}
				if ct != v.Ciphertext || r.Len() != 0 {
					t.Fatalf("seal: got %s, want %s", ct, v.Ciphertext)
				}
			})
		}
	}
}

// ---- envelopes ----

type envelopeVector struct {
	Name string `json:"name"`
	// Sealing (re-produced when Rand is set: kinds 2 and 3).
	SealPassphrase string   `json:"seal_passphrase,omitempty"`
	SealKey        string   `json:"seal_key,omitempty"` // kind 1 recipient: testdata/<name>.pk8.pem
	SealContext    []string `json:"seal_context,omitempty"`
	Rand           string   `json:"rand,omitempty"` // hex: salt || nonce, as Wrap draws them
	// Payload: hex, or the PKCS #8 DER of testdata/<payload_key>.pk8.pem.
	Payload    string `json:"payload,omitempty"`
	PayloadKey string `json:"payload_key,omitempty"`
	Envelope   string `json:"envelope"` // base64url
	// Opening: a passphrase or a key, and the context as a tuple of strings.
	Passphrase string   `json:"passphrase,omitempty"`
	Key        string   `json:"key,omitempty"`
	Context    []string `json:"context"`
	Result     string   `json:"result"`
}

type envelopeFile struct {
	Description string           `json:"description"`
	Vectors     []envelopeVector `json:"vectors"`
}

func ctxParts(label, id string, v uint32) []string { return []string{label, id, kid(v)} }

func genEnvelopeVectors(t *testing.T) any {
	ctx := context.Background()
	f := envelopeFile{Description: "envelopes (docs/spec/02-spaces-envelopes.md). Kinds 2 and 3 are re-produced from rand (salt || nonce); kind 1 is checked by opening. result: success, parse error, incorrect key, work factor too high."}
	vs := testVectorSpace()
	secret1 := vs.Secrets["1"]
	spaceCtx := ctxParts(LabelSpaceSecret, vs.SpaceID, 1)
	pass := func(name, passphrase string, params PassphraseParams, envCtx []string, payload []byte, payloadKey string, rnd []byte) envelopeVector {
		params.InsecureAllowWeak = true
		params.SaltSize = len(rnd) - 12
		r, err := NewPassphraseRecipientWithParams(native, passphrase, params)
		if err != nil {
			t.Fatal(err)
		}
		rr := withRand(t, rnd)
		env, err := r.Wrap(ctx, tuple.Strings(envCtx...), payload)
		testRand = nil
		if err != nil || rr.Len() != 0 {
			t.Fatal(err, rr.Len())
		}
		v := envelopeVector{Name: name, SealPassphrase: passphrase, Rand: hex.EncodeToString(rnd), Envelope: base64.RawURLEncoding.EncodeToString(env),
			Passphrase: passphrase, Context: envCtx, Result: "success"}
		if payloadKey != "" {
			v.PayloadKey = payloadKey
		} else {
			v.Payload = hex.EncodeToString(payload)
		}
		return v
	}
	rsa := func(name, key string, envCtx []string, payload []byte, payloadKey string) envelopeVector {
		r := vectorKey(t, key).Recipient("")
		env, err := r.Wrap(ctx, tuple.Strings(envCtx...), payload)
		if err != nil {
			t.Fatal(err)
		}
		v := envelopeVector{Name: name, SealKey: key, Envelope: base64.RawURLEncoding.EncodeToString(env), Key: key, Context: envCtx, Result: "success"}
		if payloadKey != "" {
			v.PayloadKey = payloadKey
		} else {
			v.Payload = hex.EncodeToString(payload)
		}
		return v
	}
	secret := mustHex(t, secret1)
	salt16 := seq(0xa0, 16)
	nonce := seq(0xc0, 12)
	randOf := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	argon := pass("kind 2 Argon2id, space secret", "correct horse battery staple", fastArgon2id, spaceCtx, secret, "", randOf(salt16, nonce))
	pbk := pass("kind 3 PBKDF2, space secret", "correct horse battery staple", fastPBKDF2, spaceCtx, secret, "", randOf(seq(0xb0, 32), nonce))
	rsa1 := rsa("kind 1 RSA, space secret", "rsa4096-1", spaceCtx, secret, "")
	f.Vectors = append(f.Vectors, argon, pbk, rsa1,
		pass("kind 2 Argon2id defaults (64 MiB, t=3, p=4), sealed private key", "tulip-anchor-velvet-42", DefaultArgon2id(),
			ctxParts(LabelPrivateKey, "user-alice", 1), vectorPKCS8(t, "rsa4096-1"), "rsa4096-1", randOf(seq(0x01, 16), nonce)),
		pass("kind 3 PBKDF2 600000, sealed private key", "tulip-anchor-velvet-42", DefaultPBKDF2(),
			ctxParts(LabelPrivateKey, "user-bob", 3), vectorPKCS8(t, "rsa4096-2"), "rsa4096-2", randOf(seq(0x11, 16), nonce)),
		pass("kind 2 with 64-byte salt, empty payload", "p", fastArgon2id, spaceCtx, nil, "", randOf(seq(0x21, 64), nonce)),
		rsa("kind 1 RSA, group key (envelope encryption of a PKCS #8)", "rsa4096-1", ctxParts(LabelGroupKey, "queue-cardio", 2), vectorPKCS8(t, "rsa4096-3"), "rsa4096-3"),
		pass("kind 2, passphrase with non-ASCII UTF-8", "pâté über 🔑", fastArgon2id, ctxParts(LabelSpaceSecret, vs.SpaceID, 2), mustHex(t, vs.Secrets["2"]), "", randOf(salt16, nonce)),
	)

	moved := func(name string, base envelopeVector, mod func(*envelopeVector)) envelopeVector {
		v := base
		v.Name = name
		v.Rand, v.SealPassphrase, v.SealKey = "", "", ""
		v.Payload, v.PayloadKey = "", ""
		v.Result = "incorrect key"
		mod(&v)
		return v
	}
	envBytes := func(v envelopeVector) []byte {
		b, _ := base64.RawURLEncoding.DecodeString(v.Envelope)
		return b
	}
	withBytes := func(b []byte) func(*envelopeVector) {
		return func(v *envelopeVector) { v.Envelope = base64.RawURLEncoding.EncodeToString(b) }
	}
	flip := func(v envelopeVector, i int) []byte {
		b := envBytes(v)
		if i < 0 {
			i += len(b)
		}
		b[i] ^= 1
		return b
	}
	otherSpace := func(v *envelopeVector) { v.Context = ctxParts(LabelSpaceSecret, "vault-other", 1) }
	otherVersion := func(v *envelopeVector) { v.Context = ctxParts(LabelSpaceSecret, vs.SpaceID, 2) }
	f.Vectors = append(f.Vectors,
		moved("kind 2, wrong passphrase", argon, func(v *envelopeVector) { v.Passphrase = "Correct horse battery staple" }),
		moved("kind 3, wrong passphrase", pbk, func(v *envelopeVector) { v.Passphrase = "" }),
		moved("kind 1, wrong recipient key", rsa1, func(v *envelopeVector) { v.Key = "rsa4096-2" }),
		moved("kind 1 opened with a passphrase", rsa1, func(v *envelopeVector) { v.Key = ""; v.Passphrase = "x" }),
		moved("kind 2 opened with a key", argon, func(v *envelopeVector) { v.Passphrase = ""; v.Key = "rsa4096-1" }),
		moved("kind 2, moved to another space", argon, otherSpace),
		moved("kind 3, moved to another version", pbk, otherVersion),
		moved("kind 1, moved to another space", rsa1, otherSpace),
		moved("kind 1, moved to another version", rsa1, otherVersion),
		moved("kind 1, space secret opened as a private key", rsa1, func(v *envelopeVector) { v.Context = ctxParts(LabelPrivateKey, vs.SpaceID, 1) }),
		moved("kind 2, flipped bit in salt", argon, withBytes(flip(argon, 6))),
		moved("kind 2, time changed 1 to 2", argon, withBytes(func() []byte { b := envBytes(argon); b[6+16+7] = 2; return b }())),
		moved("kind 2, flipped bit in nonce", argon, withBytes(flip(argon, 6+16+9))),
		moved("kind 2, flipped bit in tag", argon, withBytes(flip(argon, -1))),
		moved("kind 3, iterations changed", pbk, withBytes(func() []byte { b := envBytes(pbk); b[6+32+3] ^= 1; return b }())),
		moved("kind 1, flipped bit in fingerprint", rsa1, withBytes(flip(rsa1, 5))),
		moved("kind 1, key version changed", rsa1, withBytes(func() []byte { b := envBytes(rsa1); b[5+32+3] = 2; return b }())),
		moved("kind 1, flipped bit in wrapped key", rsa1, withBytes(flip(rsa1, 5+32+4+2+100))),
		moved("kind 1, flipped bit in payload", rsa1, withBytes(flip(rsa1, -20))),
	)

	// Work factors above the maxima: refused before any work (the key is
	// never derived, so the payload key is irrelevant).
	heavy := func(name string, pp PassphraseParams) envelopeVector {
		env, err := sealEnvelope(ctx, native, pp.header(salt16), seq(0, 32), tuple.Strings(spaceCtx...), secret)
		if err != nil {
			t.Fatal(err)
		}
		return envelopeVector{Name: name, Envelope: base64.RawURLEncoding.EncodeToString(env), Passphrase: "x", Context: spaceCtx, Result: "work factor too high"}
	}
	f.Vectors = append(f.Vectors,
		heavy("Argon2id memory 256 MiB + 1 KiB", PassphraseParams{KDF: KDFArgon2id, MemoryKiB: MaxArgon2idMemoryKiB + 1, Time: 1, Parallelism: 1}),
		heavy("Argon2id memory 4 GiB - 1 KiB", PassphraseParams{KDF: KDFArgon2id, MemoryKiB: 1<<32 - 1, Time: 1, Parallelism: 1}),
		heavy("Argon2id time 17", PassphraseParams{KDF: KDFArgon2id, MemoryKiB: 1024, Time: 17, Parallelism: 1}),
		heavy("Argon2id time 2^32-1", PassphraseParams{KDF: KDFArgon2id, MemoryKiB: 1024, Time: 1<<32 - 1, Parallelism: 1}),
		heavy("Argon2id parallelism 17", PassphraseParams{KDF: KDFArgon2id, MemoryKiB: 1024, Time: 1, Parallelism: 17}),
		heavy("Argon2id memory x time above 1 GiB-pass (128 MiB, t=9)", PassphraseParams{KDF: KDFArgon2id, MemoryKiB: 128 << 10, Time: 9, Parallelism: 4}),
		heavy("PBKDF2 10000001 iterations", PassphraseParams{KDF: KDFPBKDF2, Iterations: MaxPBKDF2Iterations + 1}),
		heavy("PBKDF2 2^32-1 iterations", PassphraseParams{KDF: KDFPBKDF2, Iterations: 1<<32 - 1}),
	)

	// Malformed envelopes.
	parse := func(name string, b []byte) envelopeVector {
		return envelopeVector{Name: name, Envelope: base64.RawURLEncoding.EncodeToString(b), Passphrase: "x", Context: spaceCtx, Result: "parse error"}
	}
	parseKey := func(name string, b []byte) envelopeVector {
		v := parse(name, b)
		v.Passphrase, v.Key = "", "rsa4096-1"
		return v
	}
	ab, rb, pb := envBytes(argon), envBytes(rsa1), envBytes(pbk)
	set := func(b []byte, i int, c byte) []byte { b = bytes.Clone(b); b[i] = c; return b }
	argonHeader := func(m, tm uint32, p uint8) []byte {
		return PassphraseParams{KDF: KDFArgon2id, MemoryKiB: m, Time: tm, Parallelism: p}.header(salt16)
	}
	withBody := func(h []byte) []byte { return append(append(bytes.Clone(h), nonce...), make([]byte, 48)...) }
	big := append(bytes.Clone(envBytes(argon)[:6+16+9+12]), make([]byte, MaxEnvelopePayload+17)...)
	f.Vectors = append(f.Vectors,
		parse("empty", nil),
		parse("magic only", envelopeMagic[:]),
		parse("bad magic", set(ab, 0, 'X')),
		parse("format version 1", set(ab, 3, 0x01)),
		parse("unknown kind 0", set(ab, 4, 0)),
		parse("unknown kind 4", set(ab, 4, 4)),
		parse("salt length 15", set(ab, 5, 15)),
		parse("salt length 65", set(ab, 5, 65)),
		parse("salt length 255, truncated", set(ab, 5, 255)),
		parse("truncated in the parameters", ab[:6+16+5]),
		parse("truncated in the nonce", ab[:6+16+9+6]),
		parse("no tag", ab[:6+16+9+12+15]),
		parse("Argon2id time 0", withBody(argonHeader(1024, 0, 1))),
		parse("Argon2id parallelism 0", withBody(argonHeader(1024, 1, 0))),
		parse("Argon2id memory below 8 x parallelism", withBody(argonHeader(31, 1, 4))),
		parse("PBKDF2 iterations 0", withBody(PassphraseParams{KDF: KDFPBKDF2}.header(salt16))),
		parse("PBKDF2 truncated", pb[:6+32+2]),
		parse("payload above 64 KiB", big),
		parseKey("kind 1, wrapped length 511", set(rb, 5+32+4+1, 0xff)),
		parseKey("kind 1, wrapped length 0", set(set(rb, 5+32+4, 0), 5+32+4+1, 0)),
		parseKey("kind 1, key version 0", func() []byte { b := bytes.Clone(rb); copy(b[5+32:], []byte{0, 0, 0, 0}); return b }()),
		parseKey("kind 1, truncated in the wrapped key", rb[:5+32+4+2+300]),
		parseKey("kind 1, truncated fingerprint", rb[:20]),
	)
	return f
}

func TestVectorsEnvelopes(t *testing.T) {
	var f envelopeFile
	writeOrRead(t, "envelopes.json", func() any { return genEnvelopeVectors(t) }, &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	ctx := context.Background()
	for _, p := range providers {
		for _, v := range f.Vectors {
			t.Run(p.Name()+"/"+v.Name, func(t *testing.T) {
				env, err := base64.RawURLEncoding.Strict().DecodeString(v.Envelope)
				if err != nil {
					t.Fatal(err)
				}
				var id Identity
				if v.Key != "" {
					id = vectorKeyWith(t, p, v.Key)
				} else {
					id = NewPassphraseIdentity(p, v.Passphrase)
				}
				envCtx := tuple.Strings(v.Context...)
				got, err := id.Unwrap(ctx, envCtx, env)
				if o := outcome(err); o != v.Result {
					t.Fatalf("open: got %q (%v), want %q", o, err, v.Result)
				}
				if v.Result != "success" {
					return
				}
				want := mustHex(t, v.Payload)
				if v.PayloadKey != "" {
					want = vectorPKCS8(t, v.PayloadKey)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("open: payload differs")
				}
				info, err := InspectEnvelope(env)
				if err != nil {
					t.Fatal(err)
				}
				if v.Key != "" && info.Fingerprint != vectorKeyWith(t, p, v.Key).Fingerprint() {
					t.Fatal("header fingerprint is not the recipient's")
				}
				// Sealed keys open through the key holder API too.
				if v.PayloadKey != "" {
					kv, _ := api.ParseKeyVersion(v.Context[2])
					var k *KeyHolder
					switch v.Context[0] {
					case LabelPrivateKey:
						// id has the derived key cached: OpenSealedKey
						// itself is tested in TestSealedKey.
						k, err = openKey(ctx, p, id, env, PrivateKeyContext(v.Context[1], kv), kv, false)
					case LabelGroupKey:
						k, err = OpenGroupKey(ctx, p, id, env, v.Context[1], kv, false)
					default:
						t.Fatalf("payload_key with context %q", v.Context[0])
					}
					if err != nil {
						t.Fatal(err)
					}
					if k.Fingerprint() != vectorKeyWith(t, p, v.PayloadKey).Fingerprint() {
						t.Fatal("opened key has the wrong fingerprint")
					}
				}
				if v.Rand == "" {
					return
				}
				params := info.Params
				params.InsecureAllowWeak = true
				r, err := NewPassphraseRecipientWithParams(p, v.SealPassphrase, params)
				if err != nil {
					t.Fatal(err)
				}
				sealCtx := envCtx
				if v.SealContext != nil {
					sealCtx = tuple.Strings(v.SealContext...)
				}
				rr := withRand(t, mustHex(t, v.Rand))
				again, err := r.Wrap(ctx, sealCtx, want)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, env) || rr.Len() != 0 {
					t.Fatal("seal: envelope differs from the vector")
				}
			})
		}
	}
}

// ---- blobs ----

type blobVector struct {
	Name      string `json:"name"`
	SpaceID   string `json:"space_id,omitempty"`
	BlobID    string `json:"blob_id"`
	Rand      string `json:"rand,omitempty"`      // hex: the header salt
	Version   uint32 `json:"version,omitempty"`   // secret version sealed under
	Plaintext string `json:"plaintext,omitempty"` // hex
	Blob      string `json:"blob"`                // base64url
	Result    string `json:"result"`
}

type blobFile struct {
	Description string `json:"description"`
	vectorSpace
	Vectors []blobVector `json:"vectors"`
}

func genBlobVectors(t *testing.T) any {
	ctx := context.Background()
	vs := testVectorSpace()
	s := vs.space(t, "")
	f := blobFile{Description: "blobs through the space API (docs/spec/02-spaces-envelopes.md, blob key; stream format in docs/spec/05-blobs.md). result: success, corrupt blob, unknown key version.", vectorSpace: vs}
	enc := func(name, blobID string, v uint32, plain, salt []byte) blobVector {
		if err := s.SetCurrent(v); err != nil {
			t.Fatal(err)
		}
		withRand(t, salt)
		var buf bytes.Buffer
		w, err := s.EncryptBlob(ctx, blobID, &buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plain)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		testRand = nil
		return blobVector{Name: name, BlobID: blobID, Rand: hex.EncodeToString(salt), Version: v, Plaintext: hex.EncodeToString(plain), Blob: base64.RawURLEncoding.EncodeToString(buf.Bytes()), Result: "success"}
	}
	hello := enc("100 bytes", "blob-1", 1, bytes.Repeat([]byte("zkvault "), 13)[:100], seq(0x01, 32))
	f.Vectors = append(f.Vectors, hello,
		enc("empty", "blob-2", 1, nil, seq(0x21, 32)),
		enc("secret version 2", "blob-3", 2, []byte("attachment body"), seq(0x41, 32)),
	)
	raw, _ := base64.RawURLEncoding.DecodeString(hello.Blob)
	mod := func(name string, mutate func(v *blobVector)) blobVector {
		v := blobVector{Name: name, BlobID: hello.BlobID, Blob: hello.Blob, Result: "corrupt blob"}
		mutate(&v)
		return v
	}
	bytesMod := func(f func(b []byte) []byte) func(v *blobVector) {
		return func(v *blobVector) { v.Blob = base64.RawURLEncoding.EncodeToString(f(bytes.Clone(raw))) }
	}
	f.Vectors = append(f.Vectors,
		mod("moved to another blob id", func(v *blobVector) { v.BlobID = "blob-9" }),
		mod("moved to another space", func(v *blobVector) { v.SpaceID = "vault-other" }),
		mod("header salt changed", bytesMod(func(b []byte) []byte { b[20] ^= 1; return b })),
		mod("header key version changed to 2", bytesMod(func(b []byte) []byte { b[7] = 2; return b })),
		mod("header key version not in keyring", func(v *blobVector) {
			b := bytes.Clone(raw)
			b[7] = 3
			v.Blob = base64.RawURLEncoding.EncodeToString(b)
			v.Result = "unknown key version"
		}),
		mod("flipped bit in chunk", bytesMod(func(b []byte) []byte { b[60] ^= 1; return b })),
		mod("truncated", bytesMod(func(b []byte) []byte { return b[:len(b)-1] })),
		mod("header only", bytesMod(func(b []byte) []byte { return b[:44] })),
	)
	return f
}

func TestVectorsBlobs(t *testing.T) {
	var f blobFile
	writeOrRead(t, "blobs.json", func() any { return genBlobVectors(t) }, &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	ctx := context.Background()
	for _, p := range providers {
		for _, v := range f.Vectors {
			t.Run(p.Name()+"/"+v.Name, func(t *testing.T) {
				s := f.spaceWith(t, p, v.SpaceID)
				blob, err := base64.RawURLEncoding.Strict().DecodeString(v.Blob)
				if err != nil {
					t.Fatal(err)
				}
				var got []byte
				r, err := s.DecryptBlob(ctx, v.BlobID, bytes.NewReader(blob))
				if err == nil {
					got, err = io.ReadAll(r)
				}
				if o := outcome(err); o != v.Result {
					t.Fatalf("DecryptBlob: got %q (%v), want %q", o, err, v.Result)
				}
				var gotAt []byte
				ra, err := s.OpenBlobAt(ctx, v.BlobID, bytes.NewReader(blob), int64(len(blob)))
				if err == nil {
					gotAt = make([]byte, ra.Size())
					_, err = ra.ReadAt(gotAt, 0)
					if errors.Is(err, io.EOF) {
						err = nil
					}
				}
				if o := outcome(err); o != v.Result {
					t.Fatalf("OpenBlobAt: got %q (%v), want %q", o, err, v.Result)
				}
				if v.Result != "success" {
					return
				}
				want := mustHex(t, v.Plaintext)
				if !bytes.Equal(got, want) || !bytes.Equal(gotAt, want) {
					t.Fatal("plaintext differs")
				}
				if err := s.SetCurrent(v.Version); err != nil {
					t.Fatal(err)
				}
				withRand(t, mustHex(t, v.Rand))
				var buf bytes.Buffer
				w, err := s.EncryptBlob(ctx, v.BlobID, &buf)
				if err != nil {
					t.Fatal(err)
				}
				w.Write(want)
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), blob) {
					t.Fatal("EncryptBlob: blob differs from the vector")
				}
			})
		}
	}
}
