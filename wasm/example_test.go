package zkvault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/zkvault/zkvault/api"
	zkvault "github.com/zkvault/zkvault/wasm"
	"github.com/zkvault/zkvault/wasm/prim"
)

func ExampleNewSpace() {
	ctx := context.Background()
	p := prim.Native()

	space, err := zkvault.NewSpace(ctx, p, "vault-1")
	if err != nil {
		log.Fatal(err)
	}
	ref := zkvault.FieldRef{Collection: "notes", RecordID: "note-1", Field: "body"}
	ct, err := space.SealField(ctx, ref, []byte("meet at noon"), true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(ct, "enc:v2:1:"))

	plain, err := space.OpenField(ctx, ref, ct)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(plain))

	// The same ciphertext under another field name does not open.
	ref.Field = "title"
	_, err = space.OpenField(ctx, ref, ct)
	fmt.Println(errors.Is(err, zkvault.ErrIncorrectKey))
	// Output:
	// true
	// meet at noon
	// true
}

func ExamplePassphraseRecipient() {
	ctx := context.Background()
	p := prim.Native()

	// Create a vault and wrap its secret under the owner's passphrase
	// (Argon2id, 64 MiB, 3 passes, 4 lanes).
	space, err := zkvault.NewSpace(ctx, p, "vault-1")
	if err != nil {
		log.Fatal(err)
	}
	owner, err := zkvault.NewPassphraseRecipient(p, "correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	env, err := space.Envelope(ctx, owner)
	if err != nil {
		log.Fatal(err)
	}
	stored := api.Space{ID: "vault-1", Kind: api.KindVault, Encrypted: true, SecretVersion: 1, Envelopes: []api.Envelope{env}}
	fmt.Println(env.Kind, env.SecretVersion)

	// Later, in the browser: unlock with the passphrase. A wrong one is
	// zkvault.ErrIncorrectKey.
	unlocked, err := zkvault.OpenSpace(ctx, p, stored, zkvault.NewPassphraseIdentity(p, "correct horse battery staple"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(unlocked.Versions())
	// Output:
	// passphrase 1
	// [1]
}

func ExampleKeyHolder() {
	ctx := context.Background()
	p := prim.Native()

	// A user's key pair, made on their device. Only the public key and the
	// sealed private key go to the server.
	alice, err := zkvault.GenerateKeyHolder(ctx, p, 1, true)
	if err != nil {
		log.Fatal(err)
	}
	sealed, err := alice.SealWithPassphrase(ctx, "user-alice", "tulip-anchor-velvet-42", zkvault.DefaultPBKDF2())
	if err != nil {
		log.Fatal(err)
	}
	principal := zkvault.PrincipalOf(alice, "user-alice", api.PrincipalUser, sealed)

	// A colleague wraps a follow-up's secret for Alice, after checking her
	// principal's fingerprint against its public key.
	followUp, err := zkvault.NewSpace(ctx, p, "followup-1")
	if err != nil {
		log.Fatal(err)
	}
	to, err := zkvault.PrincipalRecipient(ctx, p, principal)
	if err != nil {
		log.Fatal(err)
	}
	env, err := followUp.Envelope(ctx, to)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(env.Kind, env.Principal, env.Fingerprint == principal.Fingerprint)

	// On a new device Alice unlocks her key (kept non-extractable) with her
	// passphrase, then opens the follow-up.
	key, err := zkvault.OpenSealedKey(ctx, p, sealed, "tulip-anchor-velvet-42", "user-alice", 1, false)
	if err != nil {
		log.Fatal(err)
	}
	space, err := zkvault.OpenSpace(ctx, p, api.Space{ID: "followup-1", Envelopes: []api.Envelope{env}}, key)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(space.ID(), len(zkvault.FormatFingerprint(key.Fingerprint())))
	// Output:
	// principal user-alice true
	// followup-1 79
}

func ExampleSpace_EncryptBlob() {
	ctx := context.Background()
	space, err := zkvault.NewSpace(ctx, prim.Native(), "vault-1")
	if err != nil {
		log.Fatal(err)
	}
	var stored bytes.Buffer
	w, err := space.EncryptBlob(ctx, "blob-42", &stored)
	if err != nil {
		log.Fatal(err)
	}
	io.WriteString(w, "attachment bytes")
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	r, err := space.DecryptBlob(ctx, "blob-42", &stored)
	if err != nil {
		log.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
	// Output: attachment bytes
}

func ExampleFormatFingerprint() {
	var fp zkvault.Fingerprint
	copy(fp[:], bytes.Repeat([]byte{0xab, 0xcd}, 16))
	fmt.Println(zkvault.FormatFingerprint(fp))
	// Output: abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd
}

func ExampleSpace_SealRecord() {
	ctx := context.Background()
	p := prim.Native()
	space, err := zkvault.NewSpace(ctx, p, "vault-1")
	if err != nil {
		log.Fatal(err)
	}
	schema, _ := zkvault.Schema("whatsapp_messages")

	// The ingest client seals a message: encrypted fields become enc:v2
	// ciphertexts, plaintext fields stay, blind indexes are added.
	rec, err := space.SealRecord(ctx, schema, "wa-1", map[string]any{
		"text":              "See you at 8",
		"senderName":        "Zoë Müller",
		"senderPhoneNumber": "079 555 01 23",
		"timestamp":         1763800000000,
		"isFromMe":          false,
	}, zkvault.RecordOptions{Region: "CH"})
	if err != nil {
		log.Fatal(err)
	}
	var text string
	json.Unmarshal(rec.Fields["text"], &text)
	fmt.Println(strings.HasPrefix(text, "enc:v2:1:"), string(rec.Fields["timestamp"]), len(rec.Index["senderPhoneNumber"]))

	// The dashboard searches by phone number: the query goes to the server
	// as blind-index values only.
	q, err := space.IndexValues(ctx, schema, "senderPhoneNumber", []string{"+41795550123"}, zkvault.RecordOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(q[0] == rec.Index["senderPhoneNumber"][0])

	// ... and opens what the server returned, dropping false positives.
	opened, err := space.OpenRecord(ctx, schema, rec)
	if err != nil {
		log.Fatal(err)
	}
	// Matches normalises the record's values with the options it was
	// sealed with.
	ok, _ := zkvault.Matches(schema, "senderPhoneNumber", opened, []string{"+41795550123"}, zkvault.RecordOptions{Region: "CH"})
	fmt.Println(opened.Fields["text"], opened.Fields["senderName"], ok, len(opened.Errors))
	// Output:
	// true 1763800000000 1
	// true
	// See you at 8 Zoë Müller true 0
}
