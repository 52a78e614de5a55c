package service_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store/memstore"
)

// The logic runs against the in-memory store, without HTTP.

func newService(t *testing.T) *service.Service {
	s, err := service.New(service.Config{Store: memstore.New(), AdminSecret: "zka_test-secret-of-some-length"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func kind(err error) service.Kind {
	var se *service.Error
	if errors.As(err, &se) {
		return se.Kind
	}
	return service.KindInternal
}

func TestAccessRule(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	admin := service.Caller{Admin: true}
	for _, p := range []api.Principal{{ID: "alice", Kind: api.PrincipalUser}, {ID: "bob", Kind: api.PrincipalUser}, {ID: "q", Kind: api.PrincipalGroup}} {
		if _, err := s.CreatePrincipal(ctx, admin, p); err != nil {
			t.Fatal(err)
		}
	}
	sp := api.Space{ID: "s", Kind: api.KindFollowUp, Relations: []api.Relation{{Role: api.RoleOwner, Principal: "alice"}, {Role: api.RoleGroup, Principal: "q"}},
		Schemas: []api.Schema{{Collection: "c", Fields: map[string]api.Field{"x": {Type: api.TypeString, Encrypted: true}}}}}
	alice := service.Caller{Principal: "alice", Scopes: []string{"read", "write"}}
	bob := service.Caller{Principal: "bob", Scopes: []string{"read", "write"}}
	if _, err := s.CreateSpace(ctx, bob, sp); kind(err) != service.KindForbidden {
		t.Fatalf("bob creating alice's space: %v", err)
	}
	if _, err := s.CreateSpace(ctx, alice, sp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Space(ctx, bob, "s"); kind(err) != service.KindNotFound {
		t.Fatalf("bob reading: %v", err)
	}
	items := []json.RawMessage{json.RawMessage(`{"id":"r","fields":{"x":"clear"}}`)}
	if _, err := s.UpsertRecords(ctx, bob, "s", "c", items); kind(err) != service.KindNotFound {
		t.Fatalf("bob writing: %v", err)
	}
	res, err := s.UpsertRecords(ctx, alice, "s", "c", items)
	if err != nil || res.Inserted != 1 {
		t.Fatalf("alice writing: %+v %v", res, err)
	}
	// Encryption on: the same cleartext record is refused, failing closed,
	// even in this space created in clear.
	on := true
	if _, err := s.PutSettings(ctx, admin, service.SettingsUpdate{Encryption: &on}); err != nil {
		t.Fatal(err)
	}
	items = []json.RawMessage{json.RawMessage(`{"id":"r2","fields":{"x":"clear"}}`)}
	res, err = s.UpsertRecords(ctx, alice, "s", "c", items)
	if err != nil || res.Rejected != 1 || res.Errors[0].Code != api.CodeCleartext {
		t.Fatalf("cleartext with encryption on: %+v %v", res, err)
	}
	items = []json.RawMessage{json.RawMessage(`{"id":"r2","fields":{"x":"enc:v2:1:` + base64.RawURLEncoding.EncodeToString(make([]byte, 30)) + `"}}`)}
	if res, err = s.UpsertRecords(ctx, alice, "s", "c", items); err != nil || res.Inserted != 1 {
		t.Fatalf("ciphertext: %+v %v", res, err)
	}
}
