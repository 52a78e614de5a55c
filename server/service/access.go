package service

// Limits of restricted callers (tokens with collection scopes, spaces or a
// data window), checked by the transport before it calls the operation:
// records.go stays the ingest path's.

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/store"
)

// Operations that Gate checks.
const (
	OpSpaceRead    = "space.read"
	OpSpaceWrite   = "space.write"
	OpRecordsRead  = "records.read"
	OpRecordsWrite = "records.write"
	OpBlobRead     = "blob.read"
	OpBlobWrite    = "blob.write"
	OpBlobDelete   = "blob.delete"
	// OpPrincipalWrite: replacing the caller's own principal's key.
	OpPrincipalWrite = "principal.write"
)

// CanCollection says whether the caller has verb on a collection.
func (c Caller) CanCollection(verb, coll string) bool {
	if c.Admin {
		return true
	}
	if !c.can(verb) {
		return false
	}
	list, limited := c.Collections[verb]
	return !limited || slices.Contains(list, coll)
}

// limitedData says whether the caller sees only part of a space's data.
func (c Caller) limitedData() bool { return len(c.Collections) > 0 || c.Window != nil }

func (c Caller) inSpaces(space string) bool {
	return len(c.Spaces) == 0 || slices.Contains(c.Spaces, space)
}

// InSpaces says whether a space is within the caller's space limit.
func (c Caller) InSpaces(space string) bool { return c.inSpaces(space) }

func scopeErr(format string, args ...any) *Error {
	return newErr(KindForbidden, "scope", format, args...)
}

// Gate checks an operation against the caller's limits: spaces (outside
// them a space is not found), collection scopes (403), the data window (a
// blob outside it is not found, for reading and for deleting alike; record
// writes and blob uploads check the window in the operation itself). coll is the collection of a records
// operation or of a blob upload; blob is the blob of a blob operation.
func (s *Service) Gate(ctx context.Context, c Caller, op, space, coll, blob string) error {
	if c.Admin {
		return nil
	}
	if space != "" && !c.inSpaces(space) {
		return notFound("space " + space)
	}
	switch op {
	case OpSpaceWrite:
		if c.limitedData() {
			return scopeErr("a token limited to collections or to a data window cannot change spaces")
		}
		if space == "" && len(c.Spaces) > 0 {
			return scopeErr("a token limited to spaces cannot create one")
		}
	case OpPrincipalWrite:
		if c.limitedData() || len(c.Spaces) > 0 || c.Kind == CredWrite {
			return scopeErr("only the principal itself (its session or an unlimited token) may replace its key")
		}
	case OpRecordsRead:
		if !c.CanCollection(ScopeRead, coll) {
			return scopeErr("the token may not read collection %s", coll)
		}
	case OpRecordsWrite:
		if !c.CanCollection(ScopeWrite, coll) {
			return scopeErr("the token may not write collection %s", coll)
		}
	case OpBlobWrite:
		if _, limited := c.Collections[ScopeWrite]; limited && !c.CanCollection(ScopeWrite, coll) {
			return scopeErr("the token may write blobs only of its collections: name one with ?collection=")
		}
	case OpBlobRead, OpBlobDelete:
		verb := ScopeRead
		if op == OpBlobDelete {
			verb = ScopeWrite
		}
		if err := c.need(verb); err != nil {
			return err
		}
		_, limited := c.Collections[verb]
		if !limited && c.Window == nil {
			return nil
		}
		if !api.ValidID(space) || !api.ValidID(blob) {
			return notFound("blob")
		}
		m, f, err := s.st.OpenBlob(ctx, space, blob)
		if err != nil {
			return fromStore(err, "blob "+blob)
		}
		f.Close()
		if limited && !c.CanCollection(verb, m.Collection) {
			return scopeErr("the token may not %s blobs of collection %q", verb, m.Collection)
		}
		if c.Window != nil {
			if m.Record == "" {
				return notFound("blob " + blob)
			}
			d, err := s.st.Record(ctx, space, m.Collection, m.Record)
			if err != nil {
				return notFound("blob " + blob)
			}
			in, err := s.InWindow(ctx, c, space, m.Collection, [][]byte{d})
			if err != nil {
				return err
			}
			if len(in) == 0 {
				return notFound("blob " + blob)
			}
		}
	}
	return nil
}

// recordInWindow says whether the stored record space/coll/id exists and
// lies in the caller's window (always true without a window).
func (s *Service) recordInWindow(ctx context.Context, c Caller, space, coll, id string) (bool, error) {
	if c.Admin || c.Window == nil {
		return true, nil
	}
	d, err := s.st.Record(ctx, space, coll, id)
	if err != nil {
		return false, nil
	}
	in, err := s.InWindow(ctx, c, space, coll, [][]byte{d})
	return len(in) == 1, err
}

// errReplaceOutside is the message of a record write refused because the
// record it would replace lies outside the caller's data window.
const errReplaceOutside = "the record it would replace is outside the token's data window"

// writeInWindow checks a record write against the caller's data window: the
// new record's time must lie in it, and so must the time of the record it
// replaces, if any. A caller without a window may write anything.
//
// The second rule is the store's to decide: the record may be replaced
// between this check and the write, so the write carries the window as its
// condition (ReplaceIn), which the store checks in the transaction that
// writes; a write that fails it comes back Refused. The look at the stored
// record here only refuses early, on the common path.
func (s *Service) writeInWindow(ctx context.Context, c Caller, space, coll string, w *store.RecordWrite) error {
	if c.Admin || c.Window == nil {
		return nil
	}
	if !w.HasTime || w.Time < c.Window.From || w.Time >= c.Window.To {
		return scopeErr("the record's time is outside the token's data window")
	}
	w.ReplaceIn = &store.TimeRange{From: c.Window.From, To: c.Window.To}
	if d, err := s.st.Record(ctx, space, coll, w.ID); err == nil {
		if in, err := s.InWindow(ctx, c, space, coll, [][]byte{d}); err != nil {
			return err
		} else if len(in) == 0 {
			return scopeErr(errReplaceOutside)
		}
	}
	return nil
}

// InWindow keeps the records (canonical JSON) whose time field lies in the
// caller's data window; all of them when it has none. A record without a
// time is outside every window.
func (s *Service) InWindow(ctx context.Context, c Caller, space, coll string, recs [][]byte) ([][]byte, error) {
	if c.Admin || c.Window == nil {
		return recs, nil
	}
	sp, err := s.st.Space(ctx, space)
	if err != nil {
		return nil, fromStore(err, "space "+space)
	}
	sc, err := schemaOf(&sp, coll)
	if err != nil {
		return nil, err
	}
	out := recs[:0:0]
	if sc.TimeField == "" {
		return out, nil
	}
	for _, r := range recs {
		var v struct {
			Fields map[string]json.RawMessage `json:"fields"`
		}
		if json.Unmarshal(r, &v) != nil {
			continue
		}
		t, ok := api.TimeValue(v.Fields[sc.TimeField])
		if ok && t >= c.Window.From && t < c.Window.To {
			out = append(out, r)
		}
	}
	return out, nil
}

// ClampToWindow narrows a time range to the caller's window; it says false
// when the query cannot be narrowed (an index query), and the caller
// filters the results with InWindow instead.
func (c Caller) ClampToWindow(p *QueryParams) bool {
	if c.Admin || c.Window == nil {
		return true
	}
	if p.Index != "" {
		return false
	}
	from, to := c.Window.From, c.Window.To
	if p.From != nil {
		from = max(from, *p.From)
	}
	if p.To != nil {
		to = min(to, *p.To)
	}
	if to < from {
		to = from
	}
	p.From, p.To = &from, &to
	return true
}
