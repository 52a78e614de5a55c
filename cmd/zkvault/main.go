// Command zkvault is the zkvault storage server in one binary: the API, the
// embedded database and the dashboard.
//
//	zkvault serve  [--addr 127.0.0.1:8080] [--data ./data]
//	zkvault backup [--addr …] [--data …] FILE
//	zkvault restore [--data …] [--force] FILE
//
// Every flag can also be set by an environment variable: --addr is
// ZKVAULT_ADDR, --data is ZKVAULT_DATA, and so on. A flag on the command
// line wins over the environment.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/zkvault/zkvault/server"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store/boltstore"
	"github.com/zkvault/zkvault/static"
)

const usage = `zkvault: the zkvault storage server (it stores only ciphertext, public keys
and blind indexes; it cannot decrypt).

Usage:
  zkvault serve  [flags]        serve the API (/api/v1), the dashboard (/) and /healthz
  zkvault backup [flags] FILE   write a consistent point-in-time copy of the
                                database and of every file (blob) it references
                                to FILE (- for stdout), one tar archive,
                                verified as written: from the running server, or
                                from the data directory if no server runs
  zkvault restore [flags] FILE  check a backup (FILE, or - for stdin) entirely
                                and make --data a data directory holding it (a
                                new or empty directory, or --force: the old one
                                is moved aside)
  zkvault help [command]        show this help, or a command's flags

Every flag is also an environment variable: --addr is ZKVAULT_ADDR, --data is
ZKVAULT_DATA, --max-blob is ZKVAULT_MAX_BLOB; a flag given on the command line
wins. (Not restore's --force: replacing a data directory is asked for each time.)

Credentials:
  admin secret      written to DATA/admin.secret (mode 0600) on the first run;
                    "Authorization: Bearer <secret>" administers the server from
                    the command line (zkvault backup uses it).
  dashboard secret  $ZKVAULT_DASHBOARD_SECRET, or the file --dashboard-secret-file,
                    or generated on the first run and printed once on stderr;
                    exchanged at POST /api/v1/session for a session cookie.
  write secret      $ZKVAULT_WRITE_SECRET, or the file --write-secret-file, or
                    generated on the first run and printed once; the ingest
                    client's bearer: writes as --write-principal, reads nothing.
  tokens            made in the dashboard (POST /api/v1/tokens): scopes, spaces,
                    a data window, an expiry.
  invitations       one-time tokens for team members (POST /api/v1/invitations);
                    redeeming one starts a session and returns the member's
                    login secret for later logins.
Only hashes of the dashboard secret, the write secret, tokens, invitations,
login secrets and sessions are stored; the key that MACs session cookies is
DATA/session.key (mode 0600). The API is described at /api/v1/openapi.json.
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
	case "restore":
		return restore(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && (rest[0] == "serve" || rest[0] == "backup" || rest[0] == "restore") {
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
	pos  []string // the arguments that are not flags
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

func (f *flags) float(name string, def float64, help string) *float64 {
	if v, ok := os.LookupEnv(envName(name)); ok {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("$%s: %v", envName(name), err))
		}
		def = n
	}
	return f.Float64(name, def, help+" ($"+envName(name)+")")
}

func (f *flags) boolean(name string, def bool, help string) *bool {
	if v, ok := os.LookupEnv(envName(name)); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("$%s: %v", envName(name), err))
		}
		def = b
	}
	return f.Bool(name, def, help+" ($"+envName(name)+")")
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

// parse parses args; flags may come after the other arguments too
// (zkvault restore FILE --data DIR), except after "--".
func (f *flags) parse(args []string, stderr io.Writer) (ok bool, code int) {
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return false, 0
			}
			return false, 2
		}
		rest := f.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			f.pos = append(f.pos, rest...)
			break
		}
		f.pos = append(f.pos, rest[0])
		args = rest[1:]
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
	var o serveOptions
	o.dashboardFile = f.str("dashboard-secret-file", "", "file holding the dashboard secret (else $ZKVAULT_DASHBOARD_SECRET, else the stored one, else one generated and printed once)")
	o.writeFile = f.str("write-secret-file", "", "file holding the ingest clients' write secret (else $ZKVAULT_WRITE_SECRET, else stored, else generated and printed once)")
	o.writePrincipal = f.str("write-principal", "owner", "principal the write secret acts as (created on first use)")
	o.trustedProxy = f.str("trusted-proxy", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (none: the TCP peer is the client)")
	o.tlsCert = f.str("tls-cert", "", "TLS certificate file (PEM); with --tls-key, serve HTTPS (Secure cookies, HSTS)")
	o.tlsKey = f.str("tls-key", "", "TLS private key file (PEM)")
	o.tlsProxy = f.boolean("tls-proxy", false, "clients reach the server over HTTPS through a proxy even if it sends no X-Forwarded-Proto (Secure cookies, HSTS)")
	o.rate = f.float("rate-limit", 100, "requests per second per client address (0: no limit)")
	o.burst = f.i64("rate-burst", 200, "burst of requests per client address")
	o.credRate = f.float("credential-rate-limit", 100, "requests per second per credential: token, session, secret (0: no limit)")
	o.credBurst = f.i64("credential-rate-burst", 200, "burst of requests per credential")
	o.maxStreams = f.i64("max-streams", server.DefaultMaxStreams, "concurrent blob and backup transfers")
	o.streamTimeout = f.dur("stream-timeout", server.DefaultStreamTimeout, "longest blob or backup transfer")
	o.readTimeout = f.dur("read-timeout", server.DefaultReadTimeout, "longest time to read any other request")
	o.writeTimeout = f.dur("write-timeout", server.DefaultWriteTimeout, "longest time to write any other answer")
	o.loginFailures = f.i64("login-failures", service.DefaultLoginFailures, "failed logins from one client address that block it (429)")
	o.loginWindow = f.dur("login-window", service.DefaultLoginWindow, "the window in which failed logins count")
	o.retention = f.dur("log-retention", 90*24*time.Hour, "how long write, read and login logs are kept (0: forever)")
	if ok, code := f.parse(args, stderr); !ok {
		return code
	}
	if len(f.pos) > 0 {
		fmt.Fprintf(stderr, "zkvault serve: unexpected argument %q\n", f.pos[0])
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serveMain(log, stdout, stderr, *addr, *data, *maxBlob, *grace, &o); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

// serveOptions are serve's flags about access control and limits.
type serveOptions struct {
	dashboardFile, writeFile, writePrincipal, trustedProxy, tlsCert, tlsKey *string
	tlsProxy                                                                *bool
	rate, credRate                                                          *float64
	burst, credBurst, maxStreams, loginFailures                             *int64
	streamTimeout, readTimeout, writeTimeout, retention, loginWindow        *time.Duration
}

// secretFrom reads a secret from a file, or else from an environment
// variable (never from the command line, which other users can see).
func secretFrom(file, env string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv(env), nil
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			a, err := netip.ParseAddr(p)
			if err != nil {
				return nil, fmt.Errorf("--trusted-proxy: %v", err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxy: %v", err)
		}
		out = append(out, pr.Masked())
	}
	return out, nil
}

func serveMain(log *slog.Logger, stdout, stderr io.Writer, addr, data string, maxBlob int64, grace time.Duration, o *serveOptions) error {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	dashboard, err := secretFrom(*o.dashboardFile, "ZKVAULT_DASHBOARD_SECRET")
	if err != nil {
		return err
	}
	write, err := secretFrom(*o.writeFile, "ZKVAULT_WRITE_SECRET")
	if err != nil {
		return err
	}
	trusted, err := parsePrefixes(*o.trustedProxy)
	if err != nil {
		return err
	}
	if (*o.tlsCert == "") != (*o.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	sessionKey, err := service.LoadOrCreateSessionKey(data)
	if err != nil {
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
	svc, err := service.New(service.Config{Store: st, AdminSecret: secret, Limits: limits, Logger: log,
		DashboardSecret: dashboard, WriteSecret: write, WritePrincipal: *o.writePrincipal,
		SessionKey: sessionKey, LogRetention: *o.retention, LoginFailures: int(*o.loginFailures), LoginWindow: *o.loginWindow})
	if err != nil {
		return err
	}
	defer svc.Close()
	// Generated secrets are shown once, here, and stored only hashed.
	if d, w := svc.GeneratedSecrets(); d != "" || w != "" {
		fmt.Fprintln(stderr, "zkvault: first run: these secrets are shown once and stored only as hashes; keep them now.")
		if d != "" {
			fmt.Fprintln(stderr, "  dashboard secret (log in to the dashboard):    ", d)
		}
		if w != "" {
			fmt.Fprintln(stderr, "  write secret (the ingest client's bearer):     ", w)
		}
	}
	srv := server.New(server.Config{Service: svc, Static: static.FS, Logger: log,
		TrustedProxies: trusted, TLS: *o.tlsCert != "" || *o.tlsProxy,
		RateLimit:  server.RateLimit{PerAddr: *o.rate, AddrBurst: int(*o.burst), PerCredential: *o.credRate, CredentialBurst: int(*o.credBurst)},
		MaxStreams: int(*o.maxStreams), StreamTimeout: *o.streamTimeout, ReadTimeout: *o.readTimeout, WriteTimeout: *o.writeTimeout})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if *o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*o.tlsCert, *o.tlsKey)
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}})
		scheme = "https"
	}
	// The first line on stdout names the address (useful with port 0).
	fmt.Fprintf(stdout, "zkvault listening on %s://%s\n", scheme, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = srv.Serve(ctx, ln, grace)
	log.Info("stopped", "err", err)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// stdin is where restore reads an archive named "-" (tests replace it).
var stdin io.Reader = os.Stdin

// isTerminal says whether r or w is a terminal (where an archive is neither
// written nor read).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && isatty.IsTerminal(file.Fd())
}

func backup(args []string, stdout, stderr io.Writer) int {
	f := newFlags("backup", "backup [flags] FILE (- for stdout)", stderr)
	addr := f.str("addr", "127.0.0.1:8080", "address of the running server")
	data := f.str("data", "./data", "data directory (for the admin secret, or the database and blobs if no server runs)")
	if ok, code := f.parse(args, stderr); !ok {
		return code
	}
	if len(f.pos) != 1 {
		f.Usage()
		return 2
	}
	if err := backupMain(*addr, *data, f.pos[0], stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "zkvault backup:", err)
		return 1
	}
	return 0
}

// backupMain writes a backup archive to file: from the server at addr, or
// from the data directory if none listens there. The archive is verified
// as it is written (as restore would check it) and renamed into place only
// then. With file "-" it goes to stdout as it is verified (a failure then
// leaves a partial stream and exits non-zero) and the summary to stderr.
func backupMain(addr, data, file string, stdout, stderr io.Writer) error {
	out, scratch := stdout, os.TempDir()
	var f *os.File // the temporary file, renamed to file once verified
	if file == "-" {
		if isTerminal(stdout) {
			return errors.New("stdout is a terminal: redirect it (zkvault backup - > FILE, or into a pipe) or name a file")
		}
	} else {
		var err error
		if f, err = os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*"); err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		out, scratch = f, filepath.Dir(file)
	}
	src, from, err := backupSource(addr, data)
	if err != nil {
		return err
	}
	defer src.Close()
	bar := newProgress(stderr, "backup")
	info, err := boltstore.Verify(io.TeeReader(src, out), scratch, bar.update)
	bar.done()
	what := fmt.Sprintf("database %s, %d blobs (%s)", byteSize(info.DatabaseBytes), info.Blobs, byteSize(info.BlobBytes))
	if f == nil {
		if err != nil {
			return fmt.Errorf("%w (the archive written to stdout is incomplete)", err)
		}
		fmt.Fprintf(stderr, "backup of %s written to stdout and verified: %s\n", from, what)
		return nil
	}
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), file); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s and verified: %s\n", from, file, what)
	return nil
}

// backupSource streams a backup from the server at addr, or from the data
// directory if no server listens there; from names which.
func backupSource(addr, data string) (src io.ReadCloser, from string, err error) {
	src, from, err = backupHTTP(addr, data)
	if err != nil {
		var ne *net.OpError
		if !errors.As(err, &ne) || ne.Op != "dial" {
			return nil, "", err
		}
		// No server runs: read the data directory.
		return backupDir(data)
	}
	return src, from, nil
}

// backupHTTP asks the server at addr for a backup, with the admin secret
// of the data directory.
func backupHTTP(addr, data string) (io.ReadCloser, string, error) {
	secret, err := os.ReadFile(filepath.Join(data, service.AdminSecretFile))
	if err != nil {
		return nil, "", fmt.Errorf("reading the admin secret: %w", err)
	}
	url := "http://" + addr + server.APIPrefix + "/backup"
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(secret)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		hint := ""
		if resp.StatusCode >= 500 {
			hint = " (the server's log says why)"
		}
		return nil, "", fmt.Errorf("%s: %s: %s%s", url, resp.Status, strings.TrimSpace(string(b)), hint)
	}
	return brokenOff{resp.Body}, url, nil
}

// brokenOff names a failed read of a backup stream for what it is (the
// server aborts the connection when a backup fails half-way).
type brokenOff struct{ io.ReadCloser }

func (b brokenOff) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("the server broke off the backup (its log says why): %v", err)
	}
	return n, err
}

// backupDir streams a backup of a data directory no server uses.
func backupDir(data string) (io.ReadCloser, string, error) {
	st, err := boltstore.Open(data, &boltstore.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, "", err
	}
	snap, err := st.Backup(context.Background())
	if err != nil {
		st.Close()
		return nil, "", err
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := snap.WriteTo(pw)
		snap.Close()
		st.Close()
		pw.CloseWithError(err)
	}()
	return pr, data, nil
}

func restore(args []string, stdout, stderr io.Writer) int {
	f := newFlags("restore", "restore [flags] FILE (- for stdin)", stderr)
	data := f.str("data", "./data", "data directory to restore into: must not exist or be empty, unless --force")
	force := f.Bool("force", false, "replace a data directory that is not empty: it is moved aside to DATA.before-restore-<time>, not deleted (not an environment variable)")
	if ok, code := f.parse(args, stderr); !ok {
		return code
	}
	if len(f.pos) != 1 {
		f.Usage()
		return 2
	}
	if err := restoreMain(*data, f.pos[0], *force, stdout, stderr); err != nil {
		if errors.Is(err, boltstore.ErrNotEmpty) {
			fmt.Fprintf(stderr, "zkvault restore: %s is not empty: restore into a new directory, or add --force to move it aside (to %s.before-restore-<time>) and restore in its place\n", *data, filepath.Clean(*data))
		} else {
			fmt.Fprintln(stderr, "zkvault restore:", err)
		}
		return 1
	}
	return 0
}

func restoreMain(data, file string, force bool, stdout, stderr io.Writer) error {
	var in io.Reader = stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	} else if isTerminal(stdin) {
		return errors.New("stdin is a terminal: redirect it (zkvault restore - < FILE, or from a pipe) or name a file")
	}
	bar := newProgress(stderr, "restore")
	info, err := boltstore.Restore(in, data, &boltstore.RestoreOptions{Replace: force, Progress: bar.update})
	bar.done()
	if err != nil {
		return err
	}
	if info.MovedAside != "" {
		fmt.Fprintf(stdout, "the former %s was moved aside to %s\n", data, info.MovedAside)
	}
	what := fmt.Sprintf("database %s, %d blobs (%s)", byteSize(info.DatabaseBytes), info.Blobs, byteSize(info.BlobBytes))
	if info.Legacy {
		what = fmt.Sprintf("database %s (a database-only backup that references no blob)", byteSize(info.DatabaseBytes))
	}
	name := file
	if file == "-" {
		name = "stdin"
	}
	fmt.Fprintf(stdout, "restored %s into %s: %s, verified; the first serve makes a new admin secret and session key\n", name, data, what)
	return nil
}
