// Package server is the HTTP transport of the zkvault storage server: echo v4
// routes under /api/v1, the authentication middleware, the embedded
// dashboard at /, /healthz, and the one place where errors become HTTP
// statuses. The logic is in package service, the storage behind package
// store.
//
// Errors are answered as {"error":{"code":"…","message":"…"}}.
//
// # Security
//
// Every route authenticates (a bearer, or the session cookie) except
// /healthz, /api/v1/openapi.json, POST /api/v1/session and POST
// /api/v1/invitations/redeem; TestRouteAuth walks the routes to keep it so.
// A cookie-authenticated write must carry the session's anti-CSRF token in
// X-CSRF-Token and must not come from another site (Sec-Fetch-Site,
// Origin); the cookies are HttpOnly (the session's), SameSite=Strict, Secure
// over TLS. What an attacker on the network gets is 401, 403, 404 and 429:
// token buckets per client address and per credential, the failed-login
// limit, and a cap on concurrent blob streams all answer 429 with
// Retry-After. The client address is the TCP peer's unless the peer is a
// trusted proxy (then the right-most untrusted X-Forwarded-For entry).
// Bodies are bounded per route kind; requests by read and write timeouts,
// blob and backup transfers by their own, longer, deadline. Every answer
// carries the dashboard's Content-Security-Policy (its own files and the
// WebAssembly module only, no framing), Referrer-Policy: no-referrer,
// nosniff, and HSTS over TLS.
package server

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/zkvault/zkvault/server/service"
)

// Body limits.
const (
	MaxJSONBody  = 1 << 20  // ordinary requests
	MaxBatchBody = 32 << 20 // a batch of records
	MaxLoginBody = 4 << 10  // a login or an invitation
)

// Defaults of Config.
const (
	DefaultMaxStreams    = 32
	DefaultStreamTimeout = time.Hour
	DefaultReadTimeout   = time.Minute
	DefaultWriteTimeout  = time.Minute
)

// APIPrefix is where the API is served.
const APIPrefix = "/api/v1"

// Config of New.
type Config struct {
	Service *service.Service
	// Static is the dashboard served at /; nil serves nothing there.
	Static fs.FS
	Logger *slog.Logger
	// TrustedProxies: X-Forwarded-For and X-Forwarded-Proto are believed
	// only from these peers (none: from nobody).
	TrustedProxies []netip.Prefix
	// TLS says the server is reached over TLS even without a trusted
	// proxy saying so (Secure cookies, HSTS).
	TLS       bool
	RateLimit RateLimit
	// MaxStreams caps concurrent blob and backup transfers (0: 32).
	MaxStreams int
	// StreamTimeout bounds one blob or backup transfer (0: 1 h);
	// ReadTimeout and WriteTimeout bound every other request (0: 1 min).
	StreamTimeout, ReadTimeout, WriteTimeout time.Duration
}

// Server is the HTTP side of the zkvault server.
type Server struct {
	e      *echo.Echo
	static http.Handler
	svc    *service.Service
	log    *slog.Logger

	trusted                   []netip.Prefix
	tls                       bool
	addrLimit, credLimit      *limiter
	streams                   chan struct{}
	streamTimeout             time.Duration
	readTimeout, writeTimeout time.Duration
}

// New builds the routes.
func New(cfg Config) *Server {
	s := &Server{e: echo.New(), svc: cfg.Service, log: cfg.Logger,
		trusted: cfg.TrustedProxies, tls: cfg.TLS,
		addrLimit:     newLimiter(cfg.RateLimit.PerAddr, cfg.RateLimit.AddrBurst),
		credLimit:     newLimiter(cfg.RateLimit.PerCredential, cfg.RateLimit.CredentialBurst),
		streamTimeout: cmp.Or(cfg.StreamTimeout, DefaultStreamTimeout),
		readTimeout:   cmp.Or(cfg.ReadTimeout, DefaultReadTimeout),
		writeTimeout:  cmp.Or(cfg.WriteTimeout, DefaultWriteTimeout),
	}
	s.streams = make(chan struct{}, cmp.Or(cfg.MaxStreams, DefaultMaxStreams))
	if s.log == nil {
		s.log = slog.Default()
	}
	e := s.e
	e.HideBanner, e.HidePort = true, true
	// The client address is the TCP peer's, or from X-Forwarded-For when
	// the peer is a trusted proxy.
	e.IPExtractor = s.clientAddr
	e.HTTPErrorHandler = s.handleError
	e.Use(s.recoverPanic, headers, s.limitAddr)

	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	if cfg.Static != nil {
		s.static = http.FileServerFS(cfg.Static)
	}

	g := e.Group(APIPrefix)
	// The public routes: everything else authenticates (TestRouteAuth).
	g.GET("/openapi.json", s.openAPI)
	g.POST("/session", s.login)
	g.POST("/invitations/redeem", s.redeem)
	s.routes(&authGroup{g: g, mw: s.authenticate})
	return s
}

// Handler returns the HTTP handler: the API and /healthz through echo, any
// other path from the dashboard's files.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.setSecurityHeaders(w, r)
		p := r.URL.Path
		if s.static == nil || p == "/healthz" || p == APIPrefix || strings.HasPrefix(p, APIPrefix+"/") {
			s.e.ServeHTTP(w, r)
			return
		}
		if ok, wait := s.addrLimit.allow(s.clientAddr(r), time.Now()); !ok {
			w.Header().Set("Retry-After", retryAfter(wait))
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		s.static.ServeHTTP(w, r)
	})
}

// Echo returns the echo instance (for route listings in tests).
func (s *Server) Echo() *echo.Echo { return s.e }

// Serve serves on ln until ctx is done, then shuts down gracefully: it stops
// accepting, lets requests in flight finish (up to grace), then returns.
// Blob and backup transfers move their deadlines out to StreamTimeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.readTimeout,
		WriteTimeout:      s.writeTimeout,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	return err
}

// headers marks every API answer as not to be sniffed or cached.
func headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

const callerKey = "zkvault.caller"

// authenticate is the authentication seam: it resolves the bearer
// credential, or else the session cookie, into a service.Caller; checks the
// anti-CSRF token of a cookie-authenticated write; and applies the
// per-credential rate limit.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		bearer, ok := strings.CutPrefix(r.Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok {
			bearer = ""
		}
		cr := service.Credentials{Addr: c.RealIP(), Bearer: strings.TrimSpace(bearer)}
		if cr.Bearer == "" {
			if ck, err := r.Cookie(SessionCookie); err == nil {
				cr.Cookie = ck.Value
			}
		}
		caller, err := s.svc.Authenticate(r.Context(), cr)
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="zkvault"`)
			if cr.Cookie != "" {
				// A dead session: the browser forgets it rather than
				// send it again (each try counts as a failed login).
				s.setSession(c, "", "", time.Time{})
			}
			return err
		}
		if caller.Cookie() && unsafeMethod(r.Method) {
			if err := s.checkCSRF(c, caller); err != nil {
				return err
			}
		}
		if ok, wait := s.credLimit.allow(caller.Who()+"\x00"+caller.Session+caller.TokenPrefix, time.Now()); !ok {
			return rateLimited(wait)
		}
		c.Set(callerKey, caller)
		return next(c)
	}
}

func caller(c echo.Context) service.Caller {
	v, _ := c.Get(callerKey).(service.Caller)
	return v
}

func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic in handler", "panic", r, "path", c.Request().URL.Path)
				err = errors.New("panic")
			}
		}()
		return next(c)
	}
}

// ErrorBody is the JSON of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names an error.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

var kindStatus = map[service.Kind]int{
	service.KindInvalid:      http.StatusBadRequest,
	service.KindUnauthorized: http.StatusUnauthorized,
	service.KindForbidden:    http.StatusForbidden,
	service.KindNotFound:     http.StatusNotFound,
	service.KindConflict:     http.StatusConflict,
	service.KindTooLarge:     http.StatusRequestEntityTooLarge,
	service.KindRefused:      http.StatusUnprocessableEntity,
	service.KindTooMany:      http.StatusTooManyRequests,
}

// handleError is the one place where errors become HTTP answers.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, msg := http.StatusInternalServerError, "internal", "internal error"
	var se *service.Error
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		status, code, msg = http.StatusRequestEntityTooLarge, "too_large", "request body larger than "+itoa(mbe.Limit)+" bytes"
	case errors.As(err, &se):
		if st, ok := kindStatus[se.Kind]; ok {
			status, code, msg = st, se.Code, se.Msg
			if se.RetryAfter > 0 {
				c.Response().Header().Set("Retry-After", retryAfter(se.RetryAfter))
			}
		} else {
			s.log.Error("request failed", "err", err, "method", c.Request().Method, "path", c.Request().URL.Path)
		}
	case errors.As(err, &he):
		status = he.Code
		code = strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		msg = http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		switch he.Code {
		case http.StatusNotFound:
			msg = "no such route: " + c.Request().Method + " " + c.Request().URL.Path
		case http.StatusMethodNotAllowed:
			msg = "method " + c.Request().Method + " not allowed on " + c.Request().URL.Path
		}
	default:
		s.log.Error("request failed", "err", err, "method", c.Request().Method, "path", c.Request().URL.Path)
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	c.JSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// readBody reads a request body of at most limit bytes. A body of known
// length is read straight into a buffer of that length (net/http ends it
// there); only a chunked one grows a buffer as it comes.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	body := http.MaxBytesReader(c.Response(), r.Body, limit)
	var b []byte
	var err error
	if r.ContentLength >= 0 {
		b = make([]byte, r.ContentLength)
		if _, err = io.ReadFull(body, b); err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	} else {
		var buf bytes.Buffer
		_, err = io.Copy(&buf, body)
		b = buf.Bytes()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, service.Invalid("incomplete_body", "reading the request body: %v", err)
	}
	return b, nil
}

// bind decodes a JSON body strictly.
func bind(c echo.Context, v any) error {
	b, err := readBody(c, MaxJSONBody)
	if err != nil {
		return err
	}
	return service.DecodeJSON(bytes.NewReader(b), v)
}
