package server

// Abuse resistance of the transport: the client address (X-Forwarded-For
// only from trusted proxies), security headers, rate limits, the cap on
// concurrent streams, and the cross-site checks of cookie-authenticated
// writes.

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/zkvault/zkvault/server/service"
)

// Cookie and header names of the dashboard and member sessions.
const (
	SessionCookie = "zkvault_session"
	CSRFCookie    = "zkvault_csrf"
	CSRFHeader    = "X-CSRF-Token"
)

// ContentSecurityPolicy is the dashboard's: its own files and the
// WebAssembly module, nothing from elsewhere, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// RateLimit configures the token buckets: requests per second and burst
// per client address and per credential. A zero rate is no limit.
type RateLimit struct {
	PerAddr         float64
	AddrBurst       int
	PerCredential   float64
	CredentialBurst int
}

// peerTrusted says whether the TCP peer of r is a trusted proxy.
func (s *Server) peerTrusted(r *http.Request) bool {
	if len(s.trusted) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	return s.isTrusted(ap.Addr())
}

func (s *Server) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the TCP peer's address, unless the peer is a trusted
// proxy: then the right-most X-Forwarded-For entry that is not a trusted
// proxy (entries left of it are the client's to forge).
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.peerTrusted(r) {
		return host
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for _, p := range strings.Split(h, ",") {
			hops = append(hops, strings.TrimSpace(p))
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			// Garbage: trust nothing left of it.
			return host
		}
		if !s.isTrusted(a) {
			return a.Unmap().String()
		}
	}
	return host
}

// secure says whether the request came over TLS (directly, or through a
// trusted proxy that says so).
func (s *Server) secure(r *http.Request) bool {
	if s.tls || r.TLS != nil {
		return true
	}
	return s.peerTrusted(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// setSecurityHeaders sets the headers of every answer.
func (s *Server) setSecurityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.secure(r) {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// crossSite says whether a browser says the request comes from another
// site: Sec-Fetch-Site, or an Origin that is not this server's.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return true // "null" and the like
	}
	return !strings.EqualFold(u.Host, r.Host)
}

func forbidden(code, msg string) error {
	return &service.Error{Kind: service.KindForbidden, Code: code, Msg: msg}
}

// checkCSRF guards a cookie-authenticated write: not cross-site, and the
// session's anti-CSRF token in X-CSRF-Token (SameSite=Strict already keeps
// the cookie off cross-site requests in current browsers).
func (s *Server) checkCSRF(c echo.Context, cl service.Caller) error {
	r := c.Request()
	if crossSite(r) {
		return forbidden("cross_site", "cross-site request refused")
	}
	if !s.svc.CheckCSRF(cl, r.Header.Get(CSRFHeader)) {
		return forbidden("csrf", "missing or wrong "+CSRFHeader+" header (from the session's csrf_token)")
	}
	return nil
}

// ---- rate limits

// limiter is a set of token buckets by key.
type limiter struct {
	rate  float64 // tokens per second
	burst float64
	mu    sync.Mutex
	m     map[string]*tbucket
	swept time.Time
}

type tbucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	if rate <= 0 {
		return nil
	}
	if burst < 1 {
		burst = max(1, int(math.Ceil(rate)))
	}
	return &limiter{rate: rate, burst: float64(burst), m: map[string]*tbucket{}}
}

// allow takes a token for key; when there is none it says how long until
// there is one.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		// Forget full buckets.
		for k, b := range l.m {
			if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
				delete(l.m, k)
			}
		}
		l.swept = now
	}
	b := l.m[key]
	if b == nil {
		b = &tbucket{tokens: l.burst, last: now}
		l.m[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func rateLimited(wait time.Duration) error {
	return &service.Error{Kind: service.KindTooMany, Code: "rate_limited", Msg: "too many requests; slow down", RetryAfter: wait}
}

// retryAfter is a Retry-After value: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// limitAddr is the per-address limit of every request (API and dashboard).
func (s *Server) limitAddr(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, wait := s.addrLimit.allow(c.RealIP(), time.Now()); !ok {
			return rateLimited(wait)
		}
		return next(c)
	}
}

// ---- streams

// stream takes a slot for a long body (blob, backup) and moves the
// connection's deadlines out to the stream timeout; release gives it back.
func (s *Server) stream(c echo.Context) (release func(), err error) {
	select {
	case s.streams <- struct{}{}:
	default:
		return nil, &service.Error{Kind: service.KindTooMany, Code: "too_many_streams", Msg: "too many blob transfers at once; try again shortly", RetryAfter: time.Second}
	}
	rc := http.NewResponseController(c.Response().Writer)
	deadline := time.Now().Add(s.streamTimeout)
	_ = rc.SetReadDeadline(deadline) // not supported by every writer (tests)
	_ = rc.SetWriteDeadline(deadline)
	return func() { <-s.streams }, nil
}
