package server_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store/boltstore"
	"github.com/zkvault/zkvault/static"
)

// pubKeys are RSA-4096 SubjectPublicKeyInfo DERs (base64url), made once for
// the tests; badKey is an RSA-2048 one. The server never needs the private
// halves.
var pubKeys, badKey = func() ([]string, string) {
	f, err := os.Open("testdata/pubkeys.txt")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			keys = append(keys, l)
		}
	}
	return keys[:len(keys)-1], keys[len(keys)-1]
}()

func fingerprint(key string) string {
	fp, err := service.Fingerprint(key)
	if err != nil {
		panic(err)
	}
	return fp
}

type env struct {
	t      *testing.T
	url    string
	admin  string
	store  *boltstore.Store
	svc    *service.Service
	client *http.Client
}

func newEnv(t *testing.T) *env { return newEnvLimits(t, service.DefaultLimits) }

func newEnvLimits(t *testing.T, limits service.Limits) *env {
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
	svc, err := service.New(service.Config{Store: st, AdminSecret: secret, Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{Service: svc, Static: static.FS})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		svc.Close()
		if err := st.Check(); err != nil {
			t.Errorf("bbolt check: %v", err)
		}
		st.Close()
	})
	return &env{t: t, url: hs.URL, admin: secret, store: st, svc: svc, client: hs.Client()}
}

type resp struct {
	status int
	body   []byte
	header http.Header
}

func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r resp) errCode(t *testing.T) string {
	t.Helper()
	var e server.ErrorBody
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("status %d: not a JSON error: %q", r.status, r.body)
	}
	return e.Error.Code
}

// do sends a request; body is JSON-encoded unless it is []byte or a reader.
func (e *env) do(method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, body: b, header: res.Header}
}

// must sends a request and fails unless the status is want.
func (e *env) must(want int, method, path, token string, body any) resp {
	e.t.Helper()
	r := e.do(method, path, token, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

// principal creates a principal with test key i (i < 0: no key).
func (e *env) principal(id, kind string, i int) api.Principal {
	e.t.Helper()
	p := api.Principal{ID: id, Kind: kind}
	if i >= 0 {
		p.PublicKey = pubKeys[i]
		p.Fingerprint = fingerprint(pubKeys[i])
		p.KeyVersion = 1
		if kind != api.PrincipalMaster {
			p.SealedKey = envData(3, "", 0)
		}
	}
	e.must(201, "POST", "/api/v1/principals", e.admin, p)
	return p
}

// token makes a bearer token for a principal.
func (e *env) token(principal string, scopes ...string) string {
	e.t.Helper()
	var v service.TokenView
	e.must(201, "POST", "/api/v1/tokens", e.admin, service.TokenRequest{Principal: principal, Scopes: scopes}).decode(e.t, &v)
	return v.Token
}

func (e *env) setEncryption(on bool) {
	e.t.Helper()
	e.must(200, "PUT", "/api/v1/settings", e.admin, map[string]bool{"encryption": on})
}

// envData makes the base64url of a binary envelope with a valid header and
// random contents.
func envData(kind byte, fp string, kv uint32) string {
	b := []byte("ZKE\x02")
	b = append(b, kind)
	if kind == 1 {
		raw, err := hex.DecodeString(fp)
		if err != nil || len(raw) != 32 {
			panic("bad fingerprint " + fp)
		}
		b = append(b, raw...)
		b = binary.BigEndian.AppendUint32(b, kv)
	}
	tail := make([]byte, 64)
	rand.Read(tail)
	return base64.RawURLEncoding.EncodeToString(append(b, tail...))
}

// envelopeFor makes a principal envelope for p's current key.
func envelopeFor(p api.Principal, secretVersion uint32) api.Envelope {
	return api.Envelope{Kind: api.RecipientPrincipal, Principal: p.ID, Fingerprint: p.Fingerprint, KeyVersion: p.KeyVersion, SecretVersion: secretVersion, Data: envData(1, p.Fingerprint, p.KeyVersion)}
}

func passphraseEnvelope(secretVersion uint32) api.Envelope {
	return api.Envelope{Kind: api.RecipientPassphrase, SecretVersion: secretVersion, Data: envData(2, "", 0)}
}

// ct makes a structurally valid enc:v2 ciphertext of n payload bytes.
func ct(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return "enc:v2:1:" + base64.RawURLEncoding.EncodeToString(b)
}

// messages is a WhatsApp-like collection schema.
var messages = api.Schema{
	Collection: "messages",
	Fields: map[string]api.Field{
		"text":        {Type: api.TypeString, Encrypted: true, Pad: true},
		"senderPhone": {Type: api.TypeString, Encrypted: true},
		"phones":      {Type: api.TypeString, Encrypted: true, Multi: true},
		"chatId":      {Type: api.TypeString, Filter: true},
		"isFromMe":    {Type: api.TypeBool, Filter: true},
		"timestamp":   {Type: api.TypeTime},
		"attachment":  {Type: api.TypeString, Blob: true},
	},
	Indexes: map[string]api.Index{
		"senderPhoneIndex": {Fields: []string{"senderPhone"}, Normalizer: api.NormPhone, Bits: 32},
		"phonesIndex":      {Fields: []string{"phones"}, Normalizer: api.NormPhone, Bits: 16},
	},
	TimeField: "timestamp",
}

// msg is one record of messages.
func msg(id string, ts int64, chat string, phoneIdx string) map[string]any {
	return map[string]any{
		"id": id,
		"fields": map[string]any{
			"text":        ct(40),
			"senderPhone": ct(30),
			"chatId":      chat,
			"isFromMe":    (ts/10)%2 == 0,
			"timestamp":   ts,
		},
		"index": map[string][]string{"senderPhoneIndex": {phoneIdx}},
	}
}

func idx32(i int) string { return fmt.Sprintf("%08x", i) }
