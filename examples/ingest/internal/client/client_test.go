package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zkvault/zkvault/api"
)

func TestRetryAndPaths(t *testing.T) {
	var calls atomic.Int32
	var paths []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.EscapedPath())
		if r.Header.Get("Authorization") != "Bearer sekrit" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"code":"too_many","message":"slow down"}}`))
			return
		}
		json.NewEncoder(w).Encode(api.Space{ID: "a:b@c+d=e", Kind: api.KindVault})
	}))
	defer hs.Close()
	c, err := New(hs.URL+"/", "sekrit", hs.Client())
	if err != nil {
		t.Fatal(err)
	}
	var sp api.Space
	err = Retry(context.Background(), 3, func() error {
		var err error
		sp, err = c.Space(context.Background(), "a:b@c+d=e")
		return err
	})
	if err != nil || sp.ID != "a:b@c+d=e" || calls.Load() != 2 {
		t.Fatalf("%v %+v %d", err, sp, calls.Load())
	}
	if paths[0] != "/api/v1/spaces/a:b@c+d=e" {
		t.Errorf("path %q", paths[0])
	}

	bad, _ := New(hs.URL, "wrong", hs.Client())
	_, err = bad.Space(context.Background(), "x")
	if !IsStatus(err, http.StatusUnauthorized) || Temporary(err) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("unauthorized: %v", err)
	}
	for _, s := range []string{"ftp://x", "http://", "http://u:p@host", "http://h/?q=1", "http://h/#f"} {
		if _, err := ParseServer(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
