package service

// The authentication seam: credentials become a Caller here, and the rest of
// the service sees only the Caller.
//
// # Credentials
//
//   - Admin bearer (AdminSecretFile in the data directory, "zka_…", mode
//     0600): the admin from the command line (backup, scripts). The
//     service keeps only its SHA-256.
//   - Dashboard secret: configured or generated at first run and printed
//     once; only its SHA-256 is stored. POST /session exchanges it for a
//     dashboard session: the cookie holds the session id and
//     HMAC-SHA256(session key, label ‖ session id ‖ SHA-256(secret)),
//     never the secret. The session is stored by the SHA-256 of its id,
//     so logging out (revoking it) invalidates the cookie, and so does a
//     new dashboard secret. A dashboard session is the admin.
//   - Write secret (ingest clients): configured or generated at first run
//     and printed once; only its SHA-256 is stored. As a bearer it acts as
//     the write principal with the write scope only: it creates the spaces
//     it takes part in and writes their records and blobs; it reads
//     nothing and administers nothing.
//   - Tokens ("zkt_…"): made by the admin for a principal, with scopes
//     read and/or write, each for every collection or for named ones
//     ("read:messages"), optionally limited to spaces and to a data window
//     on the collection's time field, with an expiry; last use is
//     recorded (batched), revocation is soft (revoked_at kept). Only the
//     SHA-256 is stored, the first characters for display.
//   - Invitations ("zki_…"): one-time, expiring tokens the admin makes for
//     a team member (a user principal) and hands over together with the
//     member's encryption passphrase (which the server never sees).
//     Redeeming one starts a member session and returns, once, the
//     member's login secret ("zku_…", only its SHA-256 stored), with which
//     the member logs in again later (POST /session with its principal);
//     a new invitation replaces it. The browser uploads the member's public
//     key and sealed key. Member sessions have the read and write scopes of
//     their principal and are listed and revoked by the member and by the
//     admin.
//
// Failed attempts (bearer, cookie, dashboard secret, invitation) are
// recorded per client address; 10 failures in 5 minutes (configurable)
// block the address (429) until they age out; a success clears them.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/store"
)

// Token and secret forms.
const (
	AdminSecretPrefix     = "zka_"
	TokenPrefix           = "zkt_"
	DashboardSecretPrefix = "zkd_"
	WriteSecretPrefix     = "zkw_"
	InvitationPrefix      = "zki_"
	MemberSecretPrefix    = "zku_"
	tokenDisplayLen       = len(TokenPrefix) + 8
	AdminSecretFile       = "admin.secret"
	SessionKeyFile        = "session.key"

	// MinSecretLen is the shortest configured dashboard or write secret.
	MinSecretLen = 16

	// DefaultLoginFailures failed attempts in DefaultLoginWindow block an
	// address until the oldest ages out.
	DefaultLoginFailures = 10
	DefaultLoginWindow   = 5 * time.Minute

	// DashboardSessionTTL is how long a dashboard cookie lives.
	DashboardSessionTTL = 365 * 24 * time.Hour
	// MemberSessionTTL is how long a member's session lives.
	MemberSessionTTL = 30 * 24 * time.Hour
	// DefaultInvitationTTL is how long an invitation can be redeemed.
	DefaultInvitationTTL = 7 * 24 * time.Hour

	// Domain-separation labels of the session MACs.
	sessionMACLabel = "zkvault/session/v1"
	csrfMACLabel    = "zkvault/csrf/v1"
)

// Credential kinds, as callers and the logs name them.
const (
	CredAdmin     = "admin"
	CredDashboard = "dashboard"
	CredMember    = "member"
	CredWrite     = "write-secret"
	CredToken     = "token"
)

func hashSecret(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func hashHex(s string) string {
	h := hashSecret(s)
	return hex.EncodeToString(h[:])
}

func randomSecret(prefix string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// LoadOrCreateAdminSecret reads the admin secret from dir, creating it (mode
// 0600) on first run. created says whether it was just made.
func LoadOrCreateAdminSecret(dir string) (secret string, created bool, err error) {
	s, created, err := loadOrCreate(filepath.Join(dir, AdminSecretFile), func() (string, error) { return randomSecret(AdminSecretPrefix) })
	if err == nil && (!strings.HasPrefix(s, AdminSecretPrefix) || len(s) < 40) {
		return "", false, fmt.Errorf("admin secret in %s is malformed", filepath.Join(dir, AdminSecretFile))
	}
	return s, created, err
}

// LoadOrCreateSessionKey reads the key that MACs session cookies from dir,
// creating it (mode 0600) on first run. It lives beside the database, not
// in it.
func LoadOrCreateSessionKey(dir string) ([]byte, error) {
	s, _, err := loadOrCreate(filepath.Join(dir, SessionKeyFile), func() (string, error) { return randomSecret("") })
	if err != nil {
		return nil, err
	}
	k, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("session key in %s is malformed", filepath.Join(dir, SessionKeyFile))
	}
	return k, nil
}

func loadOrCreate(p string, gen func() (string, error)) (string, bool, error) {
	b, err := os.ReadFile(p)
	if err == nil {
		return strings.TrimSpace(string(b)), false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", false, err
	}
	s, err := gen()
	if err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, err
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return "", false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", false, err
	}
	return s, true, f.Close()
}

// setupSecret stores the hash of a configured server secret, or generates
// one when none is configured and none is stored. It returns the generated
// secret ("" if none) and the hash in force.
func setupSecret(ctx context.Context, st store.Store, name, configured, prefix string, now int64) (string, [32]byte, error) {
	if configured != "" {
		if len(configured) < MinSecretLen {
			return "", [32]byte{}, fmt.Errorf("the %s secret is shorter than %d characters", name, MinSecretLen)
		}
		h := hashSecret(configured)
		old, err := st.AuthSecret(ctx, name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", h, err
		}
		if old.Hash != hex.EncodeToString(h[:]) {
			err = st.PutAuthSecret(ctx, store.AuthSecret{Name: name, Hash: hex.EncodeToString(h[:]), UpdatedAt: now})
		}
		return "", h, err
	}
	old, err := st.AuthSecret(ctx, name)
	if err == nil {
		var h [32]byte
		if b, err := hex.DecodeString(old.Hash); err == nil && len(b) == 32 {
			copy(h[:], b)
			return "", h, nil
		}
		return "", h, fmt.Errorf("stored %s secret hash is malformed", name)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", [32]byte{}, err
	}
	secret, err := randomSecret(prefix)
	if err != nil {
		return "", [32]byte{}, err
	}
	h := hashSecret(secret)
	err = st.PutAuthSecret(ctx, store.AuthSecret{Name: name, Hash: hex.EncodeToString(h[:]), UpdatedAt: now})
	return secret, h, err
}

// GeneratedSecrets returns the dashboard and write secrets generated by New
// (first run, none configured), once: the caller prints them and they are
// never shown again.
func (s *Service) GeneratedSecrets() (dashboard, write string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dashboard, write = s.genDashboard, s.genWrite
	s.genDashboard, s.genWrite = "", ""
	return dashboard, write
}

// Credentials are what a request presents.
type Credentials struct {
	Addr   string // client address
	Bearer string // Authorization: Bearer …
	Cookie string // the session cookie's value
}

func unauthorized() *Error {
	return newErr(KindUnauthorized, "unauthorized", "missing, unknown, expired or revoked credentials")
}

func tooMany(wait time.Duration) *Error {
	e := newErr(KindTooMany, "too_many_attempts", "too many failed attempts from this address; try again in a few minutes")
	e.RetryAfter = wait
	return e
}

// guard runs a credential check under the failed-attempt limit of addr.
func (s *Service) guard(ctx context.Context, addr string, check func(now int64) (bool, error)) error {
	now := s.ms()
	fails, err := s.st.LoginFailures(ctx, addr, now-s.loginWindow.Milliseconds())
	if err != nil {
		return err
	}
	if fails >= s.loginFailures {
		return tooMany(s.loginWindow)
	}
	ok, err := check(now)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.st.AddLoginAttempt(ctx, store.LoginAttempt{Addr: addr, Time: now}); err != nil {
			return err
		}
		return unauthorized()
	}
	if fails > 0 {
		if err := s.st.ClearLoginFailures(ctx, addr); err != nil {
			return err
		}
		if err := s.st.AddLoginAttempt(ctx, store.LoginAttempt{Addr: addr, Time: now, Success: true}); err != nil {
			return err
		}
	}
	return nil
}

// Authenticate resolves the credentials of a request into a Caller. A
// bearer wins over a cookie.
func (s *Service) Authenticate(ctx context.Context, cr Credentials) (Caller, error) {
	if cr.Bearer == "" && cr.Cookie == "" {
		// No credential presented: not a login attempt.
		return Caller{}, newErr(KindUnauthorized, "unauthorized", "missing credentials: send Authorization: Bearer <secret or token>, or log in")
	}
	var c Caller
	err := s.guard(ctx, cr.Addr, func(now int64) (bool, error) {
		var ok bool
		var err error
		if cr.Bearer != "" {
			c, ok, err = s.resolve(ctx, cr.Bearer, now)
		} else {
			c, ok, err = s.resolveCookie(ctx, cr.Cookie, now)
		}
		return ok, err
	})
	if err != nil {
		return Caller{}, err
	}
	if c.Kind == CredWrite {
		if err := s.ensureWritePrincipal(ctx); err != nil {
			return Caller{}, err
		}
	}
	return c, nil
}

func (s *Service) resolve(ctx context.Context, bearer string, now int64) (Caller, bool, error) {
	if len(bearer) > 256 {
		return Caller{}, false, nil
	}
	h := hashSecret(bearer)
	switch {
	case strings.HasPrefix(bearer, AdminSecretPrefix):
		return Caller{Admin: true, Kind: CredAdmin}, subtle.ConstantTimeCompare(h[:], s.admin[:]) == 1, nil
	case strings.HasPrefix(bearer, TokenPrefix):
		return s.resolveToken(ctx, h, now)
	}
	if subtle.ConstantTimeCompare(h[:], s.write[:]) == 1 {
		return Caller{Principal: s.writePrincipal, Scopes: []string{ScopeWrite}, Kind: CredWrite}, true, nil
	}
	return Caller{}, false, nil
}

func (s *Service) resolveToken(ctx context.Context, h [32]byte, now int64) (Caller, bool, error) {
	hx := hex.EncodeToString(h[:])
	t, err := s.st.TokenByHash(ctx, hx)
	if errors.Is(err, store.ErrNotFound) {
		return Caller{}, false, nil
	}
	if err != nil {
		return Caller{}, false, err
	}
	if t.RevokedAt != 0 || (t.ExpiresAt != 0 && now >= t.ExpiresAt) {
		return Caller{}, false, nil
	}
	s.use.token(hx, now)
	c := Caller{Principal: t.Principal, TokenPrefix: t.Prefix, Kind: CredToken, Spaces: t.Spaces}
	for _, sc := range t.Scopes {
		verb, coll, _ := strings.Cut(sc, ":")
		if !slices.Contains(c.Scopes, verb) {
			c.Scopes = append(c.Scopes, verb)
		}
		if coll != "" {
			if c.Collections == nil {
				c.Collections = map[string][]string{}
			}
			c.Collections[verb] = append(c.Collections[verb], coll)
		}
	}
	// A bare verb grants every collection.
	for verb := range c.Collections {
		if slices.Contains(t.Scopes, verb) {
			delete(c.Collections, verb)
		}
	}
	if t.WindowFrom != nil || t.WindowTo != nil {
		w := Window{From: -1 << 63, To: 1<<63 - 1}
		if t.WindowFrom != nil {
			w.From = *t.WindowFrom
		}
		if t.WindowTo != nil {
			w.To = *t.WindowTo
		}
		c.Window = &w
	}
	return c, true, nil
}

// ensureWritePrincipal creates the write secret's principal (a user without
// a key) the first time the write secret is used.
func (s *Service) ensureWritePrincipal(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writeReady {
		return nil
	}
	_, err := s.st.Principal(ctx, s.writePrincipal)
	if errors.Is(err, store.ErrNotFound) {
		now := s.ms()
		err = s.st.CreatePrincipal(ctx, store.Principal{Principal: api.Principal{ID: s.writePrincipal, Kind: api.PrincipalUser}, CreatedAt: now, UpdatedAt: now})
		if errors.Is(err, store.ErrExists) {
			err = nil
		}
	}
	if err != nil {
		return err
	}
	s.writeReady = true
	return nil
}

// ---- tokens

// TokenRequest asks for a new token.
type TokenRequest struct {
	Principal string `json:"principal"`
	// Scopes: read, write (every collection), read:<collection>,
	// write:<collection>.
	Scopes     []string `json:"scopes"`
	Name       string   `json:"name,omitempty"`
	Spaces     []string `json:"spaces,omitempty"`
	WindowFrom *int64   `json:"window_from,omitempty"`
	WindowTo   *int64   `json:"window_to,omitempty"`
	ExpiresAt  int64    `json:"expires_at,omitempty"` // milliseconds since the epoch; 0: never
}

// TokenView is a token as the API shows it (never its hash).
type TokenView struct {
	Token      string   `json:"token,omitempty"` // only when created
	Prefix     string   `json:"prefix"`
	Principal  string   `json:"principal"`
	Scopes     []string `json:"scopes"`
	Name       string   `json:"name,omitempty"`
	Spaces     []string `json:"spaces,omitempty"`
	WindowFrom *int64   `json:"window_from,omitempty"`
	WindowTo   *int64   `json:"window_to,omitempty"`
	CreatedAt  int64    `json:"created_at"`
	ExpiresAt  int64    `json:"expires_at,omitempty"`
	LastUsedAt int64    `json:"last_used_at,omitempty"`
	RevokedAt  int64    `json:"revoked_at,omitempty"`
}

func tokenView(t store.Token) TokenView {
	return TokenView{Prefix: t.Prefix, Principal: t.Principal, Scopes: t.Scopes, Name: t.Name, Spaces: t.Spaces,
		WindowFrom: t.WindowFrom, WindowTo: t.WindowTo, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

// CreateToken makes a bearer token for a principal (admin). The token is
// returned once; only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, c Caller, r TokenRequest) (TokenView, error) {
	if err := c.needAdmin(); err != nil {
		return TokenView{}, err
	}
	if err := api.CheckID("principal", r.Principal); err != nil {
		return TokenView{}, fromAPI(err)
	}
	if _, err := s.st.Principal(ctx, r.Principal); err != nil {
		return TokenView{}, fromStore(err, "principal "+r.Principal)
	}
	if len(r.Scopes) == 0 {
		return TokenView{}, Invalid("invalid_value", "scopes: at least one of read, write, read:<collection>, write:<collection>")
	}
	for _, sc := range r.Scopes {
		verb, coll, has := strings.Cut(sc, ":")
		if verb != ScopeRead && verb != ScopeWrite || (has && !api.ValidName(coll)) {
			return TokenView{}, Invalid("invalid_value", "scopes: unknown scope %q (read, write, read:<collection>, write:<collection>)", sc)
		}
	}
	for i, sp := range r.Spaces {
		if err := api.CheckID(fmt.Sprintf("spaces[%d]", i), sp); err != nil {
			return TokenView{}, fromAPI(err)
		}
	}
	if len(r.Name) > 200 {
		return TokenView{}, Invalid("invalid_value", "name: at most 200 bytes")
	}
	if r.WindowFrom != nil && r.WindowTo != nil && *r.WindowFrom >= *r.WindowTo {
		return TokenView{}, Invalid("invalid_value", "window_from: must be before window_to")
	}
	slices.Sort(r.Scopes)
	r.Scopes = slices.Compact(r.Scopes)
	if r.ExpiresAt < 0 {
		return TokenView{}, Invalid("invalid_value", "expires_at: negative")
	}
	secret, err := randomSecret(TokenPrefix)
	if err != nil {
		return TokenView{}, err
	}
	t := store.Token{Hash: hashHex(secret), Prefix: secret[:tokenDisplayLen], Principal: r.Principal, Scopes: r.Scopes, Name: r.Name,
		Spaces: r.Spaces, WindowFrom: r.WindowFrom, WindowTo: r.WindowTo, CreatedAt: s.ms(), ExpiresAt: r.ExpiresAt}
	if err := s.st.CreateToken(ctx, t); err != nil {
		return TokenView{}, fromStore(err, "token")
	}
	s.logWrite(c, "tokens.create", 1, map[string]string{"principal": r.Principal, "prefix": t.Prefix, "scopes": strings.Join(r.Scopes, " ")}, "created token %s for %s", t.Prefix, r.Principal)
	v := tokenView(t)
	v.Token = secret
	return v, nil
}

// ListTokens lists tokens (admin).
func (s *Service) ListTokens(ctx context.Context, c Caller) ([]TokenView, error) {
	if err := c.needAdmin(); err != nil {
		return nil, err
	}
	s.use.flush(ctx, s.st)
	ts, err := s.st.ListTokens(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TokenView, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenView(t))
	}
	return out, nil
}

// RevokeToken revokes a token by its prefix (admin).
func (s *Service) RevokeToken(ctx context.Context, c Caller, prefix string) error {
	if err := c.needAdmin(); err != nil {
		return err
	}
	if err := s.st.RevokeToken(ctx, prefix, s.ms()); err != nil {
		return fromStore(err, "token")
	}
	s.logWrite(c, "tokens.revoke", 1, map[string]string{"prefix": prefix}, "revoked token %s", prefix)
	return nil
}

// ---- last use

// usage collects the last use of tokens and sessions in memory; it is
// written in batches (a read must not cost a write transaction).
type usage struct {
	mu       sync.Mutex
	tokens   map[string]int64
	sessions map[string]int64
}

func (u *usage) token(hash string, at int64)   { u.add(&u.tokens, hash, at) }
func (u *usage) session(hash string, at int64) { u.add(&u.sessions, hash, at) }

func (u *usage) add(m *map[string]int64, hash string, at int64) {
	u.mu.Lock()
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[hash] = max((*m)[hash], at)
	u.mu.Unlock()
}

func (u *usage) flush(ctx context.Context, st store.Store) error {
	u.mu.Lock()
	t, se := u.tokens, u.sessions
	u.tokens, u.sessions = nil, nil
	u.mu.Unlock()
	return st.TouchCredentials(ctx, t, se)
}

// ---- sessions

// macSession is the MAC a session cookie carries: it binds the session id
// to the credential that opened it (the dashboard secret's hash, or the
// member's principal id).
func (s *Service) macSession(sid []byte, kind, binding string) []byte {
	m := hmac.New(sha256.New, s.sessionKey)
	m.Write([]byte(sessionMACLabel))
	m.Write([]byte{0})
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write(sid)
	m.Write([]byte(binding))
	return m.Sum(nil)
}

func (s *Service) binding(kind, principal string) string {
	if kind == store.SessionDashboard {
		s.mu.Lock()
		defer s.mu.Unlock()
		return string(s.dashboard[:])
	}
	return principal
}

// csrfToken is the anti-CSRF token of a session.
func (s *Service) csrfToken(sid []byte) string {
	m := hmac.New(sha256.New, s.sessionKey)
	m.Write([]byte(csrfMACLabel))
	m.Write([]byte{0})
	m.Write(sid)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF says whether token is the anti-CSRF token of the caller's
// session.
func (s *Service) CheckCSRF(c Caller, token string) bool {
	if c.sid == nil || token == "" {
		return false
	}
	return hmac.Equal([]byte(s.csrfToken(c.sid)), []byte(token))
}

// CSRFToken returns the anti-CSRF token of a cookie caller ("" otherwise).
func (s *Service) CSRFToken(c Caller) string {
	if c.sid == nil {
		return ""
	}
	return s.csrfToken(c.sid)
}

// Grant is a new session: the cookie value, its anti-CSRF token, when it
// ends.
type Grant struct {
	Cookie    string
	CSRF      string
	ExpiresAt time.Time
	Caller    Caller
	// LoginSecret is a member's new login secret (redeemed invitation).
	LoginSecret string
}

func (s *Service) newSession(ctx context.Context, kind, principal, addr, ua string, ttl time.Duration) (Grant, error) {
	sid := make([]byte, 32)
	if _, err := rand.Read(sid); err != nil {
		return Grant{}, err
	}
	now := s.now()
	h := sha256.Sum256(sid)
	hx := hex.EncodeToString(h[:])
	if len(ua) > 200 {
		ua = ua[:200]
	}
	se := store.Session{Hash: hx, ID: hx[:16], Kind: kind, Principal: principal, Addr: addr, UserAgent: ua,
		CreatedAt: now.UnixMilli(), ExpiresAt: now.Add(ttl).UnixMilli()}
	if err := s.st.CreateSession(ctx, se); err != nil {
		return Grant{}, err
	}
	cookie := base64.RawURLEncoding.EncodeToString(sid) + "." + base64.RawURLEncoding.EncodeToString(s.macSession(sid, kind, s.binding(kind, principal)))
	return Grant{Cookie: cookie, CSRF: s.csrfToken(sid), ExpiresAt: time.UnixMilli(se.ExpiresAt), Caller: sessionCaller(se, sid)}, nil
}

func sessionCaller(se store.Session, sid []byte) Caller {
	if se.Kind == store.SessionDashboard {
		return Caller{Admin: true, Kind: CredDashboard, Session: se.ID, sid: sid}
	}
	return Caller{Principal: se.Principal, Scopes: []string{ScopeRead, ScopeWrite}, Kind: CredMember, Session: se.ID, sid: sid}
}

func (s *Service) resolveCookie(ctx context.Context, cookie string, now int64) (Caller, bool, error) {
	a, b, ok := strings.Cut(cookie, ".")
	if !ok || len(cookie) > 200 {
		return Caller{}, false, nil
	}
	sid, err1 := base64.RawURLEncoding.Strict().DecodeString(a)
	mac, err2 := base64.RawURLEncoding.Strict().DecodeString(b)
	if err1 != nil || err2 != nil || len(sid) != 32 {
		return Caller{}, false, nil
	}
	h := sha256.Sum256(sid)
	hx := hex.EncodeToString(h[:])
	se, err := s.st.SessionByHash(ctx, hx)
	if errors.Is(err, store.ErrNotFound) {
		return Caller{}, false, nil
	}
	if err != nil {
		return Caller{}, false, err
	}
	if se.RevokedAt != 0 || now >= se.ExpiresAt || !hmac.Equal(mac, s.macSession(sid, se.Kind, s.binding(se.Kind, se.Principal))) {
		return Caller{}, false, nil
	}
	s.use.session(hx, now)
	return sessionCaller(se, sid), true, nil
}

func memberSecretName(principal string) string { return "member:" + principal }

// Login exchanges the dashboard secret for a dashboard session, or with a
// principal a team member's login secret for a member session.
func (s *Service) Login(ctx context.Context, addr, userAgent, principal, secret string) (Grant, error) {
	err := s.guard(ctx, addr, func(now int64) (bool, error) {
		if secret == "" || len(secret) > 256 {
			return false, nil
		}
		h := hashSecret(secret)
		if principal == "" {
			s.mu.Lock()
			defer s.mu.Unlock()
			return subtle.ConstantTimeCompare(h[:], s.dashboard[:]) == 1, nil
		}
		if !api.ValidID(principal) {
			return false, nil
		}
		a, err := s.st.AuthSecret(ctx, memberSecretName(principal))
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		hx := hex.EncodeToString(h[:])
		return subtle.ConstantTimeCompare([]byte(hx), []byte(a.Hash)) == 1, nil
	})
	if err != nil {
		return Grant{}, err
	}
	kind, ttl := store.SessionDashboard, DashboardSessionTTL
	if principal != "" {
		kind, ttl = store.SessionMember, MemberSessionTTL
	}
	g, err := s.newSession(ctx, kind, principal, addr, userAgent, ttl)
	if err != nil {
		return Grant{}, err
	}
	s.logWrite(g.Caller, "sessions.login", 1, map[string]string{"session": g.Caller.Session, "addr": addr}, "%s login from %s", kind, addr)
	return g, nil
}

// Logout revokes the caller's session.
func (s *Service) Logout(ctx context.Context, c Caller) error {
	if c.Session == "" {
		return Invalid("no_session", "not logged in with a session cookie")
	}
	if _, err := s.st.RevokeSession(ctx, c.Session, s.ms()); err != nil {
		return fromStore(err, "session")
	}
	s.logWrite(c, "sessions.logout", 1, map[string]string{"session": c.Session}, "logged out")
	return nil
}

// SessionInfo describes the caller (GET /session).
type SessionInfo struct {
	Kind      string `json:"kind"`
	Admin     bool   `json:"admin"`
	Principal string `json:"principal,omitempty"`
	Session   string `json:"session,omitempty"`
	CSRFToken string `json:"csrf_token,omitempty"`
	ExpiresAt int64  `json:"expires_at,omitempty"`
	// LoginSecret is a team member's login secret, shown once when an
	// invitation is redeemed.
	LoginSecret string `json:"login_secret,omitempty"`
}

// Info describes a caller.
func (s *Service) Info(c Caller) SessionInfo {
	return SessionInfo{Kind: c.Kind, Admin: c.Admin, Principal: c.Principal, Session: c.Session, CSRFToken: s.CSRFToken(c)}
}

// SessionView is a session as the API shows it.
type SessionView struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	Principal  string `json:"principal,omitempty"`
	Addr       string `json:"addr,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
	CreatedAt  int64  `json:"created_at"`
	ExpiresAt  int64  `json:"expires_at"`
	LastUsedAt int64  `json:"last_used_at,omitempty"`
	RevokedAt  int64  `json:"revoked_at,omitempty"`
	Current    bool   `json:"current,omitempty"`
}

// Sessions lists sessions: every one to the admin, its own to a member.
func (s *Service) Sessions(ctx context.Context, c Caller) ([]SessionView, error) {
	if !c.Admin && c.Kind != CredMember {
		return nil, newErr(KindForbidden, "forbidden", "only the admin and team members have sessions")
	}
	s.use.flush(ctx, s.st)
	ss, err := s.st.ListSessions(ctx)
	if err != nil {
		return nil, err
	}
	out := []SessionView{}
	for _, se := range ss {
		if !c.Admin && (se.Kind != store.SessionMember || se.Principal != c.Principal) {
			continue
		}
		out = append(out, SessionView{ID: se.ID, Kind: se.Kind, Principal: se.Principal, Addr: se.Addr, UserAgent: se.UserAgent,
			CreatedAt: se.CreatedAt, ExpiresAt: se.ExpiresAt, LastUsedAt: se.LastUsedAt, RevokedAt: se.RevokedAt, Current: se.ID == c.Session})
	}
	return out, nil
}

// RevokeSession revokes a session: any by the admin, its own by a member.
func (s *Service) RevokeSession(ctx context.Context, c Caller, id string) error {
	if !c.Admin && c.Kind != CredMember {
		return newErr(KindForbidden, "forbidden", "only the admin and team members have sessions")
	}
	ss, err := s.st.ListSessions(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ss, func(se store.Session) bool { return se.ID == id })
	if i < 0 || (!c.Admin && (ss[i].Kind != store.SessionMember || ss[i].Principal != c.Principal)) {
		return notFound("session " + id)
	}
	if _, err := s.st.RevokeSession(ctx, id, s.ms()); err != nil {
		return fromStore(err, "session "+id)
	}
	s.logWrite(c, "sessions.revoke", 1, map[string]string{"session": id, "principal": ss[i].Principal}, "revoked session %s", id)
	return nil
}

// ---- invitations

// InvitationRequest asks for an invitation for a team member.
type InvitationRequest struct {
	Principal string `json:"principal"`
	// ExpiresAt: milliseconds since the epoch; 0: in 7 days.
	ExpiresAt int64 `json:"expires_at,omitempty"`
}

// InvitationView is an invitation as the API shows it.
type InvitationView struct {
	Token     string `json:"token,omitempty"` // only when created
	Prefix    string `json:"prefix"`
	Principal string `json:"principal"`
	CreatedAt int64  `json:"created_at"`
	ExpiresAt int64  `json:"expires_at"`
	UsedAt    int64  `json:"used_at,omitempty"`
	RevokedAt int64  `json:"revoked_at,omitempty"`
}

func invitationView(i store.Invitation) InvitationView {
	return InvitationView{Prefix: i.Prefix, Principal: i.Principal, CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt, UsedAt: i.UsedAt, RevokedAt: i.RevokedAt}
}

// CreateInvitation makes a one-time invitation for a user principal
// (admin); the token is returned once, only its hash is stored.
func (s *Service) CreateInvitation(ctx context.Context, c Caller, r InvitationRequest) (InvitationView, error) {
	if err := c.needAdmin(); err != nil {
		return InvitationView{}, err
	}
	if err := api.CheckID("principal", r.Principal); err != nil {
		return InvitationView{}, fromAPI(err)
	}
	p, err := s.st.Principal(ctx, r.Principal)
	if err != nil {
		return InvitationView{}, fromStore(err, "principal "+r.Principal)
	}
	if p.Kind != api.PrincipalUser {
		return InvitationView{}, Invalid("invalid_value", "principal: %s is a %s; only users log in", r.Principal, p.Kind)
	}
	now := s.now()
	if r.ExpiresAt == 0 {
		r.ExpiresAt = now.Add(DefaultInvitationTTL).UnixMilli()
	}
	if r.ExpiresAt <= now.UnixMilli() {
		return InvitationView{}, Invalid("invalid_value", "expires_at: in the past")
	}
	secret, err := randomSecret(InvitationPrefix)
	if err != nil {
		return InvitationView{}, err
	}
	inv := store.Invitation{Hash: hashHex(secret), Prefix: secret[:tokenDisplayLen], Principal: r.Principal, CreatedAt: now.UnixMilli(), ExpiresAt: r.ExpiresAt}
	if err := s.st.CreateInvitation(ctx, inv); err != nil {
		return InvitationView{}, fromStore(err, "invitation")
	}
	s.logWrite(c, "invitations.create", 1, map[string]string{"principal": r.Principal, "prefix": inv.Prefix}, "invited %s (%s)", r.Principal, inv.Prefix)
	v := invitationView(inv)
	v.Token = secret
	return v, nil
}

// ListInvitations lists invitations (admin).
func (s *Service) ListInvitations(ctx context.Context, c Caller) ([]InvitationView, error) {
	if err := c.needAdmin(); err != nil {
		return nil, err
	}
	is, err := s.st.ListInvitations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]InvitationView, 0, len(is))
	for _, i := range is {
		out = append(out, invitationView(i))
	}
	return out, nil
}

// RevokeInvitation revokes an unused invitation (admin).
func (s *Service) RevokeInvitation(ctx context.Context, c Caller, prefix string) error {
	if err := c.needAdmin(); err != nil {
		return err
	}
	if err := s.st.RevokeInvitation(ctx, prefix, s.ms()); err != nil {
		return fromStore(err, "invitation")
	}
	s.logWrite(c, "invitations.revoke", 1, map[string]string{"prefix": prefix}, "revoked invitation %s", prefix)
	return nil
}

// Redeem exchanges an invitation, once, for a member session.
func (s *Service) Redeem(ctx context.Context, addr, userAgent, token string) (Grant, error) {
	var inv store.Invitation
	err := s.guard(ctx, addr, func(now int64) (bool, error) {
		if !strings.HasPrefix(token, InvitationPrefix) || len(token) > 256 {
			return false, nil
		}
		var err error
		inv, err = s.st.RedeemInvitation(ctx, hashHex(token), now)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return Grant{}, err
	}
	g, err := s.newSession(ctx, store.SessionMember, inv.Principal, addr, userAgent, MemberSessionTTL)
	if err != nil {
		return Grant{}, err
	}
	// The member's login secret, new with every invitation.
	if g.LoginSecret, err = randomSecret(MemberSecretPrefix); err != nil {
		return Grant{}, err
	}
	if err := s.st.PutAuthSecret(ctx, store.AuthSecret{Name: memberSecretName(inv.Principal), Hash: hashHex(g.LoginSecret), UpdatedAt: s.ms()}); err != nil {
		return Grant{}, err
	}
	s.logWrite(g.Caller, "invitations.redeem", 1, map[string]string{"prefix": inv.Prefix, "session": g.Caller.Session}, "%s redeemed invitation %s", inv.Principal, inv.Prefix)
	return g, nil
}
