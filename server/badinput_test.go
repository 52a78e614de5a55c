package server_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/service"
)

// TestBadInput: every bad input is answered 4xx with a JSON error naming the
// problem, never 500, never a partial write.
func TestBadInput(t *testing.T) {
	limits := service.DefaultLimits
	limits.MaxBlobBytes = 1 << 20
	e := newEnvLimits(t, limits)
	owner := e.principal("owner", api.PrincipalUser, 0)
	e.setEncryption(true)
	vault := api.Space{ID: "v", Kind: api.KindVault, Encrypted: true, SecretVersion: 1,
		Relations: []api.Relation{{Role: api.RoleOwner, Principal: owner.ID}},
		Envelopes: []api.Envelope{passphraseEnvelope(1)}, Schemas: []api.Schema{messages}}
	e.must(201, "POST", "/api/v1/spaces", e.admin, vault)

	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	long := strings.Repeat("a", 129)
	goodEnv := passphraseEnvelope(1)
	space := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"id": "s2", "kind": "vault", "encrypted": true, "secret_version": 1,
			"envelopes": []any{goodEnv}}
		mod(m)
		return m
	}
	envWith := func(data string) map[string]any {
		return space(func(m map[string]any) {
			m["envelopes"] = []any{map[string]any{"kind": "passphrase", "secret_version": 1, "data": data}}
		})
	}
	cases := []struct {
		name         string
		method, path string
		body         any
		status       int
		code         string
		mention      string // the message names the problem
	}{
		{"malformed JSON", "POST", "/api/v1/spaces", `{"id":`, 400, "invalid_json", "JSON"},
		{"not JSON", "POST", "/api/v1/spaces", `id=x`, 400, "invalid_json", "JSON"},
		{"empty body", "POST", "/api/v1/spaces", ``, 400, "invalid_json", "empty"},
		{"trailing data", "POST", "/api/v1/spaces", `{"id":"s2","kind":"vault"} {}`, 400, "invalid_json", "after"},
		{"wrong type", "POST", "/api/v1/spaces", `{"id":5,"kind":"vault"}`, 400, "wrong_type", "id"},
		{"wrong nested type", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["secret_version"] = "one" }), 400, "wrong_type", "secret_version"},
		{"negative version", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["secret_version"] = -1 }), 400, "wrong_type", "secret_version"},
		{"unknown field", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["bogus"] = 1 }), 400, "unknown_field", "bogus"},
		{"unknown nested field", "POST", "/api/v1/spaces", space(func(m map[string]any) {
			m["envelopes"] = []any{map[string]any{"kind": "passphrase", "secret_version": 1, "data": goodEnv.Data, "extra": true}}
		}), 400, "unknown_field", "extra"},
		{"oversized body", "POST", "/api/v1/spaces", `{"id":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "too_large", "larger"},
		{"oversized batch body", "POST", "/api/v1/spaces/v/collections/messages/records", `{"records":["` + strings.Repeat("a", 33<<20) + `"]}`, 413, "too_large", "larger"},
		{"oversized blob", "PUT", "/api/v1/spaces/v/blobs/big", strings.Repeat("x", 1<<20+1), 413, "too_large", "larger"},
		{"too many records", "POST", "/api/v1/spaces/v/collections/messages/records", `{"records":[` + strings.TrimSuffix(strings.Repeat(`{},`, 1001), ",") + `]}`, 413, "batch_too_large", "1001"},
		{"records not an array", "POST", "/api/v1/spaces/v/collections/messages/records", `{"records":{}}`, 400, "wrong_type", "records"},
		{"records missing", "POST", "/api/v1/spaces/v/collections/messages/records", `{}`, 400, "invalid_value", "records"},
		{"id with slash", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["id"] = "a/b" }), 400, api.CodeInvalidID, "a/b"},
		{"id with backslash", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["id"] = `a\b` }), 400, api.CodeInvalidID, "id"},
		{"id with dot-dot", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["id"] = ".." }), 400, api.CodeInvalidID, "id"},
		{"id with NUL", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["id"] = "a\x00b" }), 400, api.CodeInvalidID, "id"},
		{"id with newline", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["id"] = "a\nb" }), 400, api.CodeInvalidID, "id"},
		{"id with space", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["id"] = "a b" }), 400, api.CodeInvalidID, "id"},
		{"very long id", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["id"] = long }), 400, api.CodeInvalidID, "id"},
		{"very long meta value", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["meta"] = map[string]string{"title": strings.Repeat("x", 5000)} }), 400, api.CodeTooLong, "meta.title"},
		{"bad meta key", "POST", "/api/v1/spaces", space(func(m map[string]any) { m["meta"] = map[string]string{"../x": "y"} }), 400, api.CodeInvalidName, "meta"},
		{"deep nesting", "POST", "/api/v1/spaces", `{"id":"s2","meta":` + deep + `}`, 400, "invalid_json", "depth"},
		{"deep nesting in a record batch", "POST", "/api/v1/spaces/v/collections/messages/records", `{"records":` + deep + `}`, 400, "invalid_json", "depth"},
		{"invalid base64 envelope", "POST", "/api/v1/spaces", envWith("!!!!"), 400, api.CodeInvalidBase64, "data"},
		{"padded base64 envelope", "POST", "/api/v1/spaces", envWith(base64.URLEncoding.EncodeToString([]byte("ZKE\x02\x02xxxxxxxx"))), 400, api.CodeInvalidBase64, "data"},
		{"std base64 envelope", "POST", "/api/v1/spaces", envWith(strings.Replace(goodEnv.Data, "", "+", 1)), 400, api.CodeInvalidBase64, "data"},
		{"envelope bad magic", "POST", "/api/v1/spaces", envWith(base64.RawURLEncoding.EncodeToString([]byte("ZKE\x01\x02xxxxxxx"))), 400, api.CodeInvalidEnvelope, "magic"},
		{"envelope unknown kind", "POST", "/api/v1/spaces", envWith(base64.RawURLEncoding.EncodeToString([]byte("ZKE\x02\x09xxxxxxx"))), 400, api.CodeInvalidEnvelope, "kind"},
		{"envelope truncated", "POST", "/api/v1/spaces", space(func(m map[string]any) {
			m["envelopes"] = []any{map[string]any{"kind": "principal", "principal": "owner", "fingerprint": owner.Fingerprint, "key_version": 1, "secret_version": 1, "data": base64.RawURLEncoding.EncodeToString([]byte("ZKE\x02\x01abc"))}}
		}), 400, api.CodeInvalidEnvelope, "short"},
		{"uppercase fingerprint", "POST", "/api/v1/spaces", space(func(m map[string]any) {
			e := envelopeFor(owner, 1)
			e.Fingerprint = strings.ToUpper(e.Fingerprint)
			m["envelopes"] = []any{e}
		}), 400, api.CodeInvalidEnvelope, "fingerprint"},
		{"invalid base64 public key", "POST", "/api/v1/principals", map[string]any{"id": "p2", "kind": "user", "public_key": "a+b/", "fingerprint": strings.Repeat("a", 64), "key_version": 1}, 400, api.CodeInvalidBase64, "public_key"},
		{"unknown principal kind", "POST", "/api/v1/principals", map[string]any{"id": "p2", "kind": "robot"}, 400, api.CodeInvalidValue, "kind"},
		{"bad schema type", "POST", "/api/v1/spaces/v/collections", map[string]any{"collection": "c2", "fields": map[string]any{"a": map[string]any{"type": "blob"}}}, 400, api.CodeInvalidSchema, "type"},
		{"bad collection name", "POST", "/api/v1/spaces/v/collections", map[string]any{"collection": "c/2", "fields": map[string]any{"a": map[string]any{"type": "string"}}}, 400, api.CodeInvalidName, "collection"},
		{"index over unknown field", "POST", "/api/v1/spaces/v/collections", map[string]any{"collection": "c2", "fields": map[string]any{"a": map[string]any{"type": "string"}}, "indexes": map[string]any{"i": map[string]any{"fields": []string{"b"}, "normalizer": "exact", "bits": 16}}}, 400, api.CodeInvalidSchema, "indexes.i"},
		{"bad limit", "GET", "/api/v1/spaces/v/collections/messages/records?limit=abc", nil, 400, "invalid_value", "limit"},
		{"zero limit", "GET", "/api/v1/spaces/v/collections/messages/records?limit=0", nil, 400, "invalid_value", "limit"},
		{"bad cursor", "GET", "/api/v1/spaces/v/collections/messages/records?cursor=%21%21", nil, 400, "invalid_cursor", "cursor"},
		{"bad index value", "GET", "/api/v1/spaces/v/collections/messages/records?index=senderPhoneIndex&value=XYZ", nil, 400, api.CodeInvalidHex, "hex"},
		{"unknown index", "GET", "/api/v1/spaces/v/collections/messages/records?index=nope&value=00", nil, 400, "invalid_query", "nope"},
		{"filter on non-filter field", "GET", "/api/v1/spaces/v/collections/messages/records?field=text&value=x", nil, 400, "invalid_query", "text"},
		{"bad time", "GET", "/api/v1/spaces/v/collections/messages/records?from=yesterday", nil, 400, "invalid_value", "from"},
		{"path with encoded slash", "GET", "/api/v1/spaces/a%2Fb", nil, 404, "not_found", "space"},
		{"unknown route", "GET", "/api/v1/nothing/here", nil, 404, "not_found", "/api/v1/nothing/here"},
		{"wrong method", "PATCH", "/api/v1/spaces/v", `{}`, 405, "method_not_allowed", "Method"},
		{"unknown collection", "POST", "/api/v1/spaces/v/collections/nope/records", `{"records":[]}`, 404, "not_found", "nope"},
		{"blob id with control char", "PUT", "/api/v1/spaces/v/blobs/a%01b", "x", 400, api.CodeInvalidID, "blob"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, e.admin, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.status, r.body)
			}
			if code := r.errCode(t); code != tc.code {
				t.Fatalf("code %q, want %q: %.300s", code, tc.code, r.body)
			}
			if !strings.Contains(strings.ToLower(string(r.body)), strings.ToLower(tc.mention)) {
				t.Fatalf("message does not mention %q: %.300s", tc.mention, r.body)
			}
		})
	}

	// Bad items of a batch: each rejected with its reason, the good one
	// written.
	item := func(id string, field string, v any) map[string]any {
		m := msg(id, 1, "c", idx32(1))
		if field != "" {
			m["fields"].(map[string]any)[field] = v
		}
		return m
	}
	payload := base64.RawURLEncoding.EncodeToString(make([]byte, 40))
	items := []struct {
		rec  any
		code string
	}{
		{item("good", "", nil), ""},
		{item("a/b", "", nil), api.CodeInvalidID},
		{item("a\x01b", "", nil), api.CodeInvalidID},
		{item(long, "", nil), api.CodeInvalidID},
		{map[string]any{"id": 5}, "invalid_json"},
		{map[string]any{"id": "z", "fields": map[string]any{}, "extra": 1}, "invalid_json"},
		{item("i1", "text", "hello"), api.CodeCleartext},
		{item("i2", "text", 42), api.CodeCleartext},
		{item("i3", "text", "enc:v1:aaa:bbb:ccc"), api.CodeInvalidCiphertext},
		{item("i4", "text", "enc:v2:0:"+payload), api.CodeInvalidCiphertext},
		{item("i5", "text", "enc:v2:01:"+payload), api.CodeInvalidCiphertext},
		{item("i6", "text", "enc:v2:4294967296:"+payload), api.CodeInvalidCiphertext},
		{item("i7", "text", "enc:v2:1"), api.CodeInvalidCiphertext},
		{item("i8", "text", "enc:v2:1:"+payload+"="), api.CodeInvalidCiphertext},
		{item("i9", "text", "enc:v2:1:"+strings.Replace(payload, "A", "+", 1)), api.CodeInvalidCiphertext},
		{item("i10", "text", "enc:v2:1:AAAA"), api.CodeInvalidCiphertext},
		{item("i11", "text", "enc:v3:1:"+payload), api.CodeInvalidCiphertext},
		{item("i12", "text", "ENC:v2:1:"+payload), api.CodeCleartext},
		{item("i13", "chatId", 5), api.CodeInvalidValue},
		{item("i14", "chatId", strings.Repeat("x", 70000)), api.CodeTooLong},
		{item("i15", "timestamp", 1.5), api.CodeInvalidValue},
		{item("i16", "timestamp", "yesterday"), api.CodeInvalidValue},
		{item("i17", "isFromMe", "yes"), api.CodeInvalidValue},
		{item("i18", "attachment", "../etc/passwd"), api.CodeInvalidID},
		{item("i19", "phones", ct(40)), ""},
		{item("i20", "chatId", []any{deepValue(50)}), api.CodeInvalidValue},
		{map[string]any{"id": "i21", "fields": map[string]any{}, "index": map[string][]string{"senderPhoneIndex": {"0000000", "00000001"}}}, api.CodeTooMany},
		{map[string]any{"id": "i22", "fields": map[string]any{}, "index": map[string][]string{"senderPhoneIndex": {"000000001"}}}, api.CodeInvalidHex},
		{map[string]any{"id": "i23", "fields": map[string]any{}, "index": map[string][]string{"phonesIndex": {"0001", "0002", "0003"}}}, ""},
		{map[string]any{"id": "i24", "fields": map[string]any{}, "index": map[string][]string{"nope": {"00"}}}, api.CodeUnknownField},
		{map[string]any{"id": "i25", "fields": map[string]any{"text": nil}}, api.CodeCleartext},
		{map[string]any{"id": "i26", "fields": map[string]any{"chatId": nil}}, api.CodeInvalidValue},
	}
	var recs []any
	for _, it := range items {
		recs = append(recs, it.rec)
	}
	var res service.UpsertResult
	e.must(200, "POST", "/api/v1/spaces/v/collections/messages/records", e.admin, map[string]any{"records": recs}).decode(t, &res)
	want := 0
	for _, it := range items {
		if it.code == "" {
			want++
		}
	}
	if res.Inserted != want || res.Rejected != len(items)-want {
		t.Fatalf("result %+v", res)
	}
	k := 0
	for i, it := range items {
		if it.code == "" {
			continue
		}
		got := res.Errors[k]
		k++
		if got.Index != i || got.Code != it.code || got.Message == "" {
			t.Errorf("item %d: got %+v, want code %s", i, got, it.code)
		}
	}

	// No partial writes: only what was accepted is there.
	var sl struct{ Items []service.SpaceView }
	e.must(200, "GET", "/api/v1/spaces", e.admin, nil).decode(t, &sl)
	if len(sl.Items) != 1 || len(sl.Items[0].Schemas) != 1 {
		t.Fatalf("spaces after bad input: %+v", sl.Items)
	}
	var p page
	e.must(200, "GET", "/api/v1/spaces/v/collections/messages/records", e.admin, nil).decode(t, &p)
	ids := []string{}
	for _, r := range p.Records {
		ids = append(ids, r.ID)
	}
	if fmt.Sprint(ids) != "[good i19 i23]" {
		t.Fatalf("records after bad input: %v", ids)
	}
	e.must(404, "GET", "/api/v1/spaces/v/blobs/big", e.admin, nil)
}

func deepValue(n int) any {
	var v any = "x"
	for i := 0; i < n; i++ {
		v = []any{v}
	}
	return v
}
