package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/store"
)

// UpsertResult and ItemError are the wire types of a batch upsert's answer.
type (
	UpsertResult = api.UpsertResult
	ItemError    = api.ItemError
)

func schemaOf(sp *store.Space, coll string) (*api.Schema, error) {
	for i := range sp.Schemas {
		if sp.Schemas[i].Collection == coll {
			return &sp.Schemas[i], nil
		}
	}
	return nil, notFound("collection " + coll)
}

// mustEncrypt says whether records of sp must carry ciphertext in every
// encrypted field: the space is encrypted, or encryption is on.
func (s *Service) mustEncrypt(ctx context.Context, sp *store.Space) (bool, error) {
	if sp.Encrypted {
		return true, nil
	}
	st, err := s.st.Settings(ctx)
	return st.Encryption, err
}

// UpsertRecords writes a batch of records, each validated on its own: bad
// items are rejected with a reason and never block good ones. Items
// identical to the stored record count as unchanged. The good items are
// written in one transaction, durable when this returns.
func (s *Service) UpsertRecords(ctx context.Context, c Caller, spaceID, coll string, items []json.RawMessage) (UpsertResult, error) {
	res := UpsertResult{Errors: []ItemError{}}
	if err := c.need(ScopeWrite); err != nil {
		return res, err
	}
	if len(items) > s.limits.MaxBatch {
		return res, newErr(KindTooLarge, "batch_too_large", "records: %d items, at most %d per request", len(items), s.limits.MaxBatch)
	}
	sp, err := s.space(ctx, c, spaceID)
	if err != nil {
		return res, err
	}
	sc, err := schemaOf(&sp, coll)
	if err != nil {
		return res, err
	}
	enc, err := s.mustEncrypt(ctx, &sp)
	if err != nil {
		return res, err
	}
	writes := make([]store.RecordWrite, 0, len(items))
	pos := make([]int, 0, len(items))
	seen := make(map[string]bool, len(items))
	reject := func(i int, id string, err error) {
		ie := ItemError{Index: i, ID: id, Code: "invalid", Message: err.Error()}
		var ae *api.Error
		var se *Error
		switch {
		case asErr(err, &ae):
			ie.Code = ae.Code
		case asErr(err, &se):
			ie.Code = se.Code
		}
		if !api.ValidID(id) {
			ie.ID = ""
		}
		res.Errors = append(res.Errors, ie)
		res.Rejected++
	}
	// Decoding, validating and canonicalising items is independent work:
	// spread it over the CPUs, then collect in order.
	type prepared struct {
		id  string
		w   store.RecordWrite
		err error
	}
	preps := make([]prepared, len(items))
	names := schemaNames(sc)
	filters := 0
	for _, f := range sc.Fields {
		if f.Filter {
			filters++
		}
	}
	prep := func(i int, sl *entrySlabs) {
		// Most items are canonical already: then they are their own
		// canonical bytes, and decoding them is a scan.
		if r, ok := canonicalRecordIn(items[i], names, &sl.scratch); ok {
			preps[i].id = r.ID
			preps[i].w, preps[i].err = s.prepare(sc, &r, enc, items[i], sl)
			return
		}
		var r api.Record
		if err := decodeStrict(items[i], &r); err != nil {
			preps[i].err = Invalid("invalid_json", "%v", err)
			return
		}
		preps[i].id = r.ID
		preps[i].w, preps[i].err = s.prepare(sc, &r, enc, nil, sl)
	}
	workers := min(runtime.GOMAXPROCS(0), (len(items)+63)/64)
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sl := entrySlabs{filters: filters}
			for i := k; i < len(items); i += workers {
				prep(i, &sl)
			}
		}()
	}
	wg.Wait()
	for i := range preps {
		r, w, err := preps[i], preps[i].w, preps[i].err
		if err != nil {
			reject(i, r.id, err)
			continue
		}
		if seen[r.id] {
			reject(i, r.id, Invalid("duplicate_id", "id %q appears twice in the batch", r.id))
			continue
		}
		seen[r.id] = true
		if err := s.writeInWindow(ctx, c, spaceID, coll, &w); err != nil {
			reject(i, r.id, err)
			continue
		}
		writes = append(writes, w)
		pos = append(pos, i)
	}
	if len(writes) > 0 {
		out, err := s.st.UpsertRecords(ctx, spaceID, coll, writes)
		if err != nil {
			return UpsertResult{}, err
		}
		refused := false
		for k, o := range out {
			switch o {
			case store.Inserted:
				res.Inserted++
			case store.Updated:
				res.Updated++
			case store.Unchanged:
				res.Unchanged++
			case store.Refused:
				// The write's condition failed in the store's
				// transaction (writeInWindow sets it): the record it
				// would replace had left the window since the check.
				reject(pos[k], writes[k].ID, scopeErr(errReplaceOutside))
				refused = true
			}
		}
		if refused {
			slices.SortStableFunc(res.Errors, func(a, b ItemError) int { return a.Index - b.Index })
		}
	}
	s.logWrite(c, "records.upsert", res.Inserted+res.Updated,
		map[string]string{"space": spaceID, "collection": coll, "inserted": strconv.Itoa(res.Inserted), "updated": strconv.Itoa(res.Updated), "unchanged": strconv.Itoa(res.Unchanged), "rejected": strconv.Itoa(res.Rejected)},
		"upserted %d records into %s/%s", len(items), spaceID, coll)
	return res, nil
}

// entrySlabs hands out the index and filter entry slices of the records
// one preparing goroutine prepares, from shared blocks: two allocations for
// many records rather than two each.
type entrySlabs struct {
	index   []store.IndexEntry
	filter  []store.FilterEntry
	filters int // the schema's filter fields: the most a record has
	// scratch holds the maps of the record being prepared (prepare keeps
	// nothing of them).
	scratch recordScratch
	// seen maps a filter field's raw values to their canonical forms:
	// records of a batch share a few (a chat, a sender) and each is then
	// one string.
	seen map[string]map[string]string
}

// maxSeenValues bounds the values entrySlabs remembers per filter field.
const maxSeenValues = 1024

// filterValue is filterValue(f, raw), remembered for field name.
func (sl *entrySlabs) filterValue(name string, f api.Field, raw json.RawMessage) (string, error) {
	if v, ok := sl.seen[name][string(raw)]; ok {
		return v, nil
	}
	v, err := filterValue(f, raw)
	if err != nil {
		return "", err
	}
	if sl.seen == nil {
		sl.seen = map[string]map[string]string{}
	}
	m := sl.seen[name]
	if m == nil {
		m = map[string]string{}
		sl.seen[name] = m
	}
	if len(m) < maxSeenValues {
		m[string(raw)] = v
	}
	return v, nil
}

// slab returns an empty slice of capacity n from *block, which it refills
// when it runs out. The slices it returns never overlap.
func slab[T any](block *[]T, n int) []T {
	if cap(*block)-len(*block) < n {
		*block = make([]T, 0, max(n, 256))
	}
	b := *block
	*block = b[:len(b)+n] // reserved
	return b[len(b) : len(b) : len(b)+n]
}

// prepare validates a record and derives what the store keeps beside it.
// canon, if not nil, is the record's canonical JSON (see canonicalRecord).
func (s *Service) prepare(sc *api.Schema, r *api.Record, enc bool, canon []byte, sl *entrySlabs) (store.RecordWrite, error) {
	if err := api.ValidateRecord(sc, r, enc); err != nil {
		return store.RecordWrite{}, err
	}
	if r.Fields == nil {
		r.Fields = map[string]json.RawMessage{}
	}
	w := store.RecordWrite{ID: r.ID}
	n := 0
	for name, vals := range r.Index {
		slices.Sort(vals)
		vals = slices.Compact(vals)
		r.Index[name] = vals
		n += len(vals)
	}
	w.Index = slab(&sl.index, n)
	for name, vals := range r.Index {
		for _, v := range vals {
			w.Index = append(w.Index, store.IndexEntry{Name: name, Value: v})
		}
	}
	w.Filters = slab(&sl.filter, sl.filters)
	slices.SortFunc(w.Index, func(a, b store.IndexEntry) int {
		if a.Name != b.Name {
			return cmpStr(a.Name, b.Name)
		}
		return cmpStr(a.Value, b.Value)
	})
	for name, f := range sc.Fields {
		raw, ok := r.Fields[name]
		if !ok {
			continue
		}
		if f.Filter {
			v, err := sl.filterValue(name, f, raw)
			if err != nil {
				return w, Invalid(api.CodeInvalidValue, "fields.%s: %v", name, err)
			}
			w.Filters = append(w.Filters, store.FilterEntry{Field: name, Value: v})
		}
		if name == sc.TimeField {
			t, ok := api.TimeValue(raw)
			if !ok {
				return w, Invalid(api.CodeInvalidValue, "fields.%s: not a time", name)
			}
			w.Time, w.HasTime = t, true
		}
	}
	slices.SortFunc(w.Filters, func(a, b store.FilterEntry) int { return cmpStr(a.Field, b.Field) })
	data := canon
	if data == nil {
		var err error
		if data, err = json.Marshal(r); err != nil {
			return w, Invalid(api.CodeInvalidValue, "%v", err)
		}
	}
	if len(data) > s.limits.MaxRecordBytes {
		return w, Invalid(api.CodeTooLong, "record is %d bytes, at most %d", len(data), s.limits.MaxRecordBytes)
	}
	w.Data = data
	return w, nil
}

// plainASCIIString reports whether raw is a JSON string of printable ASCII
// that json.Marshal writes unchanged: no escapes, no '<', '>' or '&'.
func plainASCIIString(raw []byte) bool {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return false
	}
	for _, c := range raw[1 : len(raw)-1] {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// filterValue is the canonical form of a filterable plaintext value, the
// same for a stored value and a query parameter.
func filterValue(f api.Field, raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch f.Type {
	case api.TypeString:
		if plainASCIIString(raw) {
			// What json.Marshal of the decoded string writes.
			return string(raw), nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("want a string")
		}
		b, _ := json.Marshal(s)
		return string(b), nil
	case api.TypeNumber:
		v, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return "", fmt.Errorf("want a number")
		}
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case api.TypeBool:
		if string(raw) != "true" && string(raw) != "false" {
			return "", fmt.Errorf("want true or false")
		}
		return string(raw), nil
	case api.TypeTime:
		v, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return "", fmt.Errorf("want an integer")
		}
		return strconv.FormatInt(v, 10), nil
	}
	return "", fmt.Errorf("type %s cannot be filtered", f.Type)
}

// Record returns one record's canonical JSON.
func (s *Service) Record(ctx context.Context, c Caller, spaceID, coll, id string) (json.RawMessage, error) {
	if err := c.need(ScopeRead); err != nil {
		return nil, err
	}
	sp, err := s.space(ctx, c, spaceID)
	if err != nil {
		return nil, err
	}
	if _, err := schemaOf(&sp, coll); err != nil {
		return nil, err
	}
	if !api.ValidID(id) {
		return nil, notFound("record")
	}
	d, err := s.st.Record(ctx, spaceID, coll, id)
	if err != nil {
		return nil, fromStore(err, "record "+id)
	}
	s.logRead(c, "records.get", 1, map[string]string{"space": spaceID, "collection": coll, "record": id}, "read record %s/%s/%s", spaceID, coll, id)
	return d, nil
}

// DeleteRecord deletes a record.
func (s *Service) DeleteRecord(ctx context.Context, c Caller, spaceID, coll, id string) error {
	if err := c.need(ScopeWrite); err != nil {
		return err
	}
	sp, err := s.space(ctx, c, spaceID)
	if err != nil {
		return err
	}
	if _, err := schemaOf(&sp, coll); err != nil {
		return err
	}
	if !api.ValidID(id) {
		return notFound("record")
	}
	if in, err := s.recordInWindow(ctx, c, spaceID, coll, id); err != nil {
		return err
	} else if !in {
		return notFound("record " + id)
	}
	if err := s.st.DeleteRecord(ctx, spaceID, coll, id); err != nil {
		return fromStore(err, "record "+id)
	}
	s.logWrite(c, "records.delete", 1, map[string]string{"space": spaceID, "collection": coll, "record": id}, "deleted record %s/%s/%s", spaceID, coll, id)
	return nil
}

// QueryParams select records: by blind index (Index, Value), by plaintext
// filter field (Field, Value) optionally within a time range, by time range
// alone, or all; with a cursor and a limit.
type QueryParams struct {
	Index, Field, Value string
	From, To            *int64
	Cursor              string
	Limit               int
}

// Page is a page of records.
type Page struct {
	Records    []json.RawMessage `json:"records"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// QueryRecords runs a query.
func (s *Service) QueryRecords(ctx context.Context, c Caller, spaceID, coll string, p QueryParams) (Page, error) {
	if err := c.need(ScopeRead); err != nil {
		return Page{}, err
	}
	sp, err := s.space(ctx, c, spaceID)
	if err != nil {
		return Page{}, err
	}
	sc, err := schemaOf(&sp, coll)
	if err != nil {
		return Page{}, err
	}
	if p.Limit < 0 {
		return Page{}, Invalid("invalid_value", "limit: must be positive")
	}
	q := store.Query{Space: spaceID, Collection: coll, Cursor: p.Cursor, Limit: store.ClampLimit(p.Limit, 100)}
	if p.Index != "" && p.Field != "" {
		return Page{}, Invalid("invalid_query", "query by index or by field, not both")
	}
	switch {
	case p.Index != "":
		ix, ok := sc.Indexes[p.Index]
		if !ok {
			return Page{}, Invalid("invalid_query", "index: %q is not an index of collection %s", p.Index, coll)
		}
		if !api.ValidLowerHex(p.Value, api.IndexHexLen(ix)) {
			return Page{}, Invalid(api.CodeInvalidHex, "value: want %d lowercase hex characters", api.IndexHexLen(ix))
		}
		if p.From != nil || p.To != nil {
			return Page{}, Invalid("invalid_query", "a blind index query takes no time range")
		}
		q.Index, q.IndexValue = p.Index, p.Value
	case p.Field != "":
		f, ok := sc.Fields[p.Field]
		if !ok || !f.Filter {
			return Page{}, Invalid("invalid_query", "field: %q is not a filter field of collection %s", p.Field, coll)
		}
		raw := json.RawMessage(p.Value)
		if f.Type == api.TypeString {
			raw, _ = json.Marshal(p.Value)
		}
		v, err := filterValue(f, raw)
		if err != nil {
			return Page{}, Invalid(api.CodeInvalidValue, "value: %v", err)
		}
		q.Field, q.FieldValue = p.Field, v
	case p.Value != "":
		return Page{}, Invalid("invalid_query", "value: without index or field")
	}
	if p.From != nil || p.To != nil {
		if sc.TimeField == "" {
			return Page{}, Invalid("invalid_query", "collection %s has no time field", coll)
		}
		q.TimeRange = true
		q.From, q.To = -1<<63, 1<<63-1
		if p.From != nil {
			q.From = *p.From
		}
		if p.To != nil {
			q.To = *p.To
		}
		if q.From > q.To {
			return Page{}, Invalid("invalid_query", "from is after to")
		}
	}
	recs, next, err := s.st.QueryRecords(ctx, q)
	if err != nil {
		return Page{}, fromStore(err, "records")
	}
	out := make([]json.RawMessage, len(recs))
	for i, r := range recs {
		out[i] = r
	}
	s.logRead(c, "records.query", len(out), map[string]string{"space": spaceID, "collection": coll}, "queried %d records of %s/%s", len(out), spaceID, coll)
	return Page{Records: out, NextCursor: next}, nil
}

// ---- blobs

// BlobView describes a blob.
type BlobView struct {
	Space      string `json:"space"`
	ID         string `json:"id"`
	Collection string `json:"collection,omitempty"`
	Record     string `json:"record,omitempty"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
	CreatedAt  int64  `json:"created_at"`
}

func blobView(m store.BlobMeta) BlobView {
	return BlobView{Space: m.Space, ID: m.ID, Collection: m.Collection, Record: m.Record, Size: m.Size, SHA256: m.SHA256, CreatedAt: m.CreatedAt}
}

// PutBlob streams a blob into the space, linked to a record of a collection
// (optional). r is read to its end and never held whole.
func (s *Service) PutBlob(ctx context.Context, c Caller, spaceID, id, coll, record string, r io.Reader) (BlobView, error) {
	if err := c.need(ScopeWrite); err != nil {
		return BlobView{}, err
	}
	sp, err := s.space(ctx, c, spaceID)
	if err != nil {
		return BlobView{}, err
	}
	if err := api.CheckID("blob", id); err != nil {
		return BlobView{}, fromAPI(err)
	}
	if coll != "" || record != "" {
		if _, err := schemaOf(&sp, coll); err != nil {
			return BlobView{}, err
		}
		if err := api.CheckID("record", record); err != nil {
			return BlobView{}, fromAPI(err)
		}
	}
	// A caller with a data window writes only blobs of records in it, so the
	// record comes first.
	if !c.Admin && c.Window != nil {
		if record == "" {
			return BlobView{}, scopeErr("a token with a data window may upload only blobs linked to a record: name one with ?collection= and ?record=")
		}
		if in, err := s.recordInWindow(ctx, c, spaceID, coll, record); err != nil {
			return BlobView{}, err
		} else if !in {
			return BlobView{}, scopeErr("the blob's record is outside the token's data window")
		}
	}
	m, err := s.st.PutBlob(ctx, store.BlobMeta{Space: spaceID, ID: id, Collection: coll, Record: record, CreatedAt: s.ms()}, r)
	if err != nil {
		return BlobView{}, err
	}
	s.logWrite(c, "blobs.put", 1, map[string]string{"space": spaceID, "blob": id, "size": strconv.FormatInt(m.Size, 10)}, "stored blob %s/%s (%d bytes)", spaceID, id, m.Size)
	return blobView(m), nil
}

// OpenBlob opens a blob for reading; the caller closes it.
func (s *Service) OpenBlob(ctx context.Context, c Caller, spaceID, id string) (BlobView, io.ReadSeekCloser, time.Time, error) {
	if err := c.need(ScopeRead); err != nil {
		return BlobView{}, nil, time.Time{}, err
	}
	if _, err := s.space(ctx, c, spaceID); err != nil {
		return BlobView{}, nil, time.Time{}, err
	}
	if !api.ValidID(id) {
		return BlobView{}, nil, time.Time{}, notFound("blob")
	}
	m, f, err := s.st.OpenBlob(ctx, spaceID, id)
	if err != nil {
		return BlobView{}, nil, time.Time{}, fromStore(err, "blob "+id)
	}
	s.logRead(c, "blobs.get", 1, map[string]string{"space": spaceID, "blob": id}, "read blob %s/%s", spaceID, id)
	return blobView(m), f, time.UnixMilli(m.CreatedAt), nil
}

// DeleteBlob deletes a blob.
func (s *Service) DeleteBlob(ctx context.Context, c Caller, spaceID, id string) error {
	if err := c.need(ScopeWrite); err != nil {
		return err
	}
	if _, err := s.space(ctx, c, spaceID); err != nil {
		return err
	}
	if !api.ValidID(id) {
		return notFound("blob")
	}
	if err := s.st.DeleteBlob(ctx, spaceID, id); err != nil {
		return fromStore(err, "blob "+id)
	}
	s.logWrite(c, "blobs.delete", 1, map[string]string{"space": spaceID, "blob": id}, "deleted blob %s/%s", spaceID, id)
	return nil
}
