package server_test

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
	"github.com/zkvault/zkvault/server/store/memstore"
	"github.com/zkvault/zkvault/static"
)

// TestConcurrentMaster: concurrent requests creating a master, against the
// bbolt store and the memory store: exactly one wins (201), every other
// gets 409 master_exists, the settings name the winner, and no loser's
// principal exists. Repeated, because a race shows only sometimes.
func TestConcurrentMaster(t *testing.T) {
	stores := map[string]func(t *testing.T) store.Store{
		"bolt": func(t *testing.T) store.Store {
			st, err := boltstore.Open(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		"memory": func(t *testing.T) store.Store { return memstore.New() },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			for round := range 5 {
				concurrentMaster(t, open(t), round)
			}
		})
	}
}

func concurrentMaster(t *testing.T, st store.Store, round int) {
	secret, _, err := service.LoadOrCreateAdminSecret(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(service.Config{Store: st, AdminSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(server.New(server.Config{Service: svc, Static: static.FS}).Handler())
	defer func() {
		hs.Close()
		svc.Close()
		st.Close()
	}()
	e := &env{t: t, url: hs.URL, admin: secret, client: hs.Client()}
	// Some unrelated settings traffic at the same time: turning encryption
	// on must not undo the winner's pointer.
	const n = 6
	status := make([]int, n+1)
	codes := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := (round*n + i) % len(pubKeys)
			p := api.Principal{ID: fmt.Sprintf("master-%d", i), Kind: api.PrincipalMaster, PublicKey: pubKeys[k], Fingerprint: fingerprint(pubKeys[k]), KeyVersion: 1}
			<-start
			r := e.do("POST", "/api/v1/principals", secret, p)
			status[i] = r.status
			if r.status != 201 {
				codes[i] = r.errCode(t)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		status[n] = e.do("PUT", "/api/v1/settings", secret, map[string]bool{"encryption": true}).status
	}()
	close(start)
	wg.Wait()
	if status[n] != 200 {
		t.Fatalf("settings update: %d", status[n])
	}
	winner := -1
	for i := range n {
		switch {
		case status[i] == 201:
			if winner >= 0 {
				t.Fatalf("round %d: two masters created: master-%d and master-%d", round, winner, i)
			}
			winner = i
		case status[i] != 409 || codes[i] != "master_exists":
			t.Fatalf("round %d: creation %d: %d %s, want 409 master_exists", round, i, status[i], codes[i])
		}
	}
	if winner < 0 {
		t.Fatalf("round %d: no master created", round)
	}
	var sv service.SettingsView
	e.must(200, "GET", "/api/v1/settings", secret, nil).decode(t, &sv)
	if sv.MasterPrincipal != fmt.Sprintf("master-%d", winner) || !sv.Encryption {
		t.Fatalf("round %d: settings %+v, want master-%d and encryption on", round, sv, winner)
	}
	for i := range n {
		want := 404
		if i == winner {
			want = 200
		}
		e.must(want, "GET", fmt.Sprintf("/api/v1/principals/master-%d", i), secret, nil)
	}
}
