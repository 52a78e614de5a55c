// Package client is the ingest client's side of the zkvault storage API
// (server/openapi.json): spaces, record batches, record queries and blob
// uploads, over HTTP with a bearer credential.
//
// # Security
//
// The client sends only what the server may see: spaces with their
// envelopes, sealed records and encrypted blob streams. The bearer
// credential goes in the Authorization header only; errors name the
// method, the path and the server's error code and message, never the
// credential or a request body.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zkvault/zkvault/api"
)

// APIPrefix is where the server serves its API.
const APIPrefix = "/api/v1"

// Client talks to one zkvault server.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	// UserAgent is sent with every request.
	UserAgent string
}

// New returns a client for the server at base (scheme, host and an
// optional path prefix, as "http://127.0.0.1:8080") with the bearer
// credential token. hc nil means a client with no overall timeout (blob
// uploads can take long) but with connection timeouts.
func New(base, token string, hc *http.Client) (*Client, error) {
	u, err := ParseServer(base)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 5 * time.Minute,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
		}}
	}
	return &Client{base: u, token: token, http: hc, UserAgent: "zkvault-ingest"}, nil
}

// ParseServer checks a server address: http or https, a host, no query,
// no fragment, no credentials.
func ParseServer(base string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return nil, fmt.Errorf("server address: %v", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server address %q: want http://host:port or https://host", base)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("server address: no user, query or fragment")
	}
	return u, nil
}

// Base returns the server address.
func (c *Client) Base() *url.URL { u := *c.base; return &u }

// Error is an error answer of the server.
type Error struct {
	Method, Path string
	Status       int
	Code         string
	Message      string
	// RetryAfter is the server's Retry-After (a 429 or 503), or 0.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
}

// IsStatus reports whether err is a server answer with status code.
func IsStatus(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == code
}

// Temporary reports whether a request that failed with err may succeed if
// sent again: a network error or a 429, 502, 503 or 504 answer.
func Temporary(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		switch e.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return true // transport error
}

// Retry calls f until it succeeds, fails with an error that is not
// Temporary, or has failed attempts times; it waits between attempts
// (doubling from 500 ms to at most 8 s, or what the server's Retry-After
// says).
func Retry(ctx context.Context, attempts int, f func() error) error {
	wait := 500 * time.Millisecond
	var err error
	for i := 0; i < attempts; i++ {
		if err = f(); err == nil || !Temporary(err) || i == attempts-1 {
			return err
		}
		d := wait
		var e *Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			d = e.RetryAfter
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
		wait = min(2*wait, 8*time.Second)
	}
	return err
}

// path joins escaped path segments under the API prefix.
func path(segs ...string) string {
	var b strings.Builder
	b.WriteString(APIPrefix)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

func (c *Client) do(ctx context.Context, method, p string, q url.Values, body io.Reader, ctype string, out any) error {
	u := strings.TrimRight(c.base.String(), "/") + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error repeats the URL: it holds no secret (the token is
		// a header), but keep the message short.
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("%s %s: %w", method, p, ue.Err)
		}
		return fmt.Errorf("%s %s: %w", method, p, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		e := &Error{Method: method, Path: p, Status: resp.StatusCode}
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && ra > 0 {
			e.RetryAfter = time.Duration(min(ra, 300)) * time.Second
		}
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil {
			e.Code, e.Message = eb.Error.Code, eb.Error.Message
		}
		return e
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, p, err)
	}
	return nil
}

func (c *Client) doJSON(ctx context.Context, method, p string, in, out any) error {
	var body io.Reader
	ctype := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	return c.do(ctx, method, p, nil, body, ctype, out)
}

// CreateSpace creates a space (POST /spaces).
func (c *Client) CreateSpace(ctx context.Context, sp api.Space) error {
	return c.doJSON(ctx, http.MethodPost, path("spaces"), sp, nil)
}

// Space returns a space (GET /spaces/{space}).
func (c *Client) Space(ctx context.Context, id string) (api.Space, error) {
	var sp api.Space
	err := c.doJSON(ctx, http.MethodGet, path("spaces", id), nil, &sp)
	return sp, err
}

// AddCollection adds a collection schema to a space.
func (c *Client) AddCollection(ctx context.Context, space string, s api.Schema) error {
	return c.doJSON(ctx, http.MethodPost, path("spaces", space, "collections"), s, nil)
}

// UpsertResult and ItemError are the wire types of a batch upsert's answer.
type (
	UpsertResult = api.UpsertResult
	ItemError    = api.ItemError
)

// Upsert sends a batch of records, each already JSON-encoded.
func (c *Client) Upsert(ctx context.Context, space, coll string, records []json.RawMessage) (UpsertResult, error) {
	var res UpsertResult
	body, err := json.Marshal(struct {
		Records []json.RawMessage `json:"records"`
	}{records})
	if err != nil {
		return res, err
	}
	err = c.do(ctx, http.MethodPost, path("spaces", space, "collections", coll, "records"), nil, bytes.NewReader(body), "application/json", &res)
	return res, err
}

// Query selects records of a collection.
type Query struct {
	Index, Field, Value string
	Cursor              string
	Limit               int
}

// Page is a page of records.
type Page struct {
	Records    []api.Record `json:"records"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// Records returns one page of records of a collection.
func (c *Client) Records(ctx context.Context, space, coll string, q Query) (Page, error) {
	v := url.Values{}
	for k, s := range map[string]string{"index": q.Index, "field": q.Field, "value": q.Value, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var p Page
	err := c.do(ctx, http.MethodGet, path("spaces", space, "collections", coll, "records"), v, nil, "", &p)
	return p, err
}

// BlobInfo is the server's description of a stored blob.
type BlobInfo struct {
	ID     string `json:"id"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// PutBlob uploads a blob stream (PUT /spaces/{space}/blobs/{blob}),
// linked to a record of a collection when coll and record are given. The
// body is streamed as it is read (chunked), so that a file of any size
// passes through bounded memory.
func (c *Client) PutBlob(ctx context.Context, space, blob, coll, record string, body io.Reader) (BlobInfo, error) {
	var q url.Values
	if coll != "" && record != "" {
		q = url.Values{"collection": {coll}, "record": {record}}
	}
	var info BlobInfo
	err := c.do(ctx, http.MethodPut, path("spaces", space, "blobs", blob), q, body, "application/octet-stream", &info)
	return info, err
}

// Blob downloads a blob's stored (encrypted) bytes, at most limit.
func (c *Client) Blob(ctx context.Context, space, blob string, limit int64) ([]byte, error) {
	p := path("spaces", space, "blobs", blob)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.base.String(), "/")+p, nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", p, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Method: http.MethodGet, Path: p, Status: resp.StatusCode}
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}
