// Command zkvault-ingest is the ingest client of a zkvault personal vault:
// the desktop client's role. It creates a vault on a server (init), turns
// files into encrypted records and blobs and uploads them (import),
// re-encrypts the JSON export of an existing vault of the contexter kind
// (migrate), prints the dashboard address that unlocks the vault in a
// browser (open), and counts what the server holds (status).
//
//	go run ./examples/ingest init    --server http://127.0.0.1:8080 --vault me
//	go run ./examples/ingest import  --vault me --region US ~/export/
//	go run ./examples/ingest migrate --vault me vault-export.json
//	go run ./examples/ingest open    --vault me
//	go run ./examples/ingest status  --vault me
//
// Every flag can be given in the environment (ZKVAULT_SERVER,
// ZKVAULT_TOKEN or ZKVAULT_TOKEN_FILE, ZKVAULT_VAULT,
// ZKVAULT_PASSPHRASE_FILE, ZKVAULT_STATE_DIR, ZKVAULT_REGION, ZKVAULT_TZ).
// examples/ingest/README.md documents the accepted files.
//
// # Security
//
// All encryption happens here, with the native provider: the server
// receives sealed records, encrypted blob streams, blind indexes and the
// passphrase envelope of the vault's secret. The passphrase is read from
// the terminal without echo, or from a file; never from the command line.
// The vault's key leaves this program only in the fragment of the address
// that open prints (which browsers do not send to the server). Ids derived
// from content are keyed with the vault's id key; the local state file
// holds ids and keyed digests, no plaintext. Messages name files, lines,
// collections and ids, never field values.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/zkvault/zkvault/examples/ingest/internal/progress"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first interrupt (which lets the import stop
		// cleanly), a second one ends the program at once.
		<-ctx.Done()
		stop()
	}()
	a := &app{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		stderrTTY: progress.IsTerminal(os.Stderr),
	}
	err := a.run(ctx, os.Args[1:])
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "zkvault-ingest:", err)
		os.Exit(1)
	}
}

// app is one run of the command, with its environment (replaced in tests).
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stderrTTY      bool
	// httpClient, if set, is used for every request (tests).
	httpClient *http.Client
	// afterBatch, if set, is called after each acknowledged batch with
	// the number of batches so far (tests interrupt an import with it).
	afterBatch func(n int)
	// last is the summary of the last import or migrate (tests).
	last *Summary
}

// errUsage reports a usage error already printed.
var errUsage = errors.New("usage")

const usage = `zkvault-ingest: the ingest client of a zkvault personal vault

usage: zkvault-ingest <command> [flags] [arguments]

commands:
  init      create the vault on the server, its secret wrapped for your passphrase
  import    encrypt and upload files (JSON/NDJSON, WhatsApp .txt, vCard, screenshots)
  migrate   re-encrypt the JSON export of an existing (enc:v1) vault into this one
  open      print the dashboard address that unlocks the vault (key in the fragment)
  status    count the records the server holds, per collection

"zkvault-ingest <command> --help" describes each command and its flags.
Every flag is also an environment variable: --server is ZKVAULT_SERVER,
--vault ZKVAULT_VAULT, --passphrase-file ZKVAULT_PASSPHRASE_FILE, and so on.
The bearer credential (the server's write secret or a token) is read from
ZKVAULT_TOKEN, or from the file named by --token-file / ZKVAULT_TOKEN_FILE.
`

func (a *app) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(a.stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "init":
		return a.cmdInit(ctx, rest)
	case "import":
		return a.cmdImport(ctx, rest)
	case "migrate":
		return a.cmdMigrate(ctx, rest)
	case "open":
		return a.cmdOpen(ctx, rest)
	case "status":
		return a.cmdStatus(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(a.stdout, usage)
		return nil
	}
	fmt.Fprintf(a.stderr, "zkvault-ingest: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
