package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store"
)

// routes registers the authenticated API. Every route here is in
// openapi.json, and the test that walks the routes keeps it so.
func (s *Server) routes(g *authGroup) {
	g.GET("/settings", s.getSettings)
	g.PUT("/settings", s.putSettings)

	g.POST("/principals", s.createPrincipal)
	g.GET("/principals", s.listPrincipals)
	g.GET("/principals/:principal", s.getPrincipal)
	g.PUT("/principals/:principal/key", s.putPrincipalKey)
	g.GET("/principals/:principal/keys", s.keyHistory)
	g.GET("/principals/:principal/stale-spaces", s.staleSpaces)
	g.GET("/principals/:principal/members", s.listMembers)
	g.PUT("/principals/:principal/members/:member", s.putMember)
	g.DELETE("/principals/:principal/members/:member", s.deleteMember)

	g.POST("/spaces", s.createSpace)
	g.GET("/spaces", s.listSpaces)
	g.GET("/spaces/:space", s.getSpace)
	g.PUT("/spaces/:space", s.replaceSpace)
	g.POST("/spaces/:space/envelopes", s.putEnvelopes)
	g.DELETE("/spaces/:space/envelopes", s.deleteEnvelope)
	g.POST("/spaces/:space/collections", s.addCollection)

	g.POST("/spaces/:space/collections/:collection/records", s.upsertRecords)
	g.GET("/spaces/:space/collections/:collection/records", s.queryRecords)
	g.GET("/spaces/:space/collections/:collection/records/:record", s.getRecord)
	g.DELETE("/spaces/:space/collections/:collection/records/:record", s.deleteRecord)

	g.PUT("/spaces/:space/blobs/:blob", s.putBlob)
	g.GET("/spaces/:space/blobs/:blob", s.getBlob)
	g.DELETE("/spaces/:space/blobs/:blob", s.deleteBlob)

	g.GET("/session", s.whoami)
	g.DELETE("/session", s.logout)
	g.GET("/sessions", s.listSessions)
	g.DELETE("/sessions/:session", s.revokeSession)
	g.POST("/invitations", s.createInvitation)
	g.GET("/invitations", s.listInvitations)
	g.DELETE("/invitations/:prefix", s.revokeInvitation)

	g.POST("/tokens", s.createToken)
	g.GET("/tokens", s.listTokens)
	g.DELETE("/tokens/:prefix", s.revokeToken)

	g.GET("/logs/:kind", s.listLogs)
	g.GET("/login-attempts", s.listLoginAttempts)
	g.GET("/backup", s.backup)
}

// gate checks the caller's limits (spaces, collection scopes, data window)
// for an operation on the route's space.
func (s *Server) gate(c echo.Context, op, coll, blob string) error {
	return s.svc.Gate(c.Request().Context(), caller(c), op, param(c, "space"), coll, blob)
}

// paging reads cursor and limit.
func paging(c echo.Context) (string, int, error) {
	cursor := c.QueryParam("cursor")
	limit := 0
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return "", 0, service.Invalid("invalid_value", "limit: want a positive integer (at most %d)", store.MaxPageSize)
		}
		limit = min(n, store.MaxPageSize)
	}
	return cursor, limit, nil
}

// param returns a path parameter, unescaped: echo hands over the raw form
// when the path holds escapes (a client that escapes ':' or '@' in an id).
// An escaped '/' becomes '/', which no id or name accepts.
func param(c echo.Context, name string) string {
	v := c.Param(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// List is a page of a listing.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func list[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, NextCursor: next}
}

// authGroup registers routes with the authentication middleware on each
// route (a group-level middleware would turn a wrong method into a 404).
type authGroup struct {
	g  *echo.Group
	mw echo.MiddlewareFunc
}

func (a *authGroup) GET(p string, h echo.HandlerFunc)    { a.g.GET(p, h, a.mw) }
func (a *authGroup) PUT(p string, h echo.HandlerFunc)    { a.g.PUT(p, h, a.mw) }
func (a *authGroup) POST(p string, h echo.HandlerFunc)   { a.g.POST(p, h, a.mw) }
func (a *authGroup) DELETE(p string, h echo.HandlerFunc) { a.g.DELETE(p, h, a.mw) }

// ---- settings

func (s *Server) getSettings(c echo.Context) error {
	v, err := s.svc.Settings(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) putSettings(c echo.Context) error {
	var u service.SettingsUpdate
	if err := bind(c, &u); err != nil {
		return err
	}
	v, err := s.svc.PutSettings(c.Request().Context(), caller(c), u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// ---- principals

func (s *Server) createPrincipal(c echo.Context) error {
	var p api.Principal
	if err := bind(c, &p); err != nil {
		return err
	}
	v, err := s.svc.CreatePrincipal(c.Request().Context(), caller(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (s *Server) listPrincipals(c echo.Context) error {
	cursor, limit, err := paging(c)
	if err != nil {
		return err
	}
	ps, next, err := s.svc.ListPrincipals(c.Request().Context(), caller(c), cursor, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list(ps, next))
}

func (s *Server) getPrincipal(c echo.Context) error {
	v, err := s.svc.Principal(c.Request().Context(), caller(c), param(c, "principal"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) putPrincipalKey(c echo.Context) error {
	if err := s.gate(c, service.OpPrincipalWrite, "", ""); err != nil {
		return err
	}
	var p api.Principal
	if err := bind(c, &p); err != nil {
		return err
	}
	v, err := s.svc.UpdatePrincipalKey(c.Request().Context(), caller(c), param(c, "principal"), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) keyHistory(c echo.Context) error {
	h, err := s.svc.KeyHistory(c.Request().Context(), caller(c), param(c, "principal"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list(h, ""))
}

func (s *Server) staleSpaces(c echo.Context) error {
	ids, err := s.svc.StaleSpaces(c.Request().Context(), caller(c), param(c, "principal"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list(ids, ""))
}

func (s *Server) listMembers(c echo.Context) error {
	ms, err := s.svc.Members(c.Request().Context(), caller(c), param(c, "principal"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list(ms, ""))
}

func (s *Server) putMember(c echo.Context) error {
	var r service.MemberRequest
	if err := bind(c, &r); err != nil {
		return err
	}
	v, err := s.svc.PutMember(c.Request().Context(), caller(c), param(c, "principal"), param(c, "member"), r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) deleteMember(c echo.Context) error {
	if err := s.svc.DeleteMember(c.Request().Context(), caller(c), param(c, "principal"), param(c, "member")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- spaces

func (s *Server) createSpace(c echo.Context) error {
	if err := s.gate(c, service.OpSpaceWrite, "", ""); err != nil {
		return err
	}
	var sp api.Space
	if err := bind(c, &sp); err != nil {
		return err
	}
	v, err := s.svc.CreateSpace(c.Request().Context(), caller(c), sp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (s *Server) listSpaces(c echo.Context) error {
	cursor, limit, err := paging(c)
	if err != nil {
		return err
	}
	vs, next, err := s.svc.ListSpaces(c.Request().Context(), caller(c), cursor, limit)
	if err != nil {
		return err
	}
	if cl := caller(c); len(cl.Spaces) > 0 {
		kept := vs[:0]
		for _, v := range vs {
			if cl.InSpaces(v.ID) {
				kept = append(kept, v)
			}
		}
		vs = kept
	}
	return c.JSON(http.StatusOK, list(vs, next))
}

func (s *Server) getSpace(c echo.Context) error {
	if err := s.gate(c, service.OpSpaceRead, "", ""); err != nil {
		return err
	}
	v, err := s.svc.Space(c.Request().Context(), caller(c), param(c, "space"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) replaceSpace(c echo.Context) error {
	if err := s.gate(c, service.OpSpaceWrite, "", ""); err != nil {
		return err
	}
	var sp api.Space
	if err := bind(c, &sp); err != nil {
		return err
	}
	v, err := s.svc.ReplaceSpace(c.Request().Context(), caller(c), param(c, "space"), sp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) putEnvelopes(c echo.Context) error {
	if err := s.gate(c, service.OpSpaceWrite, "", ""); err != nil {
		return err
	}
	var r service.EnvelopesRequest
	if err := bind(c, &r); err != nil {
		return err
	}
	v, err := s.svc.PutEnvelopes(c.Request().Context(), caller(c), param(c, "space"), r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) deleteEnvelope(c echo.Context) error {
	if err := s.gate(c, service.OpSpaceWrite, "", ""); err != nil {
		return err
	}
	kind := c.QueryParam("kind")
	if kind == "" {
		kind = api.RecipientPrincipal
	}
	sv, err := strconv.ParseUint(c.QueryParam("secret_version"), 10, 32)
	if err != nil || sv == 0 {
		return service.Invalid("invalid_value", "secret_version: want an integer 1-4294967295")
	}
	v, err := s.svc.DeleteEnvelope(c.Request().Context(), caller(c), param(c, "space"), kind, c.QueryParam("principal"), uint32(sv))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) addCollection(c echo.Context) error {
	if err := s.gate(c, service.OpSpaceWrite, "", ""); err != nil {
		return err
	}
	var sc api.Schema
	if err := bind(c, &sc); err != nil {
		return err
	}
	v, err := s.svc.AddSchema(c.Request().Context(), caller(c), param(c, "space"), sc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

// ---- records

// UpsertRequest is a batch of records. Items are decoded one by one so that
// a malformed item is rejected alone.
type UpsertRequest struct {
	Records []json.RawMessage `json:"records"`
}

func (s *Server) upsertRecords(c echo.Context) error {
	if err := s.gate(c, service.OpRecordsWrite, param(c, "collection"), ""); err != nil {
		return err
	}
	b, err := readBody(c, MaxBatchBody)
	if err != nil {
		return err
	}
	records, err := service.DecodeRecords(b) // the body is an UpsertRequest
	if err != nil {
		return err
	}
	if records == nil {
		return service.Invalid("invalid_value", "records: required")
	}
	res, err := s.svc.UpsertRecords(c.Request().Context(), caller(c), param(c, "space"), param(c, "collection"), records)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) queryRecords(c echo.Context) error {
	if err := s.gate(c, service.OpRecordsRead, param(c, "collection"), ""); err != nil {
		return err
	}
	cursor, limit, err := paging(c)
	if err != nil {
		return err
	}
	p := service.QueryParams{Index: c.QueryParam("index"), Field: c.QueryParam("field"), Value: c.QueryParam("value"), Cursor: cursor, Limit: limit}
	for name, dst := range map[string]**int64{"from": &p.From, "to": &p.To} {
		if v := c.QueryParam(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return service.Invalid("invalid_value", "%s: want an integer number of milliseconds", name)
			}
			*dst = &n
		}
	}
	cl := caller(c)
	clamped := cl.ClampToWindow(&p)
	page, err := s.svc.QueryRecords(c.Request().Context(), cl, param(c, "space"), param(c, "collection"), p)
	if err != nil {
		return err
	}
	if !clamped {
		// An index query takes no time range: drop what lies outside the
		// window (a page may come out short).
		recs := make([][]byte, len(page.Records))
		for i, r := range page.Records {
			recs[i] = r
		}
		if recs, err = s.svc.InWindow(c.Request().Context(), cl, param(c, "space"), param(c, "collection"), recs); err != nil {
			return err
		}
		page.Records = page.Records[:0]
		for _, r := range recs {
			page.Records = append(page.Records, r)
		}
	}
	// The records are canonical JSON already: write them as they are.
	var buf bytes.Buffer
	buf.WriteString(`{"records":[`)
	for i, r := range page.Records {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(r)
	}
	buf.WriteByte(']')
	if page.NextCursor != "" {
		buf.WriteString(`,"next_cursor":"`)
		buf.WriteString(page.NextCursor) // base64url: nothing to escape
		buf.WriteByte('"')
	}
	buf.WriteString("}\n")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf.Bytes())
}

func (s *Server) getRecord(c echo.Context) error {
	if err := s.gate(c, service.OpRecordsRead, param(c, "collection"), ""); err != nil {
		return err
	}
	d, err := s.svc.Record(c.Request().Context(), caller(c), param(c, "space"), param(c, "collection"), param(c, "record"))
	if err != nil {
		return err
	}
	if in, err := s.svc.InWindow(c.Request().Context(), caller(c), param(c, "space"), param(c, "collection"), [][]byte{d}); err != nil {
		return err
	} else if len(in) == 0 {
		return &service.Error{Kind: service.KindNotFound, Code: "not_found", Msg: "record " + param(c, "record") + " not found"}
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, d)
}

func (s *Server) deleteRecord(c echo.Context) error {
	if err := s.gate(c, service.OpRecordsWrite, param(c, "collection"), ""); err != nil {
		return err
	}
	if err := s.svc.DeleteRecord(c.Request().Context(), caller(c), param(c, "space"), param(c, "collection"), param(c, "record")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- blobs

func (s *Server) putBlob(c echo.Context) error {
	if err := s.gate(c, service.OpBlobWrite, c.QueryParam("collection"), param(c, "blob")); err != nil {
		return err
	}
	release, err := s.stream(c)
	if err != nil {
		return err
	}
	defer release()
	limit := s.svc.Limits().MaxBlobBytes
	r := c.Request()
	if r.ContentLength > limit {
		return &http.MaxBytesError{Limit: limit}
	}
	body := &watchedReader{r: http.MaxBytesReader(c.Response(), r.Body, limit)}
	v, err := s.svc.PutBlob(r.Context(), caller(c), param(c, "space"), param(c, "blob"), c.QueryParam("collection"), c.QueryParam("record"), body)
	if err != nil {
		var mbe *http.MaxBytesError
		if body.err != nil && !errors.As(body.err, &mbe) {
			// The client stopped sending: nothing was stored.
			return service.Invalid("incomplete_body", "the upload was interrupted: %v", body.err)
		}
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

// watchedReader remembers the error of the request body, to tell a client
// that went away from a server fault.
type watchedReader struct {
	r   io.Reader
	err error
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && err != io.EOF {
		w.err = err
	}
	return n, err
}

func (s *Server) getBlob(c echo.Context) error {
	if err := s.gate(c, service.OpBlobRead, "", param(c, "blob")); err != nil {
		return err
	}
	release, err := s.stream(c)
	if err != nil {
		return err
	}
	defer release()
	v, f, mod, err := s.svc.OpenBlob(c.Request().Context(), caller(c), param(c, "space"), param(c, "blob"))
	if err != nil {
		return err
	}
	defer f.Close()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMEOctetStream)
	h.Set("ETag", `"`+v.SHA256+`"`)
	h.Set("X-Content-SHA256", v.SHA256)
	h.Set("Cache-Control", "private, no-cache")
	http.ServeContent(c.Response(), c.Request(), "", mod, f)
	return nil
}

func (s *Server) deleteBlob(c echo.Context) error {
	if err := s.gate(c, service.OpBlobDelete, "", param(c, "blob")); err != nil {
		return err
	}
	if err := s.svc.DeleteBlob(c.Request().Context(), caller(c), param(c, "space"), param(c, "blob")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- tokens, logs, backup

func (s *Server) createToken(c echo.Context) error {
	var r service.TokenRequest
	if err := bind(c, &r); err != nil {
		return err
	}
	v, err := s.svc.CreateToken(c.Request().Context(), caller(c), r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (s *Server) listTokens(c echo.Context) error {
	ts, err := s.svc.ListTokens(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list(ts, ""))
}

func (s *Server) revokeToken(c echo.Context) error {
	if err := s.svc.RevokeToken(c.Request().Context(), caller(c), param(c, "prefix")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listLogs(c echo.Context) error {
	kind := param(c, "kind")
	if kind != store.LogWrite && kind != store.LogRead {
		return &service.Error{Kind: service.KindNotFound, Code: "not_found", Msg: "log kind is write or read"}
	}
	cursor, limit, err := paging(c)
	if err != nil {
		return err
	}
	es, next, err := s.svc.Logs(c.Request().Context(), caller(c), kind, cursor, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list(es, next))
}

func (s *Server) listLoginAttempts(c echo.Context) error {
	cursor, limit, err := paging(c)
	if err != nil {
		return err
	}
	as, next, err := s.svc.LoginAttempts(c.Request().Context(), caller(c), cursor, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list(as, next))
}

func (s *Server) backup(c echo.Context) error {
	cl := caller(c)
	if !cl.Admin {
		return &service.Error{Kind: service.KindForbidden, Code: "admin_only", Msg: "only the admin may do this"}
	}
	b, ok := s.svc.Store().(store.Backuper)
	if !ok {
		return &service.Error{Kind: service.KindNotFound, Code: "unsupported", Msg: "this store cannot make backups"}
	}
	release, err := s.stream(c)
	if err != nil {
		return err
	}
	defer release()
	// The snapshot holds blob deletions until it is closed, and fails
	// here, before any byte is sent, if a blob's file is missing.
	snap, err := b.Backup(c.Request().Context())
	if err != nil {
		return err // logged; the answer says only "internal error"
	}
	defer snap.Close()
	c.Response().Header().Set(echo.HeaderContentType, "application/x-tar")
	c.Response().WriteHeader(http.StatusOK)
	if _, err := snap.WriteTo(c.Response()); err != nil {
		// Too late for a status: abort the connection so that the
		// client sees a truncated archive, which restore refuses.
		s.log.Error("backup", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}
