// Command handover prints the key-handover text of a vault, as the ingest
// client puts it in the dashboard's URL fragment: it opens the space (JSON
// on stdin, as GET /api/v1/spaces/{id} returns it) with the passphrase in
// $ZKVAULT_TEST_PASSPHRASE, natively, and writes the keyring in base64url.
// Test helper of static/test/dashboard.test.js (testdata: not built by go ./...).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/zkvault/zkvault/api"
	zkvault "github.com/zkvault/zkvault/wasm"
	"github.com/zkvault/zkvault/wasm/prim"
)

func main() {
	var sp api.Space
	if err := json.NewDecoder(os.Stdin).Decode(&sp); err != nil {
		fmt.Fprintln(os.Stderr, "handover:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	p := prim.Native()
	s, err := zkvault.OpenSpace(ctx, p, sp, zkvault.NewPassphraseIdentity(p, os.Getenv("ZKVAULT_TEST_PASSPHRASE")))
	if err != nil {
		fmt.Fprintln(os.Stderr, "handover:", err)
		os.Exit(1)
	}
	text, err := s.HandoverKey(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "handover:", err)
		os.Exit(1)
	}
	fmt.Print(text)
}
