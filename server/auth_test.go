package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
	"github.com/zkvault/zkvault/static"
)

// authEnv is a server with the issue-5 configuration at hand.
type authEnv struct {
	*env
	dir       string
	dashboard string // the dashboard secret
	write     string // the write secret
	logs      *syncBuffer
	closed    bool
	hs        *httptest.Server
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newAuthEnv(t *testing.T, mod func(*service.Config, *server.Config)) *authEnv {
	t.Helper()
	dir := t.TempDir()
	secret, _, err := service.LoadOrCreateAdminSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	scfg := service.Config{Store: st, AdminSecret: secret, Limits: service.DefaultLimits, Logger: log}
	hcfg := server.Config{Static: static.FS, Logger: log}
	if mod != nil {
		mod(&scfg, &hcfg)
	}
	svc, err := service.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	a := &authEnv{dir: dir, logs: logs}
	a.dashboard, a.write = svc.GeneratedSecrets()
	if a.dashboard == "" {
		a.dashboard = scfg.DashboardSecret
	}
	if a.write == "" {
		a.write = scfg.WriteSecret
	}
	hcfg.Service = svc
	srv := server.New(hcfg)
	a.hs = httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		a.hs.Close()
		if !a.closed {
			svc.Close()
			st.Close()
		}
	})
	a.env = &env{t: t, url: a.hs.URL, admin: secret, store: st, svc: svc, client: a.hs.Client()}
	return a
}

// shutdown closes the service and the store (to read the database file).
func (a *authEnv) shutdown() {
	a.hs.Close()
	a.svc.Close()
	a.store.Close()
	a.closed = true
}

// login logs in to the dashboard and returns the session cookie and the
// anti-CSRF token.
func (a *authEnv) login(hdr ...string) (*http.Cookie, string) {
	a.t.Helper()
	r := a.do("POST", "/api/v1/session", "", map[string]string{"secret": a.dashboard}, hdr...)
	if r.status != 200 {
		a.t.Fatalf("login: %d %s", r.status, r.body)
	}
	return sessionOf(a.t, r)
}

func sessionOf(t *testing.T, r resp) (*http.Cookie, string) {
	t.Helper()
	var info service.SessionInfo
	r.decode(t, &info)
	res := http.Response{Header: r.header}
	for _, c := range res.Cookies() {
		if c.Name == server.SessionCookie {
			return c, info.CSRFToken
		}
	}
	t.Fatalf("no session cookie in %v", r.header)
	return nil, ""
}

// withCookie sends a request with a session cookie (and extra headers).
func (a *authEnv) withCookie(method, path string, ck *http.Cookie, body any, hdr ...string) resp {
	a.t.Helper()
	return a.do(method, path, "", body, append([]string{"Cookie", ck.Name + "=" + ck.Value}, hdr...)...)
}

// publicRoutes need no credential; every other route must refuse a request
// without a good one. A new route is authenticated unless it is added
// here.
var publicRoutes = map[string]bool{
	"GET /healthz":                    true,
	"GET /api/v1/openapi.json":        true,
	"POST /api/v1/session":            true, // exchanges the dashboard secret
	"POST /api/v1/invitations/redeem": true, // exchanges an invitation
}

// TestRouteAuth: every route but the public ones refuses a request with no
// credential, a wrong admin secret, a wrong token, a wrong write secret, a
// forged or stale session cookie: 401, never data.
func TestRouteAuth(t *testing.T) {
	a := newAuthEnv(t, func(_ *service.Config, h *server.Config) {
		h.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	stale, csrf := a.login()
	if r := a.withCookie("DELETE", "/api/v1/session", stale, nil, server.CSRFHeader, csrf); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	forged := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)) + "." + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	creds := []struct {
		name string
		hdr  []string
	}{
		{"none", nil},
		{"wrong admin secret", []string{"Authorization", "Bearer " + service.AdminSecretPrefix + strings.Repeat("A", 43)}},
		{"wrong token", []string{"Authorization", "Bearer " + service.TokenPrefix + strings.Repeat("B", 43)}},
		{"wrong write secret", []string{"Authorization", "Bearer " + service.WriteSecretPrefix + strings.Repeat("C", 43)}},
		{"dashboard secret as bearer", []string{"Authorization", "Bearer " + a.dashboard}},
		{"basic auth", []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+a.admin))}},
		{"forged cookie", []string{"Cookie", server.SessionCookie + "=" + forged}},
		{"logged-out cookie", []string{"Cookie", server.SessionCookie + "=" + stale.Value}},
	}
	param := regexp.MustCompile(`:[A-Za-z_]+`)
	n, seen := 0, map[string]bool{}
	for _, rt := range a.svcServer().Echo().Routes() {
		if strings.HasPrefix(rt.Method, "echo_") {
			continue
		}
		key := rt.Method + " " + rt.Path
		if seen[key] {
			continue
		}
		seen[key] = true
		if publicRoutes[key] {
			continue
		}
		path := param.ReplaceAllString(rt.Path, "x")
		for _, cr := range creds {
			n++
			// Each attempt from its own client address (through the
			// trusted proxy), so that the failed-login limit does not
			// turn the 401s into 429s.
			hdr := append([]string{"X-Forwarded-For", fmt.Sprintf("198.18.%d.%d", n/250, n%250+1), "Content-Type", "application/json"}, cr.hdr...)
			r := a.do(rt.Method, path, "", "{}", hdr...)
			if r.status != 401 || r.errCode(t) != "unauthorized" || r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s with %s: %d %s", key, cr.name, r.status, r.body)
			}
		}
	}
	if len(seen) < 40 {
		t.Fatalf("only %d routes", len(seen))
	}
	for k := range publicRoutes {
		if !seen[k] {
			t.Errorf("public route %s is not a route", k)
		}
	}
}

// svcServer builds a server over the same service (for the route table).
func (a *authEnv) svcServer() *server.Server { return server.New(server.Config{Service: a.svc}) }

func TestDashboardSession(t *testing.T) {
	a := newAuthEnv(t, nil)
	if !strings.HasPrefix(a.dashboard, service.DashboardSecretPrefix) {
		t.Fatalf("generated dashboard secret %q", a.dashboard)
	}
	if d, w := a.svc.GeneratedSecrets(); d != "" || w != "" {
		t.Fatal("generated secrets are handed out twice")
	}
	if r := a.do("POST", "/api/v1/session", "", map[string]string{"secret": "wrong-secret-wrong-secret"}); r.status != 401 {
		t.Fatalf("wrong secret: %d %s", r.status, r.body)
	}
	r := a.do("POST", "/api/v1/session", "", map[string]string{"secret": a.dashboard})
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	ck, csrf := sessionOf(t, r)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.MaxAge < 364*24*3600 || ck.Path != "/" {
		t.Fatalf("cookie %+v", ck)
	}
	if strings.Contains(ck.Value, a.dashboard) || strings.Contains(string(r.body), a.dashboard) || csrf == "" {
		t.Fatalf("cookie or body holds the secret: %s %s", ck.Value, r.body)
	}
	var info service.SessionInfo
	a.withCookie("GET", "/api/v1/session", ck, nil).decode(t, &info)
	if !info.Admin || info.Kind != service.CredDashboard || info.CSRFToken != csrf {
		t.Fatalf("session %+v", info)
	}
	// The dashboard reads as the admin.
	if r := a.withCookie("GET", "/api/v1/tokens", ck, nil); r.status != 200 {
		t.Fatalf("read with cookie: %d %s", r.status, r.body)
	}
	// A write needs the anti-CSRF token.
	on := map[string]bool{"encryption": true}
	if r := a.withCookie("PUT", "/api/v1/settings", ck, on); r.status != 403 || r.errCode(t) != "csrf" {
		t.Fatalf("write without csrf: %d %s", r.status, r.body)
	}
	wrong := "x" + csrf[1:]
	if csrf[0] == 'x' {
		wrong = "y" + csrf[1:]
	}
	if r := a.withCookie("PUT", "/api/v1/settings", ck, on, server.CSRFHeader, wrong); r.status != 403 {
		t.Fatalf("write with a wrong csrf: %d %s", r.status, r.body)
	}
	a.withCookie("PUT", "/api/v1/settings", ck, on, server.CSRFHeader, csrf, "Origin", a.url, "Sec-Fetch-Site", "same-origin")
	if r := a.withCookie("PUT", "/api/v1/settings", ck, on, server.CSRFHeader, csrf); r.status != 200 {
		t.Fatalf("write with csrf: %d %s", r.status, r.body)
	}
	// A cross-site form post with the cookie is refused, with or without
	// a token, and changes nothing.
	a.principal("alice", api.PrincipalUser, 0)
	form := "principal=alice&scopes=read"
	for _, hdr := range [][]string{
		{"Content-Type", "application/x-www-form-urlencoded", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"},
		{"Content-Type", "application/x-www-form-urlencoded", "Origin", "https://evil.example"},
		{"Content-Type", "text/plain", "Sec-Fetch-Site", "cross-site", server.CSRFHeader, csrf},
		{"Content-Type", "application/x-www-form-urlencoded", "Origin", "null", server.CSRFHeader, csrf},
		{"Content-Type", "application/x-www-form-urlencoded"},
	} {
		if r := a.withCookie("POST", "/api/v1/tokens", ck, form, hdr...); r.status != 403 {
			t.Fatalf("cross-site post %v: %d %s", hdr, r.status, r.body)
		}
	}
	if r := a.do("POST", "/api/v1/session", "", map[string]string{"secret": a.dashboard}, "Origin", "https://evil.example"); r.status != 403 {
		t.Fatalf("cross-site login: %d %s", r.status, r.body)
	}
	var tl struct{ Items []service.TokenView }
	a.must(200, "GET", "/api/v1/tokens", a.admin, nil).decode(t, &tl)
	if len(tl.Items) != 0 {
		t.Fatalf("a cross-site post made a token: %+v", tl.Items)
	}
	// A bearer request needs no anti-CSRF token (no cookie is involved).
	a.must(201, "POST", "/api/v1/tokens", a.admin, service.TokenRequest{Principal: "alice", Scopes: []string{"read"}})
	// Logging out invalidates the cookie server-side: a copy of it fails.
	other, _ := a.login()
	if r := a.withCookie("DELETE", "/api/v1/session", ck, nil, server.CSRFHeader, csrf); r.status != 204 || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", r.status, r.header)
	}
	if r := a.withCookie("GET", "/api/v1/tokens", ck, nil); r.status != 401 || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("cookie after logout: %d %s %v", r.status, r.body, r.header)
	}
	// The other session lives on; the admin lists sessions and revokes it.
	var sl struct{ Items []service.SessionView }
	a.withCookie("GET", "/api/v1/sessions", other, nil).decode(t, &sl)
	if len(sl.Items) != 2 || sl.Items[0].RevokedAt == 0 || !sl.Items[1].Current {
		t.Fatalf("sessions %+v", sl.Items)
	}
	a.must(204, "DELETE", "/api/v1/sessions/"+sl.Items[1].ID, a.admin, nil)
	if r := a.withCookie("GET", "/api/v1/tokens", other, nil); r.status != 401 {
		t.Fatalf("revoked session: %d %s", r.status, r.body)
	}
	// A tampered cookie fails.
	third, _ := a.login()
	tampered := *third
	tampered.Value = third.Value[:len(third.Value)-2] + "AA"
	if r := a.withCookie("GET", "/api/v1/tokens", &tampered, nil); r.status != 401 {
		t.Fatalf("tampered cookie: %d", r.status)
	}
	// Behind a TLS proxy: Secure cookies and HSTS.
	b := newAuthEnv(t, func(_ *service.Config, h *server.Config) {
		h.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	r = b.do("POST", "/api/v1/session", "", map[string]string{"secret": b.dashboard}, "X-Forwarded-Proto", "https")
	if c, _ := sessionOf(t, r); !c.Secure || !strings.Contains(r.header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("behind TLS: %+v %v", c, r.header)
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := newAuthEnv(t, nil)
	for _, p := range []string{"/", "/api/v1/settings", "/healthz", "/nope"} {
		r := a.do("GET", p, "", nil)
		h := r.header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'none'", "default-src 'self'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", p, csp, want)
			}
		}
		if h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: headers %v", p, h)
		}
	}
	b := newAuthEnv(t, func(_ *service.Config, h *server.Config) { h.TLS = true })
	if r := b.do("GET", "/", "", nil); r.header.Get("Strict-Transport-Security") == "" {
		t.Errorf("no HSTS with TLS: %v", r.header)
	}
}

// vaultWithData makes a vault of messages (times 1000, 1010, …, 1190) and
// notes for the principal owner, and a blob linked to m01 and one to m15.
func vaultWithData(a *authEnv, owner api.Principal, id string) {
	a.t.Helper()
	vault := api.Space{ID: id, Kind: api.KindVault, Encrypted: true, SecretVersion: 1,
		Relations: []api.Relation{{Role: api.RoleOwner, Principal: owner.ID}},
		Envelopes: []api.Envelope{passphraseEnvelope(1)},
		Schemas:   []api.Schema{messages, {Collection: "notes", Fields: map[string]api.Field{"body": {Type: api.TypeString, Encrypted: true}}}}}
	a.must(201, "POST", "/api/v1/spaces", a.admin, vault)
	recs := []any{}
	for i := 0; i < 20; i++ {
		recs = append(recs, msg(fmt.Sprintf("m%02d", i), int64(1000+i*10), "chat", idx32(i%2)))
	}
	a.must(200, "POST", "/api/v1/spaces/"+id+"/collections/messages/records", a.admin, map[string]any{"records": recs})
	a.must(200, "POST", "/api/v1/spaces/"+id+"/collections/notes/records", a.admin, map[string]any{"records": []any{map[string]any{"id": "n1", "fields": map[string]any{"body": ct(10)}}}})
	a.must(201, "PUT", "/api/v1/spaces/"+id+"/blobs/b01?collection=messages&record=m01", a.admin, "blob one")
	a.must(201, "PUT", "/api/v1/spaces/"+id+"/blobs/b15?collection=messages&record=m15", a.admin, "blob fifteen")
	a.must(201, "PUT", "/api/v1/spaces/"+id+"/blobs/loose", a.admin, "no record")
}

func ids(t *testing.T, r resp) []string {
	t.Helper()
	var p page
	r.decode(t, &p)
	var out []string
	for _, rec := range p.Records {
		out = append(out, rec.ID)
	}
	return out
}

// TestReadTokenScopes: a token cannot write or read outside its scopes,
// spaces and window; a revoked or expired token fails; last use is kept.
func TestReadTokenScopes(t *testing.T) {
	a := newAuthEnv(t, nil)
	owner := a.principal("owner", api.PrincipalUser, 0)
	vaultWithData(a, owner, "v1")
	vaultWithData(a, owner, "v2")
	from, to := int64(1050), int64(1100)
	var tv service.TokenView
	a.must(201, "POST", "/api/v1/tokens", a.admin, service.TokenRequest{Principal: "owner", Name: "photo app",
		Scopes: []string{"read:messages"}, Spaces: []string{"v1"}, WindowFrom: &from, WindowTo: &to}).decode(t, &tv)
	tok := tv.Token
	if !strings.HasPrefix(tok, service.TokenPrefix) || tv.Prefix != tok[:len(tv.Prefix)] || len(tv.Prefix) >= len(tok) {
		t.Fatalf("token %+v", tv)
	}
	base := "/api/v1/spaces/v1/collections/messages/records"
	// Reads are confined to the window, whatever the query.
	if got := ids(t, a.must(200, "GET", base, tok, nil)); strings.Join(got, ",") != "m05,m06,m07,m08,m09" {
		t.Fatalf("all: %v", got)
	}
	if got := ids(t, a.must(200, "GET", base+"?from=0&to=1070", tok, nil)); strings.Join(got, ",") != "m05,m06" {
		t.Fatalf("time range: %v", got)
	}
	if got := ids(t, a.must(200, "GET", base+"?field=chatId&value=chat", tok, nil)); strings.Join(got, ",") != "m05,m06,m07,m08,m09" {
		t.Fatalf("field: %v", got)
	}
	if got := ids(t, a.must(200, "GET", base+"?index=senderPhoneIndex&value="+idx32(1), tok, nil)); strings.Join(got, ",") != "m05,m07,m09" {
		t.Fatalf("index: %v", got)
	}
	a.must(200, "GET", base+"/m06", tok, nil)
	a.must(404, "GET", base+"/m01", tok, nil)
	a.must(404, "GET", base+"/m15", tok, nil)
	// Blobs follow their record; one without a record is outside every window.
	a.must(404, "GET", "/api/v1/spaces/v1/blobs/b01", tok, nil)
	a.must(403, "GET", "/api/v1/spaces/v1/blobs/loose", tok, nil) // in no collection
	// Other collections, other spaces, writes: refused.
	for _, c := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/api/v1/spaces/v1/collections/notes/records", nil, 403},
		{"GET", "/api/v1/spaces/v1/collections/notes/records/n1", nil, 403},
		{"GET", "/api/v1/spaces/v2/collections/messages/records", nil, 404},
		{"GET", "/api/v1/spaces/v2", nil, 404},
		{"GET", "/api/v1/spaces/v2/blobs/b01", nil, 404},
		{"POST", base, map[string]any{"records": []any{msg("m99", 1060, "c", idx32(1))}}, 403},
		{"DELETE", base + "/m06", nil, 403},
		{"PUT", "/api/v1/spaces/v1/blobs/new?collection=messages&record=m06", "x", 403},
		{"DELETE", "/api/v1/spaces/v1/blobs/b01", nil, 403},
		{"POST", "/api/v1/spaces/v1/collections", api.Schema{Collection: "more", Fields: map[string]api.Field{"x": {Type: api.TypeString, Encrypted: true}}}, 403},
		{"POST", "/api/v1/tokens", service.TokenRequest{Principal: "owner", Scopes: []string{"read"}}, 403},
		{"GET", "/api/v1/logs/read", nil, 403},
		{"GET", "/api/v1/backup", nil, 403},
		{"POST", "/api/v1/spaces", api.Space{ID: "v3", Kind: api.KindVault, Relations: []api.Relation{{Role: api.RoleOwner, Principal: "owner"}}}, 403},
		{"PUT", "/api/v1/principals/owner/key", api.Principal{ID: "owner", Kind: api.PrincipalUser, PublicKey: pubKeys[1], Fingerprint: fingerprint(pubKeys[1]), KeyVersion: 2}, 403},
	} {
		if r := a.do(c.method, c.path, tok, c.body); r.status != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, r.status, r.body, c.status)
		}
	}
	var sl struct{ Items []service.SpaceView }
	a.must(200, "GET", "/api/v1/spaces", tok, nil).decode(t, &sl)
	if len(sl.Items) != 1 || sl.Items[0].ID != "v1" {
		t.Fatalf("spaces %+v", sl.Items)
	}
	// A write token on one collection writes it, and only it.
	var wv service.TokenView
	a.must(201, "POST", "/api/v1/tokens", a.admin, service.TokenRequest{Principal: "owner", Scopes: []string{"write:notes"}}).decode(t, &wv)
	a.must(200, "POST", "/api/v1/spaces/v1/collections/notes/records", wv.Token, map[string]any{"records": []any{map[string]any{"id": "n2", "fields": map[string]any{"body": ct(10)}}}})
	a.must(403, "POST", base, wv.Token, map[string]any{"records": []any{msg("m98", 1060, "c", idx32(1))}})
	a.must(403, "GET", "/api/v1/spaces/v1/collections/notes/records", wv.Token, nil)
	a.must(403, "PUT", "/api/v1/spaces/v1/blobs/nb", wv.Token, "x")
	a.must(201, "PUT", "/api/v1/spaces/v1/blobs/nb?collection=notes&record=n2", wv.Token, "x")
	// Last use is recorded.
	time.Sleep(1200 * time.Millisecond)
	var tl struct{ Items []service.TokenView }
	a.must(200, "GET", "/api/v1/tokens", a.admin, nil).decode(t, &tl)
	if len(tl.Items) != 2 || tl.Items[0].LastUsedAt == 0 || tl.Items[0].Name != "photo app" || tl.Items[0].WindowFrom == nil {
		t.Fatalf("tokens %+v", tl.Items)
	}
	// Revoked: 401, and the listing keeps it with revoked_at.
	a.must(204, "DELETE", "/api/v1/tokens/"+tv.Prefix, a.admin, nil)
	a.must(401, "GET", base, tok, nil)
	a.must(200, "GET", "/api/v1/tokens", a.admin, nil).decode(t, &tl)
	if tl.Items[0].RevokedAt == 0 {
		t.Fatalf("revoked token %+v", tl.Items[0])
	}
	// Expired: 401.
	var ev service.TokenView
	a.must(201, "POST", "/api/v1/tokens", a.admin, service.TokenRequest{Principal: "owner", Scopes: []string{"read"}, ExpiresAt: time.Now().Add(300 * time.Millisecond).UnixMilli()}).decode(t, &ev)
	a.must(200, "GET", base, ev.Token, nil)
	time.Sleep(400 * time.Millisecond)
	a.must(401, "GET", base, ev.Token, nil)
	// Bad token requests.
	for _, r := range []service.TokenRequest{
		{Principal: "owner", Scopes: []string{"read:"}},
		{Principal: "owner", Scopes: []string{"admin"}},
		{Principal: "owner", Scopes: []string{"read:a/b"}},
		{Principal: "owner", Scopes: []string{"read"}, WindowFrom: &to, WindowTo: &from},
	} {
		a.must(400, "POST", "/api/v1/tokens", a.admin, r)
	}
}

// TestWriteSecret: the ingest client's secret creates its vault and writes
// records and blobs; it reads nothing and administers nothing.
func TestWriteSecret(t *testing.T) {
	a := newAuthEnv(t, func(c *service.Config, _ *server.Config) {
		c.WriteSecret = "configured write secret 0123456789"
	})
	w := a.write
	vault := api.Space{ID: "mine", Kind: api.KindVault, Encrypted: true, SecretVersion: 1,
		Relations: []api.Relation{{Role: api.RoleOwner, Principal: "owner"}},
		Envelopes: []api.Envelope{passphraseEnvelope(1)}, Schemas: []api.Schema{messages}}
	a.must(201, "POST", "/api/v1/spaces", w, vault)
	a.must(200, "POST", "/api/v1/spaces/mine/collections/messages/records", w, map[string]any{"records": []any{msg("m1", 1, "c", idx32(1))}})
	a.must(201, "PUT", "/api/v1/spaces/mine/blobs/b1?collection=messages&record=m1", w, "bytes")
	// Someone else's space is not found; reading and administering are refused.
	other := a.principal("other", api.PrincipalUser, 1)
	vaultWithData(a, other, "theirs")
	a.must(404, "POST", "/api/v1/spaces/theirs/collections/messages/records", w, map[string]any{"records": []any{msg("m1", 1, "c", idx32(1))}})
	for _, p := range []string{"/api/v1/spaces/mine", "/api/v1/spaces/mine/collections/messages/records", "/api/v1/spaces/mine/blobs/b1",
		"/api/v1/spaces/theirs/collections/messages/records/m01", "/api/v1/tokens", "/api/v1/logs/write", "/api/v1/backup", "/api/v1/sessions"} {
		if r := a.do("GET", p, w, nil); r.status != 403 && r.status != 404 {
			t.Errorf("write secret GET %s: %d %s", p, r.status, r.body)
		}
	}
	a.must(403, "PUT", "/api/v1/settings", w, map[string]bool{"encryption": true})
	a.must(403, "PUT", "/api/v1/principals/owner/key", w, api.Principal{ID: "owner", Kind: api.PrincipalUser, PublicKey: pubKeys[1], Fingerprint: fingerprint(pubKeys[1]), KeyVersion: 1})
	a.must(403, "POST", "/api/v1/tokens", w, service.TokenRequest{Principal: "owner", Scopes: []string{"read"}})
	// The write log says who wrote.
	a.svc.Flush()
	es, _, err := a.store.ListLogs(t.Context(), store.LogWrite, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range es {
		if e.Type == "records.upsert" && e.Who == "write-secret:owner" && e.TokenPrefix == service.CredWrite {
			found = true
		}
	}
	if !found {
		t.Fatalf("no write-secret entry in %+v", es)
	}
}

// TestLoginLimit: the 11th failed login in 5 minutes gets 429 with
// Retry-After, even with the right secret; a forged X-Forwarded-For does
// not reset it, with or without a trusted proxy; a success clears failures.
func TestLoginLimit(t *testing.T) {
	for _, proxied := range []bool{false, true} {
		t.Run(fmt.Sprintf("proxy=%v", proxied), func(t *testing.T) {
			a := newAuthEnv(t, func(_ *service.Config, h *server.Config) {
				if proxied {
					h.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
				}
			})
			// The proxy appends the client's address; what the client
			// sent stays on the left.
			client := func(forged string) []string {
				if !proxied {
					return []string{"X-Forwarded-For", forged}
				}
				return []string{"X-Forwarded-For", forged + ", 203.0.113.9"}
			}
			bad := map[string]string{"secret": "not the dashboard secret"}
			// Five failures, a success: cleared.
			for i := 0; i < 5; i++ {
				a.do("POST", "/api/v1/session", "", bad, client("192.0.2.1")...)
			}
			if r := a.do("POST", "/api/v1/session", "", map[string]string{"secret": a.dashboard}, client("192.0.2.1")...); r.status != 200 {
				t.Fatalf("login: %d %s", r.status, r.body)
			}
			for i := 0; i < 10; i++ {
				if r := a.do("POST", "/api/v1/session", "", bad, client(fmt.Sprintf("192.0.2.%d", i+10))...); r.status != 401 {
					t.Fatalf("failure %d: %d %s", i+1, r.status, r.body)
				}
			}
			for _, body := range []map[string]string{bad, {"secret": a.dashboard}} {
				r := a.do("POST", "/api/v1/session", "", body, client("198.51.100.77")...)
				if r.status != 429 || r.errCode(t) != "too_many_attempts" {
					t.Fatalf("11th: %d %s", r.status, r.body)
				}
				if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 300 {
					t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
				}
			}
			// Bearer and cookie failures share the limit.
			if r := a.do("GET", "/api/v1/settings", a.admin, nil, client("192.0.2.99")...); r.status != 429 {
				t.Fatalf("bearer after 10 failures: %d", r.status)
			}
			if proxied {
				// Another client behind the proxy is not blocked.
				r := a.do("POST", "/api/v1/session", "", map[string]string{"secret": a.dashboard}, "X-Forwarded-For", "203.0.113.10")
				if r.status != 200 {
					t.Fatalf("other client: %d %s", r.status, r.body)
				}
			}
			as, _, err := a.store.ListLoginAttempts(t.Context(), "", 100)
			if err != nil || len(as) < 10 {
				t.Fatalf("attempts %v %d", err, len(as))
			}
			want := "127.0.0.1"
			if proxied {
				want = "203.0.113.9"
			}
			if as[0].Addr != want && as[1].Addr != want {
				t.Fatalf("attempts recorded for %q, want %q", as[0].Addr, want)
			}
		})
	}
}

// TestRateLimit: the per-address and per-credential limits answer 429 with
// Retry-After.
func TestRateLimit(t *testing.T) {
	a := newAuthEnv(t, func(_ *service.Config, h *server.Config) {
		h.RateLimit = server.RateLimit{PerAddr: 0.5, AddrBurst: 5}
	})
	codes := []int{}
	for i := 0; i < 7; i++ {
		r := a.do("GET", "/healthz", "", nil)
		codes = append(codes, r.status)
		if r.status == 429 && r.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if !slices.Equal(codes, []int{200, 200, 200, 200, 200, 429, 429}) {
		t.Fatalf("per address: %v", codes)
	}
	if r := a.do("GET", "/", "", nil); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("dashboard files: %d", r.status)
	}
	b := newAuthEnv(t, func(_ *service.Config, h *server.Config) {
		h.RateLimit = server.RateLimit{PerCredential: 0.5, CredentialBurst: 3}
	})
	b.principal("p", api.PrincipalUser, -1)
	t1, t2 := b.token("p", "read"), b.token("p", "read")
	for i := 0; i < 2; i++ { // 2 of the admin's 3 went on principal and tokens
		b.must(200, "GET", "/api/v1/spaces", t1, nil)
	}
	b.must(200, "GET", "/api/v1/spaces", t1, nil)
	if r := b.do("GET", "/api/v1/spaces", t1, nil); r.status != 429 || r.errCode(t) != "rate_limited" || r.header.Get("Retry-After") != "2" {
		t.Fatalf("per credential: %d %s %v", r.status, r.body, r.header)
	}
	b.must(200, "GET", "/api/v1/spaces", t2, nil)
}

// TestStreamCap: concurrent blob transfers beyond the cap get 429.
func TestStreamCap(t *testing.T) {
	a := newAuthEnv(t, func(_ *service.Config, h *server.Config) { h.MaxStreams = 1 })
	a.must(201, "POST", "/api/v1/spaces", a.admin, api.Space{ID: "s", Kind: api.KindVault})
	pr, pw := io.Pipe()
	done := make(chan resp)
	go func() {
		req, _ := http.NewRequest("PUT", a.url+"/api/v1/spaces/s/blobs/slow", pr)
		req.Header.Set("Authorization", "Bearer "+a.admin)
		res, err := a.client.Do(req)
		if err != nil {
			done <- resp{}
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		done <- resp{status: res.StatusCode, body: b}
	}()
	// More than the transport's 4 KiB buffer, so that the request goes
	// out now and the server holds the stream.
	pw.Write(bytes.Repeat([]byte("z"), 8<<10))
	time.Sleep(300 * time.Millisecond) // the server has the headers: it holds the slot
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := a.do("PUT", "/api/v1/spaces/s/blobs/other", a.admin, "x")
		if r.status == 429 {
			if r.errCode(t) != "too_many_streams" || r.header.Get("Retry-After") == "" {
				t.Fatalf("stream cap: %s %v", r.body, r.header)
			}
			break
		}
		if time.Now().After(deadline) {
			pw.Close()
			early := <-done
			t.Fatalf("no 429 while a stream runs: %d %s (the stream: %d %s)", r.status, r.body, early.status, early.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	pw.Close()
	if r := <-done; r.status != 201 {
		t.Fatalf("slow upload: %d %s", r.status, r.body)
	}
	a.must(201, "PUT", "/api/v1/spaces/s/blobs/other", a.admin, "x")
}

// TestTeamMembers: an invitation, redeemed once, starts a member session;
// the member uploads its key and lists and revokes its sessions; the admin
// sees and revokes every session.
func TestTeamMembers(t *testing.T) {
	a := newAuthEnv(t, nil)
	a.principal("alice", api.PrincipalUser, -1)
	a.principal("bob", api.PrincipalUser, -1)
	a.principal("queue", api.PrincipalGroup, 3)
	a.must(400, "POST", "/api/v1/invitations", a.admin, service.InvitationRequest{Principal: "queue"})
	a.must(404, "POST", "/api/v1/invitations", a.admin, service.InvitationRequest{Principal: "nobody"})
	var iv service.InvitationView
	a.must(201, "POST", "/api/v1/invitations", a.admin, service.InvitationRequest{Principal: "alice"}).decode(t, &iv)
	if !strings.HasPrefix(iv.Token, service.InvitationPrefix) || iv.ExpiresAt <= time.Now().UnixMilli() {
		t.Fatalf("invitation %+v", iv)
	}
	r := a.do("POST", "/api/v1/invitations/redeem", "", server.RedeemRequest{Token: iv.Token})
	if r.status != 200 {
		t.Fatalf("redeem: %d %s", r.status, r.body)
	}
	ck, csrf := sessionOf(t, r)
	var info service.SessionInfo
	r.decode(t, &info)
	loginSecret := info.LoginSecret
	if !strings.HasPrefix(loginSecret, service.MemberSecretPrefix) {
		t.Fatalf("no login secret: %s", r.body)
	}
	info = service.SessionInfo{}
	a.withCookie("GET", "/api/v1/session", ck, nil).decode(t, &info)
	if info.Admin || info.Kind != service.CredMember || info.Principal != "alice" || info.LoginSecret != "" {
		t.Fatalf("member %+v", info)
	}
	// The login secret logs alice in again (another browser), as alice only.
	a.must(401, "POST", "/api/v1/session", "", server.LoginRequest{Principal: "bob", Secret: loginSecret})
	a.must(401, "POST", "/api/v1/session", "", server.LoginRequest{Principal: "alice", Secret: a.dashboard})
	a.must(401, "POST", "/api/v1/session", "", server.LoginRequest{Secret: loginSecret})
	ck2, _ := sessionOf(t, a.must(200, "POST", "/api/v1/session", "", server.LoginRequest{Principal: "alice", Secret: loginSecret}))
	a.withCookie("GET", "/api/v1/session", ck2, nil).decode(t, &info)
	if info.Kind != service.CredMember || info.Principal != "alice" {
		t.Fatalf("member login %+v", info)
	}
	a.withCookie("DELETE", "/api/v1/session", ck2, nil, server.CSRFHeader, a.withCookie("GET", "/api/v1/session", ck2, nil).csrf(t))
	// Once only.
	a.must(401, "POST", "/api/v1/invitations/redeem", "", server.RedeemRequest{Token: iv.Token})
	// The member's browser uploads its public key and sealed key.
	p := api.Principal{ID: "alice", Kind: api.PrincipalUser, PublicKey: pubKeys[0], Fingerprint: fingerprint(pubKeys[0]), KeyVersion: 1, SealedKey: envData(3, "", 0)}
	if r := a.withCookie("PUT", "/api/v1/principals/alice/key", ck, p); r.status != 403 {
		t.Fatalf("key without csrf: %d", r.status)
	}
	if r := a.withCookie("PUT", "/api/v1/principals/alice/key", ck, p, server.CSRFHeader, csrf); r.status != 200 {
		t.Fatalf("key upload: %d %s", r.status, r.body)
	}
	pb := p
	pb.ID = "bob"
	if r := a.withCookie("PUT", "/api/v1/principals/bob/key", ck, pb, server.CSRFHeader, csrf); r.status != 403 {
		t.Fatalf("alice sets bob's key: %d %s", r.status, r.body)
	}
	// Not the admin.
	if r := a.withCookie("GET", "/api/v1/tokens", ck, nil); r.status != 403 {
		t.Fatalf("member lists tokens: %d", r.status)
	}
	// Bob's session; each member sees only its own.
	a.must(201, "POST", "/api/v1/invitations", a.admin, service.InvitationRequest{Principal: "bob"}).decode(t, &iv)
	bck, bcsrf := sessionOf(t, a.must(200, "POST", "/api/v1/invitations/redeem", "", server.RedeemRequest{Token: iv.Token}))
	var sl struct{ Items []service.SessionView }
	a.withCookie("GET", "/api/v1/sessions", ck, nil).decode(t, &sl)
	// Hers only: this one, and the one she logged out of.
	if len(sl.Items) != 2 || sl.Items[0].Principal != "alice" || !sl.Items[0].Current || sl.Items[1].RevokedAt == 0 {
		t.Fatalf("alice's sessions %+v", sl.Items)
	}
	aliceID := sl.Items[0].ID
	if r := a.withCookie("DELETE", "/api/v1/sessions/"+aliceID, bck, nil, server.CSRFHeader, bcsrf); r.status != 404 {
		t.Fatalf("bob revokes alice's session: %d", r.status)
	}
	a.must(200, "GET", "/api/v1/sessions", a.admin, nil).decode(t, &sl)
	if len(sl.Items) != 3 {
		t.Fatalf("admin sees %+v", sl.Items)
	}
	a.must(204, "DELETE", "/api/v1/sessions/"+aliceID, a.admin, nil)
	a.must(401, "GET", "/api/v1/session", "", nil)
	if r := a.withCookie("GET", "/api/v1/session", ck, nil); r.status != 401 {
		t.Fatalf("revoked member session: %d", r.status)
	}
	// Bob revokes his own.
	a.withCookie("GET", "/api/v1/sessions", bck, nil).decode(t, &sl)
	if r := a.withCookie("DELETE", "/api/v1/sessions/"+sl.Items[0].ID, bck, nil, server.CSRFHeader, bcsrf); r.status != 204 {
		t.Fatalf("bob revokes his session: %d %s", r.status, r.body)
	}
	// A new invitation replaces the login secret.
	a.must(201, "POST", "/api/v1/invitations", a.admin, service.InvitationRequest{Principal: "alice"}).decode(t, &iv)
	a.must(200, "POST", "/api/v1/invitations/redeem", "", server.RedeemRequest{Token: iv.Token})
	a.must(401, "POST", "/api/v1/session", "", server.LoginRequest{Principal: "alice", Secret: loginSecret})
	// Revoked and expired invitations fail.
	a.must(201, "POST", "/api/v1/invitations", a.admin, service.InvitationRequest{Principal: "bob"}).decode(t, &iv)
	a.must(204, "DELETE", "/api/v1/invitations/"+iv.Prefix, a.admin, nil)
	a.must(401, "POST", "/api/v1/invitations/redeem", "", server.RedeemRequest{Token: iv.Token})
	a.must(201, "POST", "/api/v1/invitations", a.admin, service.InvitationRequest{Principal: "bob", ExpiresAt: time.Now().Add(200 * time.Millisecond).UnixMilli()}).decode(t, &iv)
	time.Sleep(300 * time.Millisecond)
	a.must(401, "POST", "/api/v1/invitations/redeem", "", server.RedeemRequest{Token: iv.Token})
	var il struct{ Items []service.InvitationView }
	a.must(200, "GET", "/api/v1/invitations", a.admin, nil).decode(t, &il)
	if len(il.Items) != 5 || il.Items[0].UsedAt == 0 || il.Items[3].RevokedAt == 0 || il.Items[0].Token != "" {
		t.Fatalf("invitations %+v", il.Items)
	}
}

// forms lists the encodings in which a secret could sit in a file.
func forms(secret string) []string {
	out := []string{secret}
	body := secret
	if i := strings.Index(secret, "_"); i > 0 && i < 5 {
		body = secret[i+1:]
		out = append(out, body)
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if raw, err := enc.DecodeString(body); err == nil && len(raw) >= 16 {
			out = append(out, string(raw), hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw))
		}
	}
	out = append(out, base64.StdEncoding.EncodeToString([]byte(secret)), hex.EncodeToString([]byte(secret)))
	return out
}

// TestNoSecretsAtRest: the database file holds no secret, token,
// invitation or session id in clear or in an encoding, and the logs (the
// server's log lines and the stored write, read and login logs) name none.
func TestNoSecretsAtRest(t *testing.T) {
	a := newAuthEnv(t, func(c *service.Config, _ *server.Config) { c.LogRetention = 90 * 24 * time.Hour })
	secrets := map[string]string{"admin": a.admin, "dashboard": a.dashboard, "write": a.write}
	owner := a.principal("owner", api.PrincipalUser, 0)
	a.principal("member", api.PrincipalUser, -1)
	vaultWithData(a, owner, "v")
	for i, scopes := range [][]string{{"read"}, {"read", "write"}, {"read:messages"}} {
		var tv service.TokenView
		a.must(201, "POST", "/api/v1/tokens", a.admin, service.TokenRequest{Principal: "owner", Scopes: scopes}).decode(t, &tv)
		secrets[fmt.Sprintf("token%d", i)] = tv.Token
		a.must(200, "GET", "/api/v1/spaces/v/collections/messages/records", tv.Token, nil)
	}
	var iv service.InvitationView
	a.must(201, "POST", "/api/v1/invitations", a.admin, service.InvitationRequest{Principal: "member"}).decode(t, &iv)
	secrets["invitation"] = iv.Token
	rr := a.must(200, "POST", "/api/v1/invitations/redeem", "", server.RedeemRequest{Token: iv.Token})
	mck, mcsrf := sessionOf(t, rr)
	var minfo service.SessionInfo
	rr.decode(t, &minfo)
	secrets["member login secret"] = minfo.LoginSecret
	a.must(200, "POST", "/api/v1/session", "", server.LoginRequest{Principal: "member", Secret: minfo.LoginSecret})
	a.withCookie("GET", "/api/v1/session", mck, nil)
	ck, csrf := a.login()
	a.withCookie("PUT", "/api/v1/settings", ck, map[string]bool{"encryption": false}, server.CSRFHeader, csrf)
	a.withCookie("GET", "/api/v1/logs/write", ck, nil)
	a.must(200, "POST", "/api/v1/spaces/v/collections/messages/records", a.write, map[string]any{"records": []any{}})
	for name, c := range map[string]*http.Cookie{"member cookie": mck, "dashboard cookie": ck} {
		secrets[name] = c.Value
		sid, _, _ := strings.Cut(c.Value, ".")
		secrets[name+" id"] = sid
	}
	secrets["member csrf"], secrets["dashboard csrf"] = mcsrf, csrf
	// Wrong credentials are not kept either.
	wrong := service.TokenPrefix + "wrongwrongwrongwrongwrongwrongwrongwrong123"
	a.do("GET", "/api/v1/settings", wrong, nil)
	a.do("POST", "/api/v1/session", "", map[string]string{"secret": "a guessed dashboard secret!"})
	secrets["wrong token"], secrets["guess"] = wrong, "a guessed dashboard secret!"

	a.svc.Flush()
	var stored bytes.Buffer
	for _, kind := range []string{store.LogWrite, store.LogRead} {
		es, _, err := a.store.ListLogs(t.Context(), kind, "", 1000)
		if err != nil || len(es) == 0 {
			t.Fatalf("%s log: %v %d", kind, err, len(es))
		}
		json.NewEncoder(&stored).Encode(es)
		for _, e := range es {
			if e.Who == "" {
				t.Errorf("log entry without who: %+v", e)
			}
		}
	}
	as, _, _ := a.store.ListLoginAttempts(t.Context(), "", 1000)
	json.NewEncoder(&stored).Encode(as)
	a.shutdown()
	db, err := os.ReadFile(filepath.Join(a.dir, boltstore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	logLines := a.logs.String()
	for name, s := range secrets {
		for _, f := range forms(s) {
			if bytes.Contains(db, []byte(f)) {
				t.Errorf("the database holds the %s (%q)", name, f)
			}
			if strings.Contains(logLines, f) {
				t.Errorf("a log line holds the %s", name)
			}
			if strings.Contains(stored.String(), f) {
				t.Errorf("the stored logs hold the %s", name)
			}
		}
	}
	// The test looks where it should: the hashes are there.
	if !bytes.Contains(db, []byte(`"hash"`)) {
		t.Fatal("no hash in the database: wrong file?")
	}
}

// TestLogRetention: entries older than the retention are pruned, younger
// ones stay.
func TestLogRetention(t *testing.T) {
	a := newAuthEnv(t, nil)
	now := time.Now().UnixMilli()
	day := int64(24 * 3600 * 1000)
	var es []store.LogEntry
	for _, age := range []int64{200, 100, 91, 89, 1} {
		es = append(es, store.LogEntry{Kind: store.LogWrite, Type: "x", Count: int(age), Time: now - age*day},
			store.LogEntry{Kind: store.LogRead, Type: "x", Count: int(age), Time: now - age*day})
		a.store.AddLoginAttempt(t.Context(), store.LoginAttempt{Addr: "192.0.2.1", Time: now - age*day})
	}
	if err := a.store.AppendLogs(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	n, err := a.store.Prune(t.Context(), now-90*day)
	if err != nil || n != 3*3+3 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	for _, kind := range []string{store.LogWrite, store.LogRead} {
		got, _, _ := a.store.ListLogs(t.Context(), kind, "", 100)
		var ages []int
		for _, e := range got {
			ages = append(ages, e.Count)
		}
		if !slices.Equal(ages, []int{1, 89}) {
			t.Fatalf("%s log after pruning: %v", kind, ages)
		}
	}
	if f, _ := a.store.LoginFailures(t.Context(), "192.0.2.1", 0); f != 2 {
		t.Fatalf("login failures after pruning: %d", f)
	}
}

// TestTimeouts: an ordinary request that dawdles is cut off at the read
// timeout; a blob upload runs on past it (until the stream timeout).
func TestTimeouts(t *testing.T) {
	a := newAuthEnv(t, nil)
	a.must(201, "POST", "/api/v1/spaces", a.admin, api.Space{ID: "s", Kind: api.KindVault})
	srv := server.New(server.Config{Service: a.svc, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond, StreamTimeout: 10 * time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, time.Second) }()
	defer func() {
		cancel()
		<-done
	}()
	url := "http://" + ln.Addr().String()
	slow := func(path string, chunks int) (int, error) {
		pr, pw := io.Pipe()
		go func() {
			for i := 0; i < chunks; i++ {
				time.Sleep(150 * time.Millisecond)
				chunk := []byte(`          `)
				if i == 0 {
					// A good body, if slow; its first part larger than
					// the client's 4 KiB buffer, so that it goes out now.
					chunk = append([]byte(`{"encryption":false}`), bytes.Repeat([]byte(" "), 8<<10)...)
				}
				if _, err := pw.Write(chunk); err != nil {
					return
				}
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("PUT", url+path, pr)
		req.Header.Set("Authorization", "Bearer "+a.admin)
		res, err := (&http.Client{}).Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		io.Copy(io.Discard, res.Body)
		return res.StatusCode, nil
	}
	if st, err := slow("/api/v1/settings", 8); err == nil && st/100 == 2 {
		t.Fatalf("a 1.2 s body on an ordinary route: %d", st)
	}
	if st, err := slow("/api/v1/spaces/s/blobs/slow", 8); err != nil || st != 201 {
		t.Fatalf("a 1.2 s blob upload: %d %v", st, err)
	}
}

// TestLoginLimitConfigurable: the limit and its window are settings.
func TestLoginLimitConfigurable(t *testing.T) {
	a := newAuthEnv(t, func(c *service.Config, _ *server.Config) {
		c.LoginFailures, c.LoginWindow = 3, 3*time.Second
	})
	for i := 0; i < 3; i++ {
		a.must(401, "GET", "/api/v1/settings", "zka_wrong", nil)
	}
	r := a.must(429, "GET", "/api/v1/settings", a.admin, nil)
	if r.header.Get("Retry-After") != "3" {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	time.Sleep(3100 * time.Millisecond)
	a.must(200, "GET", "/api/v1/settings", a.admin, nil)
}

// TestClientAddr: X-Forwarded-For counts only from a trusted proxy, and
// then its right-most entry that is not a trusted proxy.
func TestClientAddr(t *testing.T) {
	a := newAuthEnv(t, func(_ *service.Config, h *server.Config) {
		h.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	})
	b := newAuthEnv(t, nil)
	for _, c := range []struct {
		env  *authEnv
		xff  []string
		want string
	}{
		{b, []string{"192.0.2.1"}, "127.0.0.1"}, // no trusted proxy: the peer
		{a, nil, "127.0.0.1"},                   // the proxy itself
		{a, []string{"192.0.2.1"}, "192.0.2.1"},
		{a, []string{"198.51.100.1, 192.0.2.2"}, "192.0.2.2"},            // forged entry on the left
		{a, []string{"198.51.100.1, 192.0.2.3, 10.1.2.3"}, "192.0.2.3"},  // through two proxies
		{a, []string{"198.51.100.1", "192.0.2.4"}, "192.0.2.4"},          // two headers
		{a, []string{"198.51.100.1, not-an-ip, 192.0.2.5"}, "192.0.2.5"}, // garbage left of the client
		{a, []string{"192.0.2.6, garbage"}, "127.0.0.1"},                 // garbage as the client: the peer
		{a, []string{"::ffff:192.0.2.7"}, "192.0.2.7"},                   // mapped
		{a, []string{"10.9.9.9, 10.8.8.8"}, "127.0.0.1"},                 // only proxies
	} {
		req, _ := http.NewRequest("GET", c.env.url+"/api/v1/settings", nil)
		req.Header.Set("Authorization", "Bearer zka_wrong")
		for _, x := range c.xff {
			req.Header.Add("X-Forwarded-For", x)
		}
		res, err := c.env.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		as, _, err := c.env.store.ListLoginAttempts(t.Context(), "", 1)
		if err != nil || len(as) != 1 || as[0].Addr != c.want {
			t.Errorf("X-Forwarded-For %q: recorded %+v, want %s", c.xff, as, c.want)
		}
		c.env.store.ClearLoginFailures(t.Context(), c.want)
	}
}

func (r resp) csrf(t *testing.T) string {
	t.Helper()
	var info service.SessionInfo
	r.decode(t, &info)
	return info.CSRFToken
}

// TestWriteTokenWindow: a token with a data window writes only inside it:
// records whose time lies in it (and that replace only records in it), the
// blobs of those records; outside it, writes are refused and deletes find
// nothing.
func TestWriteTokenWindow(t *testing.T) {
	a := newAuthEnv(t, nil)
	owner := a.principal("owner", api.PrincipalUser, 0)
	vaultWithData(a, owner, "v1") // m00…m19 at 1000, 1010, …; b01 of m01, b15 of m15
	from, to := int64(1050), int64(1100)
	var tv service.TokenView
	a.must(201, "POST", "/api/v1/tokens", a.admin, service.TokenRequest{Principal: "owner",
		Scopes: []string{"read:messages", "write:messages"}, WindowFrom: &from, WindowTo: &to}).decode(t, &tv)
	tok := tv.Token
	base := "/api/v1/spaces/v1/collections/messages/records"

	var res service.UpsertResult
	a.must(200, "POST", base, tok, map[string]any{"records": []any{
		msg("m06", 1060, "chat", idx32(0)),  // replaces a record in the window: accepted
		msg("new1", 1070, "chat", idx32(0)), // new, in the window: accepted
		msg("new2", 2000, "chat", idx32(0)), // new, outside: rejected
		msg("m01", 1060, "chat", idx32(0)),  // would move m01 (at 1010) into the window: rejected
	}}).decode(t, &res)
	if res.Inserted != 1 || res.Updated != 1 || res.Rejected != 2 {
		t.Fatalf("upsert through a windowed token: %+v", res)
	}
	for _, e := range res.Errors {
		if e.ID != "new2" && e.ID != "m01" || e.Code != "scope" {
			t.Errorf("rejected %+v, want new2 and m01 refused for scope", e)
		}
	}
	// The records outside the window are unchanged.
	var m01 api.Record
	a.must(200, "GET", base+"/m01", a.admin, nil).decode(t, &m01)
	if string(m01.Fields["timestamp"]) != "1010" {
		t.Fatalf("m01 changed through a windowed token: %s", m01.Fields["timestamp"])
	}
	a.must(404, "GET", base+"/new2", a.admin, nil)

	// Deletes: inside the window work, outside find nothing.
	a.must(404, "DELETE", base+"/m15", tok, nil)
	a.must(200, "GET", base+"/m15", a.admin, nil)
	a.must(204, "DELETE", base+"/m07", tok, nil)

	// Blobs: only of records in the window, which therefore come first.
	a.must(403, "PUT", "/api/v1/spaces/v1/blobs/nb", tok, "x")
	a.must(403, "PUT", "/api/v1/spaces/v1/blobs/nb?collection=messages&record=m15", tok, "x")
	a.must(201, "PUT", "/api/v1/spaces/v1/blobs/nb?collection=messages&record=m06", tok, "x")
	a.must(404, "DELETE", "/api/v1/spaces/v1/blobs/b15", tok, nil)
	a.must(200, "GET", "/api/v1/spaces/v1/blobs/b15", a.admin, nil)
	a.must(204, "DELETE", "/api/v1/spaces/v1/blobs/nb", tok, nil)

	// Without collection limits, the window alone refuses an unlinked blob.
	var wv service.TokenView
	a.must(201, "POST", "/api/v1/tokens", a.admin, service.TokenRequest{Principal: "owner",
		Scopes: []string{"read", "write"}, WindowFrom: &from, WindowTo: &to}).decode(t, &wv)
	if r := a.do("PUT", "/api/v1/spaces/v1/blobs/nb2", wv.Token, "x"); r.status != 403 || !strings.Contains(string(r.body), "data window") {
		t.Fatalf("unlinked blob through a windowed token: %d %s, want 403 naming the data window", r.status, r.body)
	}
}
