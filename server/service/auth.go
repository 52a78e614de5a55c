package service

// The authentication seam. Issue 5 replaces and extends what is here (the
// dashboard secret cookie, team-member sessions, the write secret, read
// tokens with data windows, CSRF, rate limits); the rest of the service sees
// only a Caller.
//
// For now:
//   - the admin authenticates with a bearer secret generated on the server's
//     first run (AdminSecretFile in the data directory, mode 0600); the
//     service keeps only its SHA-256 and compares hashes in constant time;
//   - the admin creates bearer tokens for principals with scopes read
//     and/or write; only the SHA-256 of a token is stored;
//   - failed attempts are recorded per client address; 10 failures in 5
//     minutes block the address (429) until they age out; a success clears
//     them.

import (
	"context"
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

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/store"
)

// Token and secret forms.
const (
	AdminSecretPrefix = "zka_"
	TokenPrefix       = "zkt_"
	tokenDisplayLen   = len(TokenPrefix) + 8
	AdminSecretFile   = "admin.secret"

	loginWindowMS   = 5 * 60 * 1000
	loginMaxFailure = 10
)

func hashSecret(s string) [32]byte { return sha256.Sum256([]byte(s)) }

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
	p := filepath.Join(dir, AdminSecretFile)
	b, err := os.ReadFile(p)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if !strings.HasPrefix(s, AdminSecretPrefix) || len(s) < 40 {
			return "", false, fmt.Errorf("admin secret in %s is malformed", p)
		}
		return s, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, err
	}
	s, err := randomSecret(AdminSecretPrefix)
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

// Authenticate resolves a bearer credential presented from addr into a
// Caller.
func (s *Service) Authenticate(ctx context.Context, addr, bearer string) (Caller, error) {
	if bearer == "" {
		// No credential presented: not a login attempt.
		return Caller{}, newErr(KindUnauthorized, "unauthorized", "missing credentials: send Authorization: Bearer <secret or token>")
	}
	now := s.ms()
	fails, err := s.st.LoginFailures(ctx, addr, now-loginWindowMS)
	if err != nil {
		return Caller{}, err
	}
	if fails >= loginMaxFailure {
		return Caller{}, newErr(KindTooMany, "too_many_attempts", "too many failed attempts from this address; try again in a few minutes")
	}
	c, ok, err := s.resolve(ctx, bearer, now)
	if err != nil {
		return Caller{}, err
	}
	if !ok {
		if err := s.st.AddLoginAttempt(ctx, store.LoginAttempt{Addr: addr, Time: now}); err != nil {
			return Caller{}, err
		}
		return Caller{}, newErr(KindUnauthorized, "unauthorized", "missing, unknown, expired or revoked credentials")
	}
	if fails > 0 {
		if err := s.st.ClearLoginFailures(ctx, addr); err != nil {
			return Caller{}, err
		}
		if err := s.st.AddLoginAttempt(ctx, store.LoginAttempt{Addr: addr, Time: now, Success: true}); err != nil {
			return Caller{}, err
		}
	}
	return c, nil
}

func (s *Service) resolve(ctx context.Context, bearer string, now int64) (Caller, bool, error) {
	if bearer == "" || len(bearer) > 256 {
		return Caller{}, false, nil
	}
	h := hashSecret(bearer)
	if strings.HasPrefix(bearer, AdminSecretPrefix) {
		return Caller{Admin: true}, subtle.ConstantTimeCompare(h[:], s.admin[:]) == 1, nil
	}
	if !strings.HasPrefix(bearer, TokenPrefix) {
		return Caller{}, false, nil
	}
	t, err := s.st.TokenByHash(ctx, hex.EncodeToString(h[:]))
	if errors.Is(err, store.ErrNotFound) {
		return Caller{}, false, nil
	}
	if err != nil {
		return Caller{}, false, err
	}
	if t.RevokedAt != 0 || (t.ExpiresAt != 0 && now >= t.ExpiresAt) {
		return Caller{}, false, nil
	}
	return Caller{Principal: t.Principal, Scopes: t.Scopes, TokenPrefix: t.Prefix}, true, nil
}

// TokenRequest asks for a new token.
type TokenRequest struct {
	Principal string   `json:"principal"`
	Scopes    []string `json:"scopes"`
	ExpiresAt int64    `json:"expires_at,omitempty"` // milliseconds since the epoch; 0: never
}

// TokenView is a token as the API shows it (never its hash).
type TokenView struct {
	Token     string   `json:"token,omitempty"` // only when created
	Prefix    string   `json:"prefix"`
	Principal string   `json:"principal"`
	Scopes    []string `json:"scopes"`
	CreatedAt int64    `json:"created_at"`
	ExpiresAt int64    `json:"expires_at,omitempty"`
	RevokedAt int64    `json:"revoked_at,omitempty"`
}

func tokenView(t store.Token) TokenView {
	return TokenView{Prefix: t.Prefix, Principal: t.Principal, Scopes: t.Scopes, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt}
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
		return TokenView{}, Invalid("invalid_value", "scopes: at least one of read, write")
	}
	for _, sc := range r.Scopes {
		if sc != ScopeRead && sc != ScopeWrite {
			return TokenView{}, Invalid("invalid_value", "scopes: unknown scope %q", sc)
		}
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
	h := hashSecret(secret)
	t := store.Token{Hash: hex.EncodeToString(h[:]), Prefix: secret[:tokenDisplayLen], Principal: r.Principal, Scopes: r.Scopes, CreatedAt: s.ms(), ExpiresAt: r.ExpiresAt}
	if err := s.st.CreateToken(ctx, t); err != nil {
		return TokenView{}, fromStore(err, "token")
	}
	s.logWrite(c, "tokens.create", 1, map[string]string{"principal": r.Principal, "prefix": t.Prefix}, "created token %s for %s", t.Prefix, r.Principal)
	v := tokenView(t)
	v.Token = secret
	return v, nil
}

// ListTokens lists tokens (admin).
func (s *Service) ListTokens(ctx context.Context, c Caller) ([]TokenView, error) {
	if err := c.needAdmin(); err != nil {
		return nil, err
	}
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
