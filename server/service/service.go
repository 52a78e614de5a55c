// Package service is the logic of the zkvault storage server, between the
// HTTP transport (package server) and the storage (package store). It
// enforces the rules: who may read and write what, the structural checks of
// package api, and the encryption rules (fail closed when encryption is on,
// envelopes only for recipients' current keys). It never needs a key and
// cannot decrypt: it imports nothing of the crypto core.
//
// # Security
//
// A Caller comes from the authentication seam (auth.go, where the
// credentials are described): the admin (admin bearer or dashboard
// session), or a principal acting through a token with scopes, a team
// member's session or the write secret. A principal reads only the spaces
// in which it, or a group it is a member of, has a relation or an envelope;
// any other space is reported as not found, never as forbidden. A token may
// be narrowed further to collections, spaces and a data window (access.go).
// Every write and read is logged with who made it (kind of credential and
// principal) and the token's display prefix, never a secret; the logs are
// pruned after the retention.
package service

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/store"
)

// Kind of a service error; the transport maps each to one HTTP status.
type Kind int

const (
	KindInternal     Kind = iota
	KindInvalid           // 400: malformed or structurally invalid input
	KindUnauthorized      // 401: no or unknown credentials
	KindForbidden         // 403: authenticated but not allowed
	KindNotFound          // 404
	KindConflict          // 409: version conflict, already exists
	KindTooLarge          // 413
	KindRefused           // 422: well formed but breaks an encryption rule
	KindTooMany           // 429: too many failed logins
)

// Error is a typed service error: Code is stable and machine readable.
type Error struct {
	Kind Kind
	Code string
	Msg  string
	Err  error
	// RetryAfter is when a refused (429) request may be tried again.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func newErr(k Kind, code, format string, args ...any) *Error {
	return &Error{Kind: k, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Invalid is an input error of code.
func Invalid(code, format string, args ...any) *Error {
	return newErr(KindInvalid, code, format, args...)
}

func notFound(what string) *Error { return newErr(KindNotFound, "not_found", "%s not found", what) }

// fromAPI turns a structural validation error into a service error.
func fromAPI(err error) error {
	var ae *api.Error
	if errors.As(err, &ae) {
		k := KindInvalid
		if ae.Code == api.CodeCleartext {
			k = KindRefused
		}
		return &Error{Kind: k, Code: ae.Code, Msg: ae.Error(), Err: err}
	}
	return err
}

// fromStore maps store errors that reach a caller.
func fromStore(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return notFound(what)
	case errors.Is(err, store.ErrExists):
		return newErr(KindConflict, "exists", "%s already exists", what)
	case errors.Is(err, store.ErrConflict):
		return newErr(KindConflict, "version_conflict", "%s was changed concurrently or the version does not follow the stored one", what)
	case errors.Is(err, store.ErrBadCursor):
		return Invalid("invalid_cursor", "invalid cursor")
	}
	return err
}

// Scopes of a token.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// Caller is who makes a request, as the authentication seam resolved it.
type Caller struct {
	Admin       bool
	Principal   string   // the principal a token acts for (not admin)
	Scopes      []string // of the token (not admin): the verbs, read and/or write
	TokenPrefix string   // for the logs
	Kind        string   // the kind of credential: CredAdmin, CredDashboard, …
	Session     string   // display id of a cookie session
	// Collections limits a verb to some collections (a verb absent from
	// the map: every collection).
	Collections map[string][]string
	// Spaces limits the caller to some spaces (none: no limit).
	Spaces []string
	// Window limits reads and writes to records whose time lies in it (and
	// to the blobs of those records).
	Window *Window

	sid []byte // session id of a cookie caller
}

// Window is a data window: [From, To) in milliseconds on a collection's time
// field.
type Window struct {
	From, To int64
}

// Cookie says whether the caller authenticated with a session cookie (and
// so needs the anti-CSRF token on writes).
func (c Caller) Cookie() bool { return c.sid != nil }

func (c Caller) can(scope string) bool { return c.Admin || slices.Contains(c.Scopes, scope) }

func (c Caller) need(scope string) error {
	if !c.can(scope) {
		return newErr(KindForbidden, "scope", "the token lacks the %s scope", scope)
	}
	return nil
}

func (c Caller) needAdmin() error {
	if !c.Admin {
		return newErr(KindForbidden, "admin_only", "only the admin may do this")
	}
	return nil
}

// Limits of the service.
type Limits struct {
	MaxBatch       int   // records per upsert request
	MaxRecordBytes int   // canonical JSON of one record
	MaxBlobBytes   int64 // one blob
}

// DefaultLimits are the limits of a server that sets none.
var DefaultLimits = Limits{MaxBatch: 1000, MaxRecordBytes: 2 << 20, MaxBlobBytes: 16 << 30}

// Service is the server's logic over a store.
type Service struct {
	st     store.Store
	limits Limits
	log    *slog.Logger
	now    func() time.Time
	admin  [32]byte // SHA-256 of the admin secret
	logs   *logWriter

	mu             sync.Mutex
	dashboard      [32]byte // SHA-256 of the dashboard secret
	write          [32]byte // SHA-256 of the write secret
	writePrincipal string
	writeReady     bool
	genDashboard   string // generated at first run, until taken
	genWrite       string
	sessionKey     []byte
	use            usage
	retention      time.Duration
	loginFailures  int
	loginWindow    time.Duration
	stop           chan struct{}
	stopped        chan struct{}
	closeOnce      sync.Once
}

// Config of New.
type Config struct {
	Store store.Store
	// AdminSecret is the admin's bearer secret; only its hash is kept.
	AdminSecret string
	// DashboardSecret and WriteSecret, when set, replace the stored hashes;
	// when empty, the stored hashes stay, or on the first run secrets are
	// generated (GeneratedSecrets returns them once).
	DashboardSecret string
	WriteSecret     string
	// WritePrincipal is the principal the write secret acts as (created
	// on first use); default "owner".
	WritePrincipal string
	// SessionKey MACs session cookies (32 bytes); nil: a random key, so
	// sessions end with the process.
	SessionKey []byte
	// LogRetention prunes log entries and login attempts older than it,
	// and ended sessions and invitations (0: keep everything).
	LogRetention time.Duration
	// LoginFailures failed attempts within LoginWindow block a client
	// address (0: DefaultLoginFailures, DefaultLoginWindow).
	LoginFailures int
	LoginWindow   time.Duration
	Limits        Limits
	Logger        *slog.Logger
	Now           func() time.Time
}

// New returns a service. Close it to flush the logs.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || len(cfg.AdminSecret) < 16 {
		return nil, errors.New("service: a store and an admin secret of at least 16 bytes are required")
	}
	s := &Service{st: cfg.Store, limits: cfg.Limits, log: cfg.Logger, now: cfg.Now}
	if s.limits.MaxBatch == 0 {
		s.limits = DefaultLimits
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.admin = hashSecret(cfg.AdminSecret)
	s.writePrincipal = cfg.WritePrincipal
	if s.writePrincipal == "" {
		s.writePrincipal = "owner"
	}
	if err := api.CheckID("write principal", s.writePrincipal); err != nil {
		return nil, err
	}
	s.sessionKey = cfg.SessionKey
	if s.sessionKey == nil {
		s.sessionKey = make([]byte, 32)
		if _, err := rand.Read(s.sessionKey); err != nil {
			return nil, err
		}
	}
	if len(s.sessionKey) < 32 {
		return nil, errors.New("service: the session key must have 32 bytes")
	}
	ctx := context.Background()
	var err error
	if s.genDashboard, s.dashboard, err = setupSecret(ctx, cfg.Store, store.SecretDashboard, cfg.DashboardSecret, DashboardSecretPrefix, s.ms()); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	if s.genWrite, s.write, err = setupSecret(ctx, cfg.Store, store.SecretWrite, cfg.WriteSecret, WriteSecretPrefix, s.ms()); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	s.retention = cfg.LogRetention
	s.loginFailures = cmp.Or(cfg.LoginFailures, DefaultLoginFailures)
	s.loginWindow = cmp.Or(cfg.LoginWindow, DefaultLoginWindow)
	s.logs = newLogWriter(cfg.Store, s.log)
	s.stop, s.stopped = make(chan struct{}), make(chan struct{})
	go s.background()
	return s, nil
}

// background writes the last use of credentials every second and prunes
// old entries every hour (and once at start).
func (s *Service) background() {
	defer close(s.stopped)
	touch := time.NewTicker(time.Second)
	defer touch.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	s.prune()
	for {
		select {
		case <-touch.C:
			if err := s.use.flush(context.Background(), s.st); err != nil {
				s.log.Error("recording last use", "err", err)
			}
		case <-prune.C:
			s.prune()
		case <-s.stop:
			s.use.flush(context.Background(), s.st)
			return
		}
	}
}

// Prune deletes what is older than the log retention now (also run
// hourly).
func (s *Service) prune() {
	if s.retention <= 0 {
		return
	}
	n, err := s.st.Prune(context.Background(), s.now().Add(-s.retention).UnixMilli())
	if err != nil {
		s.log.Error("pruning logs", "err", err)
		return
	}
	if n > 0 {
		s.log.Info("pruned old log entries", "count", n, "retention", s.retention.String())
	}
}

// Limits returns the service's limits.
func (s *Service) Limits() Limits { return s.limits }

// Store returns the store.
func (s *Service) Store() store.Store { return s.st }

// Close flushes pending log entries and last uses.
func (s *Service) Close() {
	s.closeOnce.Do(func() { close(s.stop) })
	<-s.stopped
	s.logs.close()
}

func (s *Service) ms() int64 { return s.now().UnixMilli() }

// ---- logs

// logWriter appends log entries in the background, in batches, so that a
// request does not wait for a second fsync. Entries of the last moments
// before a crash can be lost; the data they describe cannot.
type logWriter struct {
	st   store.Store
	log  *slog.Logger
	ch   chan store.LogEntry
	req  chan chan struct{}
	done chan struct{}
	once sync.Once
}

func newLogWriter(st store.Store, log *slog.Logger) *logWriter {
	w := &logWriter{st: st, log: log, ch: make(chan store.LogEntry, 4096), req: make(chan chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *logWriter) add(e store.LogEntry) {
	select {
	case w.ch <- e:
	default:
		w.log.Warn("log queue full: entry dropped", "type", e.Type)
	}
}

func (w *logWriter) run() {
	defer close(w.done)
	var batch []store.LogEntry
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := w.st.AppendLogs(context.Background(), coalesceReads(batch)); err != nil {
			w.log.Error("append logs", "err", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-w.ch:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) >= 256 {
				flush()
			}
		case <-tick.C:
			flush()
		case r := <-w.req:
		drain:
			for {
				select {
				case e, ok := <-w.ch:
					if !ok {
						break drain
					}
					batch = append(batch, e)
				default:
					break drain
				}
			}
			flush()
			close(r)
		}
	}
}

// coalesceReads merges the read log entries of one flush that differ only
// in time and count (the same kind of read by the same token of the same
// thing): a client reading thousands of times a second makes one entry per
// flush, with the number of requests in its metadata, not thousands. Write
// entries are kept one per request.
func coalesceReads(batch []store.LogEntry) []store.LogEntry {
	out := make([]store.LogEntry, 0, len(batch))
	seen := map[string]int{} // key → index in out
	requests := map[int]int{}
	for _, e := range batch {
		if e.Kind != store.LogRead {
			out = append(out, e)
			continue
		}
		k := e.Type + "\x00" + e.TokenPrefix + "\x00" + metaKey(e.Metadata)
		if i, ok := seen[k]; ok {
			out[i].Count += e.Count
			requests[i]++
			continue
		}
		seen[k] = len(out)
		requests[len(out)] = 1
		e.Metadata = maps.Clone(e.Metadata)
		out = append(out, e)
	}
	for i, n := range requests {
		if n > 1 {
			if out[i].Metadata == nil {
				out[i].Metadata = map[string]string{}
			}
			out[i].Metadata["requests"] = strconv.Itoa(n)
			out[i].Description = fmt.Sprintf("%s (%d requests, %d items in all)", out[i].Type, n, out[i].Count)
		}
	}
	return out
}

func metaKey(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(m[k])
		b.WriteByte(0)
	}
	return b.String()
}

func (w *logWriter) close() {
	w.once.Do(func() { close(w.ch) })
	<-w.done
}

// Flush waits until the entries logged so far are stored (for tests).
func (s *Service) Flush() {
	r := make(chan struct{})
	select {
	case s.logs.req <- r:
		<-r
	case <-s.logs.done:
	}
}

func (s *Service) logWrite(c Caller, typ string, count int, meta map[string]string, format string, args ...any) {
	s.logs.add(store.LogEntry{Kind: store.LogWrite, Type: typ, Description: fmt.Sprintf(format, args...), Count: count, Metadata: meta, TokenPrefix: c.tokenLabel(), Who: c.Who(), Time: s.ms()})
}

func (s *Service) logRead(c Caller, typ string, count int, meta map[string]string, format string, args ...any) {
	s.logs.add(store.LogEntry{Kind: store.LogRead, Type: typ, Description: fmt.Sprintf(format, args...), Count: count, Metadata: meta, TokenPrefix: c.tokenLabel(), Who: c.Who(), Time: s.ms()})
}

// tokenLabel names the credential in the logs, never with a secret: a
// token's display prefix, a session's display id.
func (c Caller) tokenLabel() string {
	switch {
	case c.TokenPrefix != "":
		return c.TokenPrefix
	case c.Session != "":
		return "session:" + c.Session
	case c.Kind == CredWrite:
		return CredWrite
	case c.Admin:
		return "admin"
	}
	return ""
}

// Who names the caller for the logs: the kind of credential and its
// principal.
func (c Caller) Who() string {
	k := c.Kind
	if k == "" && c.Admin {
		k = CredAdmin
	}
	if c.Principal != "" {
		return k + ":" + c.Principal
	}
	return k
}

// Logs lists the write or read log, newest first (admin).
func (s *Service) Logs(ctx context.Context, c Caller, kind, cursor string, limit int) ([]store.LogEntry, string, error) {
	if err := c.needAdmin(); err != nil {
		return nil, "", err
	}
	es, next, err := s.st.ListLogs(ctx, kind, cursor, limit)
	return es, next, fromStore(err, "log")
}

// LoginAttempts lists login attempts, newest first (admin).
func (s *Service) LoginAttempts(ctx context.Context, c Caller, cursor string, limit int) ([]store.LoginAttempt, string, error) {
	if err := c.needAdmin(); err != nil {
		return nil, "", err
	}
	as, next, err := s.st.ListLoginAttempts(ctx, cursor, limit)
	return as, next, fromStore(err, "login attempts")
}
