package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/service"
)

// ingestSpace creates an encrypted vault "v" with the messages collection.
func ingestSpace(e *env) {
	e.t.Helper()
	e.must(201, "POST", "/api/v1/spaces", e.admin, api.Space{ID: "v", Kind: api.KindVault, Encrypted: true, SecretVersion: 1,
		Envelopes: []api.Envelope{passphraseEnvelope(1)}, Schemas: []api.Schema{messages}})
}

// TestBatchBodies: a batch body of unknown length (chunked) is read as one
// of known length is, within the same limit; a body shorter than its
// Content-Length is refused, and nothing of it is written.
func TestBatchBodies(t *testing.T) {
	e := newEnv(t)
	ingestSpace(e)
	const path = "/api/v1/spaces/v/collections/messages/records"
	body, _ := json.Marshal(map[string]any{"records": []any{msg("c1", 1000, "chat", idx32(1)), msg("c2", 2000, "chat", idx32(2))}})

	// io.MultiReader hides the length: the client sends it chunked.
	var res service.UpsertResult
	e.must(200, "POST", path, e.admin, io.MultiReader(bytes.NewReader(body))).decode(t, &res)
	if res.Inserted != 2 || res.Rejected != 0 {
		t.Fatalf("chunked batch: %+v", res)
	}
	big := io.MultiReader(strings.NewReader(`{"records":["`), strings.NewReader(strings.Repeat("a", 33<<20)), strings.NewReader(`"]}`))
	if r := e.do("POST", path, e.admin, big); r.status != 413 || r.errCode(t) != "too_large" {
		t.Fatalf("chunked oversized batch: %d %s", r.status, r.body)
	}

	// A body cut short: the connection ends before Content-Length bytes.
	cut, _ := json.Marshal(map[string]any{"records": []any{msg("c3", 3000, "chat", idx32(3))}})
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", path, e.admin, len(cut)+100)
	conn.Write(cut)
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	hr, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(hr.Body)
	if hr.StatusCode != 400 || !bytes.Contains(out, []byte("incomplete_body")) {
		t.Fatalf("cut body: %d %s", hr.StatusCode, out)
	}
	e.must(404, "GET", path+"/c3", e.admin, nil)
	e.must(200, "GET", path+"/c2", e.admin, nil)
}

// TestConcurrentBatches posts batches from many clients at once, as an
// ingest client with several batches in flight does (the server writes
// batches that are ready together in one transaction). Every response
// counts its own batch exactly: each writer's own records as its batches
// applied in its order give; a record all writers touch is inserted once,
// then updated; bad items are rejected in their batch and never affect
// another; and what is stored is the last version each writer sent of its
// records.
func TestConcurrentBatches(t *testing.T) {
	e := newEnv(t)
	ingestSpace(e)
	const path = "/api/v1/spaces/v/collections/messages/records"
	const writers, batches = 4, 8
	var mu sync.Mutex
	sharedInserted, sharedUpdated := 0, 0
	final := map[string]string{} // id: index value of the last version
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := map[string]string{}
			made := map[string][]byte{} // versions, by index value
			for b := 0; b < batches; b++ {
				var recs []any
				want := service.UpsertResult{}
				for k := 0; k < 20; k++ {
					id := fmt.Sprintf("w%d-%02d", w, (b*7+k)%30)
					// A version lasts two batches: sent again, unchanged.
					ix := fmt.Sprintf("%02x%02x%04x", w, (b*7+k)%30, b/2)
					raw := made[ix]
					if raw == nil {
						raw, _ = json.Marshal(msg(id, int64(1000*(b/2)+k), "chat", ix))
						made[ix] = raw
					}
					switch old, ok := mine[id]; {
					case !ok:
						want.Inserted++
					case old == string(raw):
						want.Unchanged++
					default:
						want.Updated++
					}
					mine[id] = string(raw)
					recs = append(recs, json.RawMessage(raw))
				}
				// A shared record in a version of its own, and two bad
				// items: a cleartext field, and an id twice.
				recs = append(recs, msg(fmt.Sprintf("shared-%d", b%3), int64(b), "chat", fmt.Sprintf("ff%02x%02x%02x", w, b, 0)))
				bad := msg("bad", 1, "chat", idx32(1))
				bad["fields"].(map[string]any)["text"] = "cleartext"
				recs = append(recs, bad, recs[0])
				body, _ := json.Marshal(map[string]any{"records": recs})
				var res service.UpsertResult
				r := e.do("POST", path, e.admin, body)
				if r.status != 200 || json.Unmarshal(r.body, &res) != nil {
					t.Errorf("writer %d batch %d: %d %s", w, b, r.status, r.body)
					return
				}
				shared := res.Inserted + res.Updated + res.Unchanged - (want.Inserted + want.Updated + want.Unchanged)
				if res.Rejected != 2 || len(res.Errors) != 2 || res.Errors[0].Index != 21 || res.Errors[1].Index != 22 ||
					shared != 1 || res.Unchanged != want.Unchanged {
					t.Errorf("writer %d batch %d: %+v; want own records %+v, one shared record, 2 rejected", w, b, res, want)
					return
				}
				// The shared record is the one item whose outcome is not
				// known in advance: inserted or updated, never unchanged.
				mu.Lock()
				switch {
				case res.Inserted == want.Inserted+1 && res.Updated == want.Updated:
					sharedInserted++
				case res.Inserted == want.Inserted && res.Updated == want.Updated+1:
					sharedUpdated++
				default:
					t.Errorf("writer %d batch %d: %+v; want own records %+v", w, b, res, want)
				}
				for id, raw := range mine {
					var m struct{ Index map[string][]string }
					json.Unmarshal([]byte(raw), &m)
					final[id] = m.Index["senderPhoneIndex"][0]
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if sharedInserted != 3 || sharedUpdated != writers*batches-3 {
		t.Fatalf("shared records: %d inserted, %d updated; want 3 and %d", sharedInserted, sharedUpdated, writers*batches-3)
	}
	for id, ix := range final {
		var got api.Record
		e.must(200, "GET", path+"/"+id, e.admin, nil).decode(t, &got)
		if got.Index["senderPhoneIndex"][0] != ix {
			t.Fatalf("record %s: index %v, want %s", id, got.Index, ix)
		}
		var pg page
		e.must(200, "GET", path+"?index=senderPhoneIndex&value="+ix, e.admin, nil).decode(t, &pg)
		if len(pg.Records) != 1 || pg.Records[0].ID != id {
			t.Fatalf("index %s: %d records, want %s", ix, len(pg.Records), id)
		}
	}
	e.must(404, "GET", path+"/bad", e.admin, nil)
}
