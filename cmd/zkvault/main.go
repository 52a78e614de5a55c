// Command zkvault is the zkvault storage server in one binary: the API, the
// embedded database and the dashboard.
//
//	zkvault serve  [--addr 127.0.0.1:8080] [--data ./data]
//	zkvault backup [--addr …] [--data …] FILE
//
// Every flag can also be set by an environment variable: --addr is
// ZKVAULT_ADDR, --data is ZKVAULT_DATA, and so on. A flag on the command
// line wins over the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/zkvault/zkvault/server"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store/boltstore"
	"github.com/zkvault/zkvault/static"
)

const usage = `zkvault: the zkvault storage server (it stores only ciphertext, public keys
and blind indexes; it cannot decrypt).

Usage:
  zkvault serve  [flags]        serve the API (/api/v1), the dashboard (/) and /healthz
  zkvault backup [flags] FILE   write a consistent copy of the database to FILE,
                                from the running server, or from the data
                                directory if no server runs
  zkvault help [command]        show this help, or a command's flags

Every flag is also an environment variable: --addr is ZKVAULT_ADDR, --data is
ZKVAULT_DATA, --max-blob is ZKVAULT_MAX_BLOB; a flag given on the command line
wins.

On its first run the server writes an admin secret to DATA/admin.secret (mode
0600); send it as "Authorization: Bearer <secret>" to administer the server
and to create tokens for principals (POST /api/v1/tokens). The API is
described at /api/v1/openapi.json.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, stdout, stderr)
	case "backup":
		return backup(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && (rest[0] == "serve" || rest[0] == "backup") {
			return run([]string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "zkvault: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// flags is a flag set whose defaults come from ZKVAULT_* variables.
type flags struct {
	*flag.FlagSet
	errs []error
}

func newFlags(name, synopsis string, stderr io.Writer) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: zkvault %s\n\nFlags (each also an environment variable):\n", synopsis)
		fs.PrintDefaults()
	}
	return &flags{FlagSet: fs}
}

func envName(flagName string) string {
	return "ZKVAULT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *flags) str(name, def, help string) *string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v
	}
	return f.String(name, def, help+" ($"+envName(name)+")")
}

func (f *flags) dur(name string, def time.Duration, help string) *time.Duration {
	if v, ok := os.LookupEnv(envName(name)); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("$%s: %v", envName(name), err))
		}
		def = d
	}
	return f.Duration(name, def, help+" ($"+envName(name)+")")
}

func (f *flags) i64(name string, def int64, help string) *int64 {
	if v, ok := os.LookupEnv(envName(name)); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("$%s: %v", envName(name), err))
		}
		def = n
	}
	return f.Int64(name, def, help+" ($"+envName(name)+")")
}

func (f *flags) parse(args []string, stderr io.Writer) (ok bool, code int) {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, 0
		}
		return false, 2
	}
	if len(f.errs) > 0 {
		fmt.Fprintln(stderr, "zkvault:", errors.Join(f.errs...))
		return false, 2
	}
	return true, 0
}

func serve(args []string, stdout, stderr io.Writer) int {
	f := newFlags("serve", "serve [flags]", stderr)
	addr := f.str("addr", "127.0.0.1:8080", "address to listen on")
	data := f.str("data", "./data", "data directory (database, blobs, admin secret)")
	maxBlob := f.i64("max-blob", service.DefaultLimits.MaxBlobBytes, "largest blob in bytes")
	grace := f.dur("shutdown-grace", 30*time.Second, "how long requests in flight may finish on shutdown")
	if ok, code := f.parse(args, stderr); !ok {
		return code
	}
	if f.NArg() > 0 {
		fmt.Fprintf(stderr, "zkvault serve: unexpected argument %q\n", f.Arg(0))
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serveMain(log, stdout, *addr, *data, *maxBlob, *grace); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

func serveMain(log *slog.Logger, stdout io.Writer, addr, data string, maxBlob int64, grace time.Duration) error {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	secret, created, err := service.LoadOrCreateAdminSecret(data)
	if err != nil {
		return err
	}
	if created {
		log.Info("admin secret created; keep it safe", "file", filepath.Join(data, service.AdminSecretFile))
	}
	st, err := boltstore.Open(data, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	limits := service.DefaultLimits
	limits.MaxBlobBytes = maxBlob
	svc, err := service.New(service.Config{Store: st, AdminSecret: secret, Limits: limits, Logger: log})
	if err != nil {
		return err
	}
	defer svc.Close()
	srv := server.New(server.Config{Service: svc, Static: static.FS, Logger: log})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// The first line on stdout names the address (useful with port 0).
	fmt.Fprintf(stdout, "zkvault listening on http://%s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = srv.Serve(ctx, ln, grace)
	log.Info("stopped", "err", err)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func backup(args []string, stdout, stderr io.Writer) int {
	f := newFlags("backup", "backup [flags] FILE", stderr)
	addr := f.str("addr", "127.0.0.1:8080", "address of the running server")
	data := f.str("data", "./data", "data directory (for the admin secret, or the database if no server runs)")
	if ok, code := f.parse(args, stderr); !ok {
		return code
	}
	if f.NArg() != 1 {
		f.Usage()
		return 2
	}
	if err := backupMain(*addr, *data, f.Arg(0), stdout); err != nil {
		fmt.Fprintln(stderr, "zkvault backup:", err)
		return 1
	}
	return 0
}

func backupMain(addr, data, file string, stdout io.Writer) error {
	tmp := file + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	from, err := backupHTTP(addr, data, out)
	if err != nil {
		var ne *net.OpError
		if !errors.As(err, &ne) || ne.Op != "dial" {
			out.Close()
			return err
		}
		// No server runs: copy from the data directory.
		if _, err := out.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := out.Truncate(0); err != nil {
			return err
		}
		st, err := boltstore.Open(data, &boltstore.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			out.Close()
			return err
		}
		_, err = st.Backup(context.Background(), out)
		st.Close()
		if err != nil {
			out.Close()
			return err
		}
		from = filepath.Join(data, boltstore.DBFile)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := checkDB(tmp); err != nil {
		return fmt.Errorf("the copy does not check out: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s\n", from, file)
	return nil
}

func backupHTTP(addr, data string, w io.Writer) (string, error) {
	secret, err := os.ReadFile(filepath.Join(data, service.AdminSecretFile))
	if err != nil {
		return "", fmt.Errorf("reading the admin secret: %w", err)
	}
	url := "http://" + addr + server.APIPrefix + "/backup"
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(secret)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return "", fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(b)))
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return "", err
	}
	return url, nil
}

// checkDB opens a database file read-only and runs bbolt's check.
func checkDB(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}
