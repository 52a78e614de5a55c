package server_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store"
)

type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		Parameters []struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
		Responses map[string]any `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]any `json:"properties"`
			Required   []string       `json:"required"`
		} `json:"schemas"`
	} `json:"components"`
}

// TestOpenAPI keeps openapi.json true: the routes and the documented
// operations are the same, with the same path parameters, and the
// documented schemas have the JSON fields of the Go types.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t)
	r := e.must(200, "GET", "/api/v1/openapi.json", "", nil)
	var doc openAPIDoc
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}

	srv := server.New(server.Config{Service: e.svc})
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	routes := map[string]bool{}
	for _, rt := range srv.Echo().Routes() {
		if !strings.HasPrefix(rt.Path, server.APIPrefix+"/") || strings.HasPrefix(rt.Method, "echo_") {
			continue
		}
		p := param.ReplaceAllString(strings.TrimPrefix(rt.Path, server.APIPrefix), "{$1}")
		key := strings.ToLower(rt.Method) + " " + p
		routes[key] = true
		op, ok := doc.Paths[p][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("route %s %s is not documented", rt.Method, p)
			continue
		}
		if len(op.Responses) == 0 {
			t.Errorf("%s: no responses documented", key)
		}
		var want, got []string
		for _, m := range param.FindAllStringSubmatch(rt.Path, -1) {
			want = append(want, m[1])
		}
		for _, pp := range op.Parameters {
			if pp.In == "path" {
				got = append(got, pp.Name)
			}
		}
		if !slices.Equal(want, got) {
			t.Errorf("%s: path parameters %v documented as %v", key, want, got)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if !routes[m+" "+p] {
				t.Errorf("documented %s %s is not a route", strings.ToUpper(m), p)
			}
		}
	}
	if len(routes) < 30 {
		t.Errorf("only %d routes found", len(routes))
	}

	types := map[string]any{
		"Settings":          service.SettingsView{},
		"SettingsUpdate":    service.SettingsUpdate{},
		"Principal":         api.Principal{},
		"PrincipalView":     service.PrincipalView{},
		"PrincipalKey":      store.PrincipalKey{},
		"Envelope":          api.Envelope{},
		"Relation":          api.Relation{},
		"Field":             api.Field{},
		"Index":             api.Index{},
		"Schema":            api.Schema{},
		"Record":            api.Record{},
		"Space":             api.Space{},
		"SpaceView":         service.SpaceView{},
		"EnvelopesRequest":  service.EnvelopesRequest{},
		"MemberRequest":     service.MemberRequest{},
		"MemberView":        service.MemberView{},
		"UpsertRequest":     server.UpsertRequest{},
		"ItemError":         service.ItemError{},
		"UpsertResult":      service.UpsertResult{},
		"RecordPage":        service.Page{},
		"Blob":              service.BlobView{},
		"TokenRequest":      service.TokenRequest{},
		"Token":             service.TokenView{},
		"LogEntry":          store.LogEntry{},
		"LoginAttempt":      store.LoginAttempt{},
		"Error":             server.ErrorBody{},
		"PrincipalViewList": server.List[service.PrincipalView]{},
		"SpaceViewList":     server.List[service.SpaceView]{},
		"IDList":            server.List[string]{},
		"LoginRequest":      server.LoginRequest{},
		"RedeemRequest":     server.RedeemRequest{},
		"SessionInfo":       service.SessionInfo{},
		"SessionView":       service.SessionView{},
		"SessionList":       server.List[service.SessionView]{},
		"InvitationRequest": service.InvitationRequest{},
		"Invitation":        service.InvitationView{},
		"InvitationList":    server.List[service.InvitationView]{},
	}
	for name, v := range types {
		sc, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s is not documented", name)
			continue
		}
		fields, _ := jsonFields(reflect.TypeOf(v))
		var doced []string
		for p := range sc.Properties {
			doced = append(doced, p)
		}
		sort.Strings(doced)
		if !slices.Equal(fields, doced) {
			t.Errorf("schema %s: Go fields %v, documented %v", name, fields, doced)
		}
		for _, req := range sc.Required {
			if !slices.Contains(fields, req) {
				t.Errorf("schema %s: required %s is not a field", name, req)
			}
		}
	}
}

// jsonFields lists the JSON names of a struct's fields, with embedded
// structs' fields promoted, sorted; and which of them are omitempty.
func jsonFields(t reflect.Type) ([]string, map[string]bool) {
	omit := map[string]bool{}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			sub, so := jsonFields(f.Type)
			out = append(out, sub...)
			for k, v := range so {
				omit[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
		omit[name] = strings.Contains(opts, "omitempty")
	}
	sort.Strings(out)
	return out, omit
}
