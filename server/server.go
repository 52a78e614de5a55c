// Package server is the HTTP transport of the zkvault storage server: echo v4
// routes under /api/v1, the authentication middleware (the seam issue 5
// extends), the embedded dashboard at /, /healthz, and the one place where
// errors become HTTP statuses. The logic is in package service, the storage
// behind package store.
//
// Errors are answered as {"error":{"code":"…","message":"…"}}.
package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/zkvault/zkvault/server/service"
)

// Body limits.
const (
	MaxJSONBody  = 1 << 20  // ordinary requests
	MaxBatchBody = 32 << 20 // a batch of records
)

// APIPrefix is where the API is served.
const APIPrefix = "/api/v1"

// Config of New.
type Config struct {
	Service *service.Service
	// Static is the dashboard served at /; nil serves nothing there.
	Static fs.FS
	Logger *slog.Logger
}

// Server is the HTTP side of the zkvault server.
type Server struct {
	e      *echo.Echo
	static http.Handler
	svc    *service.Service
	log    *slog.Logger
}

// New builds the routes.
func New(cfg Config) *Server {
	s := &Server{e: echo.New(), svc: cfg.Service, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	e := s.e
	e.HideBanner, e.HidePort = true, true
	// The client address is the TCP peer's: X-Forwarded-For is trusted
	// from nobody (a proxy setup is issue 5's).
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.handleError
	e.Use(s.recoverPanic, headers)

	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	if cfg.Static != nil {
		s.static = http.FileServerFS(cfg.Static)
	}

	g := e.Group(APIPrefix)
	g.GET("/openapi.json", s.openAPI)
	s.routes(&authGroup{g: g, mw: s.authenticate})
	return s
}

// Handler returns the HTTP handler: the API and /healthz through echo, any
// other path from the dashboard's files.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if s.static == nil || p == "/healthz" || p == APIPrefix || strings.HasPrefix(p, APIPrefix+"/") {
			s.e.ServeHTTP(w, r)
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
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
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
// credential into a service.Caller.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		bearer, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			bearer = ""
		}
		caller, err := s.svc.Authenticate(c.Request().Context(), c.RealIP(), strings.TrimSpace(bearer))
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="zkvault"`)
			return err
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

// readBody reads a request body of at most limit bytes.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	body := http.MaxBytesReader(c.Response(), r.Body, limit)
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := io.Copy(&buf, body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, service.Invalid("incomplete_body", "reading the request body: %v", err)
	}
	return buf.Bytes(), nil
}

// bind decodes a JSON body strictly.
func bind(c echo.Context, v any) error {
	b, err := readBody(c, MaxJSONBody)
	if err != nil {
		return err
	}
	return service.DecodeJSON(bytes.NewReader(b), v)
}
