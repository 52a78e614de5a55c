package server

import (
	"bytes"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/zkvault/zkvault/server/service"
)

// LoginRequest is the body of POST /session.
type LoginRequest struct {
	Secret string `json:"secret"`
	// Principal: a team member logging in with its login secret (none:
	// the dashboard secret).
	Principal string `json:"principal,omitempty"`
}

// RedeemRequest is the body of POST /invitations/redeem.
type RedeemRequest struct {
	Token string `json:"token"`
}

func bindSmall(c echo.Context, v any) error {
	b, err := readBody(c, MaxLoginBody)
	if err != nil {
		return err
	}
	return service.DecodeJSON(bytes.NewReader(b), v)
}

// setSession sets the session cookie (HttpOnly: script never reads it) and
// the anti-CSRF cookie (readable, for the double submit), both
// SameSite=Strict, Secure over TLS.
func (s *Server) setSession(c echo.Context, value, csrf string, expires time.Time) {
	sec := s.secure(c.Request())
	maxAge := int(time.Until(expires).Seconds())
	if value == "" {
		maxAge = -1
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: value, Path: "/", HttpOnly: true, Secure: sec, SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
	c.SetCookie(&http.Cookie{Name: CSRFCookie, Value: csrf, Path: "/", Secure: sec, SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

func (s *Server) grant(c echo.Context, g service.Grant) error {
	s.setSession(c, g.Cookie, g.CSRF, g.ExpiresAt)
	info := s.svc.Info(g.Caller)
	info.ExpiresAt = g.ExpiresAt.UnixMilli()
	info.LoginSecret = g.LoginSecret
	return c.JSON(http.StatusOK, info)
}

// login exchanges the dashboard secret for a session cookie (public).
func (s *Server) login(c echo.Context) error {
	if crossSite(c.Request()) {
		return forbidden("cross_site", "cross-site request refused")
	}
	var r LoginRequest
	if err := bindSmall(c, &r); err != nil {
		return err
	}
	g, err := s.svc.Login(c.Request().Context(), c.RealIP(), c.Request().UserAgent(), r.Principal, r.Secret)
	if err != nil {
		return err
	}
	return s.grant(c, g)
}

// redeem exchanges a team member's invitation for a session (public).
func (s *Server) redeem(c echo.Context) error {
	if crossSite(c.Request()) {
		return forbidden("cross_site", "cross-site request refused")
	}
	var r RedeemRequest
	if err := bindSmall(c, &r); err != nil {
		return err
	}
	g, err := s.svc.Redeem(c.Request().Context(), c.RealIP(), c.Request().UserAgent(), r.Token)
	if err != nil {
		return err
	}
	return s.grant(c, g)
}

func (s *Server) whoami(c echo.Context) error {
	return c.JSON(http.StatusOK, s.svc.Info(caller(c)))
}

func (s *Server) logout(c echo.Context) error {
	if err := s.svc.Logout(c.Request().Context(), caller(c)); err != nil {
		return err
	}
	s.setSession(c, "", "", time.Time{})
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listSessions(c echo.Context) error {
	ss, err := s.svc.Sessions(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list(ss, ""))
}

func (s *Server) revokeSession(c echo.Context) error {
	if err := s.svc.RevokeSession(c.Request().Context(), caller(c), param(c, "session")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) createInvitation(c echo.Context) error {
	var r service.InvitationRequest
	if err := bind(c, &r); err != nil {
		return err
	}
	v, err := s.svc.CreateInvitation(c.Request().Context(), caller(c), r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (s *Server) listInvitations(c echo.Context) error {
	is, err := s.svc.ListInvitations(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list(is, ""))
}

func (s *Server) revokeInvitation(c echo.Context) error {
	if err := s.svc.RevokeInvitation(c.Request().Context(), caller(c), param(c, "prefix")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
