package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store"
)

type page struct {
	Records    []api.Record `json:"records"`
	NextCursor string       `json:"next_cursor"`
}

func TestVaultFlow(t *testing.T) {
	e := newEnv(t)
	e.must(200, "GET", "/healthz", "", nil)
	if r := e.must(200, "GET", "/", "", nil); !bytes.Contains(r.body, []byte("zkvault")) {
		t.Fatalf("dashboard: %s", r.body)
	}
	e.setEncryption(true)
	owner := e.principal("felipe", api.PrincipalUser, 0)
	tok := e.token(owner.ID, "read", "write")

	vault := api.Space{ID: "vault-1", Kind: api.KindVault, Encrypted: true, SecretVersion: 1,
		Relations: []api.Relation{{Role: api.RoleOwner, Principal: owner.ID}},
		Envelopes: []api.Envelope{passphraseEnvelope(1)},
		Schemas:   []api.Schema{messages}}
	var sv service.SpaceView
	e.must(201, "POST", "/api/v1/spaces", tok, vault).decode(t, &sv)
	if sv.Rev != 1 || !sv.Encrypted || len(sv.Stale) != 1 || sv.Stale[0] != owner.ID {
		// The owner has a relation but only a passphrase envelope: a
		// principal envelope for it is missing, which the view reports.
		t.Fatalf("created %+v", sv)
	}
	e.must(409, "POST", "/api/v1/spaces", tok, vault)

	// A batch: good items, bad items; bad ones never block good ones.
	recs := []any{}
	for i := 0; i < 20; i++ {
		recs = append(recs, msg(fmt.Sprintf("m%02d", i), int64(1000+i*10), []string{"chatA", "chatB"}[i%2], idx32(i%4)))
	}
	bad := msg("bad1", 5, "chatA", idx32(1))
	bad["fields"].(map[string]any)["text"] = "hello in clear"
	recs = append(recs, bad, map[string]any{"id": "a/b", "fields": map[string]any{}}, "not an object",
		map[string]any{"id": "x", "fields": map[string]any{"nope": 1}},
		map[string]any{"id": "y", "fields": map[string]any{}, "index": map[string][]string{"senderPhoneIndex": {"ABCDEF12"}}},
		msg("m00", 1, "chatA", idx32(0)))
	var res service.UpsertResult
	e.must(200, "POST", "/api/v1/spaces/vault-1/collections/messages/records", tok, map[string]any{"records": recs}).decode(t, &res)
	if res.Inserted != 20 || res.Rejected != 6 || res.Updated != 0 || len(res.Errors) != 6 {
		t.Fatalf("result %+v", res)
	}
	codes := []string{}
	for _, ie := range res.Errors {
		codes = append(codes, ie.Code)
	}
	if want := []string{api.CodeCleartext, api.CodeInvalidID, "invalid_json", api.CodeUnknownField, api.CodeInvalidHex, "duplicate_id"}; !slices.Equal(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	// Idempotent: the same batch again changes nothing.
	e.must(200, "POST", "/api/v1/spaces/vault-1/collections/messages/records", tok, map[string]any{"records": recs[:20]}).decode(t, &res)
	if res.Unchanged != 20 || res.Inserted+res.Updated+res.Rejected != 0 {
		t.Fatalf("again %+v", res)
	}
	// One changed.
	e.must(200, "POST", "/api/v1/spaces/vault-1/collections/messages/records", tok, map[string]any{"records": []any{msg("m03", 1030, "chatB", idx32(9))}}).decode(t, &res)
	if res.Updated != 1 {
		t.Fatalf("update %+v", res)
	}

	query := func(q string, limit int) []string {
		t.Helper()
		var ids []string
		cursor := ""
		for n := 0; n < 100; n++ {
			var p page
			u := fmt.Sprintf("/api/v1/spaces/vault-1/collections/messages/records?limit=%d&%s&cursor=%s", limit, q, cursor)
			e.must(200, "GET", u, tok, nil).decode(t, &p)
			if len(p.Records) > limit {
				t.Fatalf("page of %d > %d", len(p.Records), limit)
			}
			for _, r := range p.Records {
				ids = append(ids, r.ID)
			}
			if p.NextCursor == "" {
				return ids
			}
			cursor = p.NextCursor
		}
		t.Fatal("pagination does not end")
		return nil
	}
	if got := query("index=senderPhoneIndex&value="+idx32(1), 2); strings.Join(got, ",") != "m01,m05,m09,m13,m17" {
		t.Fatalf("index query: %v", got)
	}
	if got := query("index=senderPhoneIndex&value="+idx32(3), 10); strings.Join(got, ",") != "m07,m11,m15,m19" {
		t.Fatalf("index query after update: %v", got)
	}
	if got := query("field=chatId&value=chatB&from=1050&to=1120", 2); strings.Join(got, ",") != "m05,m07,m09,m11" {
		t.Fatalf("field+time query: %v", got)
	}
	if got := query("field=isFromMe&value=true", 3); len(got) != 10 {
		t.Fatalf("bool filter: %v", got)
	}
	if got := query("from=1000&to=1030", 1); strings.Join(got, ",") != "m00,m01,m02" {
		t.Fatalf("time range: %v", got)
	}
	if got := query("", 7); len(got) != 20 {
		t.Fatalf("all: %d", len(got))
	}
	r := e.must(200, "GET", "/api/v1/spaces/vault-1/collections/messages/records/m03", tok, nil)
	var rec api.Record
	r.decode(t, &rec)
	if rec.ID != "m03" || !strings.HasPrefix(string(rec.Fields["text"]), `"enc:v2:1:`) {
		t.Fatalf("record %s", r.body)
	}
	e.must(204, "DELETE", "/api/v1/spaces/vault-1/collections/messages/records/m03", tok, nil)
	e.must(404, "GET", "/api/v1/spaces/vault-1/collections/messages/records/m03", tok, nil)
	e.must(404, "DELETE", "/api/v1/spaces/vault-1/collections/messages/records/m03", tok, nil)

	// A blob linked to a record, with range reads.
	blob := bytes.Repeat([]byte("0123456789abcdef"), 70000)
	var bv service.BlobView
	e.must(201, "PUT", "/api/v1/spaces/vault-1/blobs/att-1?collection=messages&record=m01", tok, blob).decode(t, &bv)
	sum := sha256.Sum256(blob)
	if bv.Size != int64(len(blob)) || bv.SHA256 != hex.EncodeToString(sum[:]) || bv.Record != "m01" {
		t.Fatalf("blob %+v", bv)
	}
	r = e.must(200, "GET", "/api/v1/spaces/vault-1/blobs/att-1", tok, nil)
	if !bytes.Equal(r.body, blob) {
		t.Fatal("blob differs")
	}
	r = e.do("GET", "/api/v1/spaces/vault-1/blobs/att-1", tok, nil, "Range", "bytes=100-199")
	if r.status != http.StatusPartialContent || !bytes.Equal(r.body, blob[100:200]) {
		t.Fatalf("range: %d %q", r.status, r.body)
	}
	e.must(204, "DELETE", "/api/v1/spaces/vault-1/blobs/att-1", tok, nil)
	e.must(404, "GET", "/api/v1/spaces/vault-1/blobs/att-1", tok, nil)

	// Logs, for the admin only.
	e.svc.Flush()
	var logs struct{ Items []store.LogEntry }
	e.must(200, "GET", "/api/v1/logs/write", e.admin, nil).decode(t, &logs)
	types := map[string]bool{}
	for _, l := range logs.Items {
		types[l.Type] = true
		if l.Type == "records.upsert" && l.TokenPrefix == "" {
			t.Fatalf("log without token prefix: %+v", l)
		}
	}
	for _, want := range []string{"records.upsert", "spaces.create", "blobs.put", "records.delete"} {
		if !types[want] {
			t.Fatalf("write log lacks %s: %+v", want, logs.Items)
		}
	}
	e.must(200, "GET", "/api/v1/logs/read", e.admin, nil).decode(t, &logs)
	if len(logs.Items) == 0 {
		t.Fatal("empty read log")
	}
	e.must(403, "GET", "/api/v1/logs/read", tok, nil)
	e.must(404, "GET", "/api/v1/logs/other", e.admin, nil)
}

func TestEncryptionRules(t *testing.T) {
	e := newEnv(t)
	alice := e.principal("alice", api.PrincipalUser, 0)
	bob := e.principal("bob", api.PrincipalUser, 1)
	queue := e.principal("queue-1", api.PrincipalGroup, 2)
	master := e.principal("master", api.PrincipalMaster, 3)
	var st service.SettingsView
	e.must(200, "GET", "/api/v1/settings", e.admin, nil).decode(t, &st)
	if st.MasterFingerprint != master.Fingerprint || st.Encryption {
		t.Fatalf("settings %+v", st)
	}
	e.setEncryption(true)

	rels := []api.Relation{{Role: api.RoleOwner, Principal: alice.ID}, {Role: api.RoleBeneficiary, Principal: bob.ID}, {Role: api.RoleGroup, Principal: queue.ID}}
	full := []api.Envelope{envelopeFor(alice, 1), envelopeFor(bob, 1), envelopeFor(queue, 1), envelopeFor(master, 1)}
	fu := func(id string, enc bool, envs []api.Envelope) api.Space {
		return api.Space{ID: id, Kind: api.KindFollowUp, Encrypted: enc, SecretVersion: 1, Relations: rels, Envelopes: envs, Schemas: []api.Schema{messages},
			Meta: map[string]string{"title": "Follow-up"}}
	}
	check := func(status int, code string, sp api.Space) {
		t.Helper()
		r := e.do("POST", "/api/v1/spaces", e.admin, sp)
		if r.status != status || r.errCode(t) != code {
			t.Fatalf("status %d code %s, want %d %s: %s", r.status, r.errCode(t), status, code, r.body)
		}
	}
	// Cleartext refused when encryption is on.
	sp := fu("f1", false, nil)
	sp.SecretVersion = 0
	check(422, "encryption_required", sp)
	// Missing envelopes: each participant and the master.
	for i := range full {
		envs := slices.Delete(slices.Clone(full), i, i+1)
		check(422, "missing_envelope", fu("f1", true, envs))
	}
	// Wrong fingerprint: a header and fields that agree, for a key that is
	// not the recipient's.
	wrong := envelopeFor(api.Principal{ID: bob.ID, Fingerprint: alice.Fingerprint, KeyVersion: 1}, 1)
	check(422, "wrong_fingerprint", fu("f1", true, []api.Envelope{full[0], wrong, full[2], full[3]}))
	// A key version that is not current.
	old := envelopeFor(api.Principal{ID: bob.ID, Fingerprint: bob.Fingerprint, KeyVersion: 2}, 1)
	check(422, "wrong_fingerprint", fu("f1", true, []api.Envelope{full[0], old, full[2], full[3]}))
	// Unknown recipient.
	ghost := envelopeFor(api.Principal{ID: "ghost", Fingerprint: bob.Fingerprint, KeyVersion: 1}, 1)
	check(422, "unknown_recipient", fu("f1", true, append(slices.Clone(full), ghost)))
	// A header that disagrees with the fields.
	mismatch := envelopeFor(bob, 1)
	mismatch.Data = envData(1, alice.Fingerprint, 1)
	check(400, api.CodeInvalidEnvelope, fu("f1", true, []api.Envelope{full[0], mismatch, full[2], full[3]}))
	mismatch.Data = envData(2, "", 0)
	check(400, api.CodeInvalidEnvelope, fu("f1", true, []api.Envelope{full[0], mismatch, full[2], full[3]}))
	// And the good one.
	e.must(201, "POST", "/api/v1/spaces", e.admin, fu("f1", true, full))

	// Records with cleartext in encrypted fields are refused, one by one.
	good := msg("r1", 1, "c", idx32(1))
	clear := msg("r2", 2, "c", idx32(2))
	clear["fields"].(map[string]any)["senderPhone"] = "+41790000000"
	wrongForm := msg("r3", 3, "c", idx32(3))
	wrongForm["fields"].(map[string]any)["text"] = "enc:v1:aaaa:bbbb:cccc"
	var res service.UpsertResult
	e.must(200, "POST", "/api/v1/spaces/f1/collections/messages/records", e.admin, map[string]any{"records": []any{good, clear, wrongForm}}).decode(t, &res)
	if res.Inserted != 1 || res.Rejected != 2 || res.Errors[0].Code != api.CodeCleartext || res.Errors[1].Code != api.CodeInvalidCiphertext {
		t.Fatalf("result %+v", res)
	}
	// A space stays encrypted.
	var v service.SpaceView
	e.must(200, "GET", "/api/v1/spaces/f1", e.admin, nil).decode(t, &v)
	v.Encrypted = false
	v.Envelopes = nil
	r := e.do("PUT", "/api/v1/spaces/f1", e.admin, v.Space)
	if r.status != 422 || r.errCode(t) != "stays_encrypted" {
		t.Fatalf("decrypting a space: %d %s", r.status, r.body)
	}
	// Required envelopes cannot be removed.
	r = e.do("DELETE", "/api/v1/spaces/f1/envelopes?principal=bob&secret_version=1", e.admin, nil)
	if r.status != 422 || r.errCode(t) != "missing_envelope" {
		t.Fatalf("removing a required envelope: %d %s", r.status, r.body)
	}

	// With encryption off, clear spaces are allowed, and their encrypted
	// fields may hold plaintext; encrypted spaces still refuse it.
	e.setEncryption(false)
	sp = fu("f2", false, nil)
	sp.SecretVersion = 0
	e.must(201, "POST", "/api/v1/spaces", e.admin, sp)
	e.must(200, "POST", "/api/v1/spaces/f2/collections/messages/records", e.admin, map[string]any{"records": []any{clear}}).decode(t, &res)
	if res.Inserted != 1 {
		t.Fatalf("clear space: %+v", res)
	}
	e.must(200, "POST", "/api/v1/spaces/f1/collections/messages/records", e.admin, map[string]any{"records": []any{clear}}).decode(t, &res)
	if res.Rejected != 1 {
		t.Fatalf("encrypted space with encryption off: %+v", res)
	}
	// Turned on again, records with cleartext are refused even in a clear
	// space (fail closed).
	e.setEncryption(true)
	e.must(200, "POST", "/api/v1/spaces/f2/collections/messages/records", e.admin, map[string]any{"records": []any{clear}}).decode(t, &res)
	if res.Rejected != 1 {
		t.Fatalf("clear space with encryption on: %+v", res)
	}
	// A vault without any envelope is refused.
	vault := api.Space{ID: "v1", Kind: api.KindVault, Encrypted: true, SecretVersion: 1}
	check(422, "missing_envelope", vault)
	vault.Envelopes = []api.Envelope{passphraseEnvelope(1)}
	e.must(201, "POST", "/api/v1/spaces", e.admin, vault)
	// Principal keys must be RSA-4096 and match their fingerprint.
	p := api.Principal{ID: "carol", Kind: api.PrincipalUser, PublicKey: badKey, Fingerprint: strings.Repeat("0", 64), KeyVersion: 1}
	if r := e.do("POST", "/api/v1/principals", e.admin, p); r.status != 400 || r.errCode(t) != "invalid_public_key" {
		t.Fatalf("RSA-2048: %d %s", r.status, r.body)
	}
	p.PublicKey = pubKeys[4]
	if r := e.do("POST", "/api/v1/principals", e.admin, p); r.status != 400 || r.errCode(t) != "fingerprint_mismatch" {
		t.Fatalf("fingerprint: %d %s", r.status, r.body)
	}
}

func TestAccessAndStale(t *testing.T) {
	e := newEnv(t)
	alice := e.principal("alice", api.PrincipalUser, 0)
	bob := e.principal("bob", api.PrincipalUser, 1)
	carol := e.principal("carol", api.PrincipalUser, 2)
	queue := e.principal("queue", api.PrincipalGroup, 3)
	dave := e.principal("dave", api.PrincipalUser, 5)
	ta, tb, tc, td := e.token("alice", "read", "write"), e.token("bob", "read", "write"), e.token("carol", "read", "write"), e.token("dave", "read")
	e.setEncryption(true)

	sp := api.Space{ID: "fu", Kind: api.KindFollowUp, Encrypted: true, SecretVersion: 1,
		Relations: []api.Relation{{Role: api.RoleOwner, Principal: "alice"}, {Role: api.RoleBeneficiary, Principal: "bob"}, {Role: api.RoleGroup, Principal: "queue"}},
		Envelopes: []api.Envelope{envelopeFor(alice, 1), envelopeFor(bob, 1), envelopeFor(queue, 1)},
		Schemas:   []api.Schema{messages}}
	// Carol may not create a space she is not part of.
	if r := e.do("POST", "/api/v1/spaces", tc, sp); r.status != 403 {
		t.Fatalf("carol creating: %d %s", r.status, r.body)
	}
	// A read-only token cannot write.
	if r := e.do("POST", "/api/v1/spaces", td, sp); r.status != 403 || r.errCode(t) != "scope" {
		t.Fatalf("read-only token: %d %s", r.status, r.body)
	}
	e.must(201, "POST", "/api/v1/spaces", ta, sp)
	e.must(200, "POST", "/api/v1/spaces/fu/collections/messages/records", ta, map[string]any{"records": []any{msg("m1", 1, "c", idx32(1))}})
	e.must(201, "PUT", "/api/v1/spaces/fu/blobs/b1", ta, "blob bytes")

	// Carol is outside: 404 everywhere, not 403, and nothing of the data.
	for _, p := range []string{"/api/v1/spaces/fu", "/api/v1/spaces/fu/collections/messages/records/m1",
		"/api/v1/spaces/fu/collections/messages/records?index=senderPhoneIndex&value=" + idx32(1), "/api/v1/spaces/fu/blobs/b1",
		"/api/v1/spaces/nonexistent"} {
		r := e.do("GET", p, tc, nil)
		if r.status != 404 || r.errCode(t) != "not_found" || bytes.Contains(r.body, []byte("enc:v2")) {
			t.Fatalf("carol GET %s: %d %s", p, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/spaces/fu/collections/messages/records", tc, map[string]any{"records": []any{msg("m2", 1, "c", idx32(1))}}); r.status != 404 {
		t.Fatalf("carol writing: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/v1/spaces/fu/blobs/b1", tc, nil); r.status != 404 {
		t.Fatalf("carol deleting: %d %s", r.status, r.body)
	}
	var sl struct{ Items []service.SpaceView }
	e.must(200, "GET", "/api/v1/spaces", tc, nil).decode(t, &sl)
	if len(sl.Items) != 0 {
		t.Fatalf("carol lists %+v", sl.Items)
	}
	// Bob reads directly; carol once a member of the queue.
	e.must(200, "GET", "/api/v1/spaces/fu", tb, nil)
	e.must(200, "PUT", "/api/v1/principals/queue/members/carol", e.admin, service.MemberRequest{Envelope: envelopeFor(carol, 1)})
	e.must(200, "GET", "/api/v1/spaces/fu/collections/messages/records/m1", tc, nil)
	e.must(200, "GET", "/api/v1/spaces", tc, nil).decode(t, &sl)
	if len(sl.Items) != 1 || sl.Items[0].ID != "fu" {
		t.Fatalf("carol lists %+v", sl.Items)
	}
	// A membership envelope for the wrong key is refused.
	if r := e.do("PUT", "/api/v1/principals/queue/members/dave", e.admin, service.MemberRequest{Envelope: envelopeFor(api.Principal{ID: "dave", Fingerprint: bob.Fingerprint, KeyVersion: 1}, 1)}); r.status != 422 || r.errCode(t) != "wrong_fingerprint" {
		t.Fatalf("member envelope: %d %s", r.status, r.body)
	}
	e.must(204, "DELETE", "/api/v1/principals/queue/members/carol", e.admin, nil)
	e.must(404, "GET", "/api/v1/spaces/fu", tc, nil)
	_ = dave

	// Bob forgets his passphrase: a new key, by compare-and-swap.
	nb := bob
	nb.PublicKey, nb.Fingerprint, nb.KeyVersion = pubKeys[6], fingerprint(pubKeys[6]), 3
	if r := e.do("PUT", "/api/v1/principals/bob/key", tb, nb); r.status != 409 {
		t.Fatalf("skipping a version: %d %s", r.status, r.body)
	}
	nb.KeyVersion = 2
	e.must(403, "PUT", "/api/v1/principals/bob/key", ta, nb)
	e.must(200, "PUT", "/api/v1/principals/bob/key", tb, nb)
	e.must(409, "PUT", "/api/v1/principals/bob/key", tb, nb)
	var hist struct{ Items []store.PrincipalKey }
	e.must(200, "GET", "/api/v1/principals/bob/keys", ta, nil).decode(t, &hist)
	if len(hist.Items) != 1 || hist.Items[0].Fingerprint != bob.Fingerprint {
		t.Fatalf("history %+v", hist)
	}
	// Sealed keys are shown only to their principal and the admin.
	var pv service.PrincipalView
	e.must(200, "GET", "/api/v1/principals/bob", ta, nil).decode(t, &pv)
	if pv.SealedKey != "" || pv.Fingerprint != nb.Fingerprint {
		t.Fatalf("bob seen by alice: %+v", pv)
	}
	e.must(200, "GET", "/api/v1/principals/bob", tb, nil).decode(t, &pv)
	if pv.SealedKey == "" {
		t.Fatal("bob does not see his sealed key")
	}
	// The space is stale for bob, and the view says so.
	var ids struct{ Items []string }
	e.must(200, "GET", "/api/v1/principals/bob/stale-spaces", ta, nil).decode(t, &ids)
	if !slices.Equal(ids.Items, []string{"fu"}) {
		t.Fatalf("stale %v", ids.Items)
	}
	var v service.SpaceView
	e.must(200, "GET", "/api/v1/spaces/fu", ta, nil).decode(t, &v)
	if !slices.Equal(v.Stale, []string{"bob"}) {
		t.Fatalf("stale in view %v", v.Stale)
	}
	e.must(200, "GET", "/api/v1/principals/alice/stale-spaces", ta, nil).decode(t, &ids)
	if len(ids.Items) != 0 {
		t.Fatalf("alice stale %v", ids.Items)
	}
	// Bob can still see it (the relation stays), but a replacement envelope
	// for his old key is refused; one for the new key is the resync.
	e.must(200, "GET", "/api/v1/spaces/fu", tb, nil)
	if r := e.do("POST", "/api/v1/spaces/fu/envelopes", ta, service.EnvelopesRequest{Envelopes: []api.Envelope{envelopeFor(bob, 1)}}); r.status != 422 {
		t.Fatalf("resync for the old key: %d %s", r.status, r.body)
	}
	v = service.SpaceView{}
	e.must(200, "POST", "/api/v1/spaces/fu/envelopes", ta, service.EnvelopesRequest{Envelopes: []api.Envelope{envelopeFor(nb, 1)}}).decode(t, &v)
	if len(v.Stale) != 0 {
		t.Fatalf("still stale %v", v.Stale)
	}
	e.must(200, "GET", "/api/v1/principals/bob/stale-spaces", ta, nil).decode(t, &ids)
	if len(ids.Items) != 0 {
		t.Fatalf("stale after resync %v", ids.Items)
	}
	// An envelope for a current key is not overwritten by a colleague (no
	// denial of service by resync), only by the admin.
	if r := e.do("POST", "/api/v1/spaces/fu/envelopes", tb, service.EnvelopesRequest{Envelopes: []api.Envelope{envelopeFor(alice, 1)}}); r.status != 409 || r.errCode(t) != "envelope_exists" {
		t.Fatalf("overwrite: %d %s", r.status, r.body)
	}
	e.must(200, "POST", "/api/v1/spaces/fu/envelopes", e.admin, service.EnvelopesRequest{Envelopes: []api.Envelope{envelopeFor(alice, 1)}})
	// Rotation: a new secret version with envelopes for everyone.
	e.must(200, "GET", "/api/v1/spaces/fu", ta, nil).decode(t, &v)
	v.SecretVersion = 2
	v.Envelopes = append(v.Envelopes, envelopeFor(alice, 2), envelopeFor(nb, 2))
	if r := e.do("PUT", "/api/v1/spaces/fu", ta, v.Space); r.status != 422 {
		t.Fatalf("rotation without the queue: %d %s", r.status, r.body)
	}
	v.Envelopes = append(v.Envelopes, envelopeFor(queue, 2))
	e.must(200, "PUT", "/api/v1/spaces/fu", ta, v.Space).decode(t, &v)
	if v.Rev != 4 || v.SecretVersion != 2 {
		t.Fatalf("rotated %+v", v)
	}
	// An old-version envelope can go; the schema cannot change.
	e.must(200, "DELETE", "/api/v1/spaces/fu/envelopes?principal=alice&secret_version=1", ta, nil)
	changed := v.Space
	changed.Schemas = []api.Schema{{Collection: "messages", Fields: map[string]api.Field{"text": {Type: api.TypeString}}}}
	changed.Envelopes = nil
	e.must(200, "GET", "/api/v1/spaces/fu", ta, nil).decode(t, &v)
	changed.Envelopes = v.Envelopes
	if r := e.do("PUT", "/api/v1/spaces/fu", ta, changed); r.status != 409 || r.errCode(t) != "schema_changed" {
		t.Fatalf("schema change: %d %s", r.status, r.body)
	}
	e.must(201, "POST", "/api/v1/spaces/fu/collections", ta, api.Schema{Collection: "notes", Fields: map[string]api.Field{"body": {Type: api.TypeString, Encrypted: true}}})
	e.must(409, "POST", "/api/v1/spaces/fu/collections", ta, api.Schema{Collection: "notes", Fields: map[string]api.Field{"body": {Type: api.TypeString, Encrypted: true}}})
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	e.principal("alice", api.PrincipalUser, 0)
	tok := e.token("alice", "read")
	if r := e.do("GET", "/api/v1/settings", "", nil); r.status != 401 || r.errCode(t) != "unauthorized" || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}
	e.must(200, "GET", "/api/v1/openapi.json", "", nil)
	// Ids with characters a client may escape.
	e.must(201, "POST", "/api/v1/principals", e.admin, api.Principal{ID: "dr:who@example.org", Kind: api.PrincipalUser})
	e.must(200, "GET", "/api/v1/principals/dr%3Awho%40example.org", e.admin, nil)
	e.must(200, "GET", "/api/v1/principals/dr:who@example.org", e.admin, nil)
	e.must(200, "GET", "/api/v1/settings", tok, nil)
	e.must(403, "PUT", "/api/v1/settings", tok, map[string]bool{"encryption": true})
	e.must(403, "POST", "/api/v1/tokens", tok, service.TokenRequest{Principal: "alice", Scopes: []string{"write"}})
	// Listing tokens shows no secret and no hash.
	r := e.must(200, "GET", "/api/v1/tokens", e.admin, nil)
	if bytes.Contains(r.body, []byte(tok)) || bytes.Contains(r.body, []byte(`"hash"`)) {
		t.Fatalf("token listing leaks: %s", r.body)
	}
	var tl struct{ Items []service.TokenView }
	r.decode(t, &tl)
	e.must(204, "DELETE", "/api/v1/tokens/"+tl.Items[0].Prefix, e.admin, nil)
	e.must(401, "GET", "/api/v1/settings", tok, nil)
	// Ten failures lock the address out, even for a good secret.
	for i := 0; i < 9; i++ {
		e.must(401, "GET", "/api/v1/settings", "zka_wrong", nil)
	}
	e.must(429, "GET", "/api/v1/settings", e.admin, nil)
	var as struct{ Items []store.LoginAttempt }
	if err := json.Unmarshal(e.svcLoginAttempts(t), &as); err != nil || len(as.Items) < 10 {
		t.Fatalf("login attempts %v %+v", err, as)
	}
}

// svcLoginAttempts reads the login attempts through the store (the admin is
// locked out of the API at this point).
func (e *env) svcLoginAttempts(t *testing.T) []byte {
	as, _, err := e.store.ListLoginAttempts(t.Context(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"items": as})
	return b
}

// TestShippedSchemas: the collection schemas the clients ship
// (wasm/schemas/*.json, read as data: the server imports nothing of wasm/)
// are accepted.
func TestShippedSchemas(t *testing.T) {
	files, _ := filepath.Glob("../wasm/schemas/*.json")
	if len(files) == 0 {
		t.Skip("no shipped schemas found")
	}
	e := newEnv(t)
	sp := api.Space{ID: "all", Kind: api.KindVault, Encrypted: true, SecretVersion: 1, Envelopes: []api.Envelope{passphraseEnvelope(1)}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sc api.Schema
		if err := service.DecodeJSON(bytes.NewReader(b), &sc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sp.Schemas = append(sp.Schemas, sc)
	}
	e.must(201, "POST", "/api/v1/spaces", e.admin, sp)
}
