package legacy_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/zkvault/zkvault/wasm/legacy"
	"github.com/zkvault/zkvault/wasm/prim"
)

// A migrator derives the keys once, decrypts each stored field (taking a
// value that is not encrypted as plaintext, as the legacy dashboard did) and
// checks a blind index against the decrypted value.
func Example() {
	ctx := context.Background()
	keys, err := legacy.DeriveKeys(ctx, prim.Native(), "correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}

	// A row of a legacy whatsapp_messages export.
	row := map[string]string{
		"text":                   "enc:v1:lqE/c7nZ+HeySsAj:li1ZK7CUbpxFKauZmFjJWw==:HeuZPmvwWBNDs2v+5A==",
		"chatName":               "Family Chat",
		"senderPhoneNumberIndex": "d57892bdcd494dc8872a3c0c8ba974655830c45936c5b32149047c2b1960a11b",
	}

	for _, field := range []string{"text", "chatName"} {
		v, err := keys.DecryptString(ctx, row[field])
		switch {
		case errors.Is(err, legacy.ErrNotEncrypted):
			v = row[field] // stored in clear
		case err != nil:
			log.Fatalf("%s: %v", field, err) // wrong passphrase or damaged value
		}
		fmt.Printf("%s: %s\n", field, v)
	}

	phone := legacy.NormalizePhone("+1 (555) 010-9999")
	idx, err := keys.Index(ctx, phone)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(phone, idx)

	ok, err := keys.VerifyIndex(ctx, phone, row["senderPhoneNumberIndex"])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored index matches:", ok)
	// Output:
	// text: Hello, world!
	// chatName: Family Chat
	// +15550109999 d57892bdcd494dc8872a3c0c8ba974655830c45936c5b32149047c2b1960a11b
	// stored index matches: true
}
