package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"slices"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/examples/ingest/internal/client"
	"github.com/zkvault/zkvault/examples/ingest/internal/progress"
	"github.com/zkvault/zkvault/examples/ingest/internal/state"
	zkvault "github.com/zkvault/zkvault/wasm"
)

// item is one plain record on its way to the server.
type item struct {
	coll   string
	id     string
	fields map[string]any
	blob   *blobSource
	origin string // file (and line) it comes from, for messages
	digest state.Digest
}

// blobSource is a file (or bytes) to upload as the blob of a record.
type blobSource struct {
	field  string
	id     string
	size   int64
	sha256 string // lowercase hex of the plaintext, as read before
	open   func() (io.ReadCloser, error)
}

// Counts are the outcome of an import for one collection.
type Counts struct {
	Inserted, Updated, Unchanged, Rejected, Skipped int
}

// Summary is the outcome of an import or migration.
type Summary struct {
	Collections map[string]*Counts
	// Skipped items that belong to no collection (a system message, a
	// file that is not an image), by the reader's verdict.
	Skipped       int
	BlobsUploaded int
	BlobsKnown    int
	BlobBytes     int64
	Batches       int
	Reasons       []string // the first MaxReasons reasons for rejections
	Notes         []string // the first MaxReasons reasons for skips
	Ignored       []string // inputs left alone (files of a folder that no reader takes)
	rejected      int
	skipped       int
	Elapsed       time.Duration
}

// Total adds up the collections.
func (s *Summary) Total() Counts {
	var t Counts
	for _, c := range s.Collections {
		t.Inserted += c.Inserted
		t.Updated += c.Updated
		t.Unchanged += c.Unchanged
		t.Rejected += c.Rejected
		t.Skipped += c.Skipped
	}
	t.Skipped += s.Skipped
	return t
}

func (s *Summary) coll(name string) *Counts {
	if s.Collections == nil {
		s.Collections = map[string]*Counts{}
	}
	c := s.Collections[name]
	if c == nil {
		c = &Counts{}
		s.Collections[name] = c
	}
	return c
}

// pipeline seals items with a pool of workers, uploads their blobs first,
// then sends records in batches, and records what the server acknowledged
// in the state file.
type pipeline struct {
	v          *vault
	st         *state.State
	bar        *progress.Bar
	region     string
	batchSize  int
	batchBytes int
	inFlight   int // batches sent and not yet answered, at most
	workers    int
	force      bool
	maxReasons int
	afterBatch func(int)

	mu  sync.Mutex
	sum Summary
}

// sink is what producers (the source readers, the migrator) send to.
type sink struct {
	p    *pipeline
	ctx  context.Context
	work chan<- *item
}

// digest is the keyed digest of what an item's stored form depends on.
func (p *pipeline) digest(it *item) state.Digest {
	fields, _ := json.Marshal(it.fields)
	blob := ""
	if it.blob != nil {
		blob = it.blob.sha256
	}
	return p.st.Digest([]byte("record"), []byte(it.coll), []byte(it.id), fields, []byte(p.region), []byte(blob))
}

func blobDigest(st *state.State, b *blobSource) state.Digest {
	return st.Digest([]byte("blob"), []byte(b.id), []byte(b.sha256))
}

// add sends an item on, unless the state says the server has it already.
func (s sink) add(it *item) error {
	p := s.p
	it.digest = p.digest(it)
	if !p.force {
		if d, ok := p.st.Record(it.coll, it.id); ok && d == it.digest {
			p.mu.Lock()
			p.sum.coll(it.coll).Unchanged++
			p.mu.Unlock()
			p.bar.Add(1, 0)
			return nil
		}
	}
	select {
	case s.work <- it:
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// reject counts a rejected item of coll ("" if not known) with its reason,
// which must name no field value.
func (s sink) reject(coll, reason string) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if coll != "" {
		s.p.sum.coll(coll).Rejected++
	}
	s.p.sum.rejected++
	if len(s.p.sum.Reasons) < s.p.maxReasons {
		s.p.sum.Reasons = append(s.p.sum.Reasons, reason)
	}
}

// skip counts an item no collection takes.
func (s sink) skip(coll, reason string) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if coll != "" {
		s.p.sum.coll(coll).Skipped++
	} else {
		s.p.sum.Skipped++
	}
	s.p.sum.skipped++
	if len(s.p.sum.Notes) < s.p.maxReasons {
		s.p.sum.Notes = append(s.p.sum.Notes, reason)
	}
}

// sealed is an item ready to send.
type sealed struct {
	it  *item
	raw json.RawMessage
}

// run feeds produce's items through the pipeline. It returns when every
// item is acknowledged or rejected, or on the first error that stops the
// import (the context's, a server that refuses every batch).
func (p *pipeline) run(ctx context.Context, produce func(sink) error) (*Summary, error) {
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan *item, 2*p.workers)
	out := make(chan sealed, 2*p.workers)

	var wg sync.WaitGroup
	for range p.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.worker(ctx, work, out, sink{p: p, ctx: ctx})
		}()
	}
	batchErr := make(chan error, 1)
	go func() { batchErr <- p.batcher(ctx, out, cancel) }()

	perr := produce(sink{p: p, ctx: ctx, work: work})
	close(work)
	wg.Wait()
	close(out)
	berr := <-batchErr
	p.bar.Done()
	p.sum.Elapsed = time.Since(start)
	sum := p.sum
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return &sum, cause
	}
	if berr != nil {
		return &sum, berr
	}
	if perr != nil {
		return &sum, perr
	}
	return &sum, ctx.Err()
}

func (p *pipeline) worker(ctx context.Context, in <-chan *item, out chan<- sealed, s sink) {
	schemas := map[string]api.Schema{}
	for it := range in {
		if ctx.Err() != nil {
			continue // drain
		}
		if it.blob != nil {
			if err := p.uploadBlob(ctx, it); err != nil {
				if ctx.Err() != nil {
					continue
				}
				s.reject(it.coll, fmt.Sprintf("%s: %s %s: file upload failed: %v", it.origin, it.coll, it.id, err))
				p.bar.Add(1, 0)
				continue
			}
		}
		sc, ok := schemas[it.coll]
		if !ok {
			sc, ok = zkvault.Schema(it.coll)
			if !ok {
				s.reject(it.coll, fmt.Sprintf("%s: unknown collection %s", it.origin, it.coll))
				continue
			}
			schemas[it.coll] = sc
		}
		rec, err := p.v.space.SealRecord(ctx, sc, it.id, it.fields, zkvault.RecordOptions{Region: p.region})
		if err != nil {
			s.reject(it.coll, fmt.Sprintf("%s: %s %s: %v", it.origin, it.coll, it.id, err))
			p.bar.Add(1, 0)
			continue
		}
		raw, err := json.Marshal(rec)
		if err != nil {
			s.reject(it.coll, fmt.Sprintf("%s: %s %s: %v", it.origin, it.coll, it.id, err))
			continue
		}
		select {
		case out <- sealed{it, raw}:
		case <-ctx.Done():
		}
	}
}

// uploadBlob encrypts the item's file as it streams to the server,
// unless the state says the server has it.
func (p *pipeline) uploadBlob(ctx context.Context, it *item) error {
	b := it.blob
	d := blobDigest(p.st, b)
	if !p.force {
		if got, ok := p.st.Blob(b.id); ok && got == d {
			p.mu.Lock()
			p.sum.BlobsKnown++
			p.mu.Unlock()
			return nil
		}
	}
	if err := client.Retry(ctx, 6, func() error { return p.putBlob(ctx, it) }); err != nil {
		return err
	}
	if err := p.st.AddBlob(b.id, d); err != nil {
		return err
	}
	p.mu.Lock()
	p.sum.BlobsUploaded++
	p.sum.BlobBytes += b.size
	p.mu.Unlock()
	p.bar.Add(0, b.size)
	return nil
}

// errChanged reports a file that changed between reading and upload.
var errChanged = errors.New("the file changed while it was imported; import it again")

func (p *pipeline) putBlob(ctx context.Context, it *item) error {
	b := it.blob
	f, err := b.open()
	if err != nil {
		return err
	}
	defer f.Close()
	pr, pw := io.Pipe()
	go func() {
		h := sha256.New()
		w, err := p.v.space.EncryptBlob(ctx, b.id, pw)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		if _, err := io.Copy(w, io.TeeReader(f, hashWriter{h})); err != nil {
			pw.CloseWithError(err)
			return
		}
		if hex.EncodeToString(h.Sum(nil)) != b.sha256 {
			// Do not write the final chunk: the server sees a cut
			// stream and stores nothing.
			pw.CloseWithError(errChanged)
			return
		}
		pw.CloseWithError(w.Close())
	}()
	_, err = p.v.cl.PutBlob(ctx, p.v.id, b.id, it.coll, it.id, pr)
	pr.CloseWithError(errors.New("upload ended"))
	return err
}

type hashWriter struct{ h hash.Hash }

func (w hashWriter) Write(b []byte) (int, error) { return w.h.Write(b) }

// batcher groups sealed records per collection and sends a batch when it
// reaches batchSize records or batchBytes bytes, and the rest at the end.
// Up to inFlight batches are sent at once (the server prepares one while it
// commits another, and commits those that arrive together in one
// transaction); each is recorded in the state file when the server
// acknowledges it. The server applies concurrent batches in the order they
// arrive, not the order they were sent, so a batch holding a record that is
// in a batch still in flight waits for that batch's answer: the last
// version of a record read is the one stored, as with one batch at a time.
func (p *pipeline) batcher(ctx context.Context, in <-chan sealed, cancel context.CancelCauseFunc) error {
	type pending struct {
		items []sealed
		bytes int
	}
	byColl := map[string]*pending{}
	var (
		mu       sync.Mutex
		answered = sync.NewCond(&mu) // a batch in flight was answered
		failed   error
		inFlight int
		busy     = map[string]int{} // collection NUL id: batches in flight that hold it
		wg       sync.WaitGroup
	)
	limit := max(1, p.inFlight)
	stopped := func() bool { return failed != nil || ctx.Err() != nil } // mu held
	flush := func(coll string) {
		b := byColl[coll]
		if b == nil || len(b.items) == 0 {
			return
		}
		items := b.items
		b.items, b.bytes = nil, 0
		keys := make([]string, len(items))
		for i, s := range items {
			keys[i] = coll + "\x00" + s.it.id
		}
		mu.Lock()
		defer mu.Unlock()
		for !stopped() && (inFlight >= limit || slices.ContainsFunc(keys, func(k string) bool { return busy[k] > 0 })) {
			answered.Wait()
		}
		if stopped() {
			return
		}
		inFlight++
		for _, k := range keys {
			busy[k]++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.send(ctx, coll, items)
			mu.Lock()
			defer mu.Unlock()
			inFlight--
			for _, k := range keys {
				if busy[k]--; busy[k] == 0 {
					delete(busy, k)
				}
			}
			if err != nil && failed == nil {
				failed = err
				cancel(err)
			}
			answered.Broadcast()
		}()
	}
	for s := range in {
		mu.Lock()
		stop := stopped()
		mu.Unlock()
		if stop {
			continue // drain
		}
		b := byColl[s.it.coll]
		if b == nil {
			b = &pending{}
			byColl[s.it.coll] = b
		}
		if len(b.items) > 0 && b.bytes+len(s.raw) > p.batchBytes {
			flush(s.it.coll)
		}
		b.items = append(b.items, s)
		b.bytes += len(s.raw) + 1
		if len(b.items) >= p.batchSize {
			flush(s.it.coll)
		}
	}
	colls := make([]string, 0, len(byColl))
	for c := range byColl {
		colls = append(colls, c)
	}
	sort.Strings(colls)
	for _, c := range colls {
		flush(c)
	}
	wg.Wait()
	return failed
}

// send posts one batch (retrying what may pass later) and records the
// outcome.
func (p *pipeline) send(ctx context.Context, coll string, items []sealed) error {
	raws := make([]json.RawMessage, len(items))
	for i, s := range items {
		raws[i] = s.raw
	}
	var res client.UpsertResult
	err := client.Retry(ctx, 6, func() error {
		var err error
		res, err = p.v.cl.Upsert(ctx, p.v.id, coll, raws)
		return err
	})
	if err != nil {
		return fmt.Errorf("sending %d %s records: %w", len(items), coll, err)
	}
	bad := map[int]client.ItemError{}
	for _, e := range res.Errors {
		bad[e.Index] = e
	}
	acked := make([]state.Entry, 0, len(items))
	s := sink{p: p, ctx: ctx}
	for i, it := range items {
		if e, ok := bad[i]; ok {
			s.reject(coll, fmt.Sprintf("%s: %s %s: refused by the server: %s: %s", it.it.origin, coll, it.it.id, e.Code, e.Message))
			continue
		}
		acked = append(acked, state.Entry{ID: it.it.id, Digest: it.it.digest})
	}
	if err := p.st.AddRecords(coll, acked); err != nil {
		return err
	}
	p.mu.Lock()
	c := p.sum.coll(coll)
	c.Inserted += res.Inserted
	c.Updated += res.Updated
	c.Unchanged += res.Unchanged
	p.sum.Batches++
	n := p.sum.Batches
	p.mu.Unlock()
	p.bar.Add(int64(len(items)), 0)
	if p.afterBatch != nil {
		p.afterBatch(n)
	}
	return nil
}

// print writes the summary table and the first reasons.
func (s *Summary) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "collection\tinserted\tupdated\tunchanged\trejected\tskipped\t\n")
	names := make([]string, 0, len(s.Collections))
	for n := range s.Collections {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		c := s.Collections[n]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", n, c.Inserted, c.Updated, c.Unchanged, c.Rejected, c.Skipped)
	}
	t := s.Total()
	if s.Skipped > 0 {
		fmt.Fprintf(tw, "(other)\t\t\t\t\t%d\t\n", s.Skipped)
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t\n", t.Inserted, t.Updated, t.Unchanged, t.Rejected, t.Skipped)
	tw.Flush()
	fmt.Fprintf(w, "files: %d uploaded (%s), %d already on the server; %d batches in %s\n",
		s.BlobsUploaded, progress.Bytes(s.BlobBytes), s.BlobsKnown, s.Batches, s.Elapsed.Round(time.Millisecond))
	if len(s.Reasons) > 0 {
		fmt.Fprintf(w, "rejected (%d", s.rejected)
		if s.rejected > len(s.Reasons) {
			fmt.Fprintf(w, ", first %d shown", len(s.Reasons))
		}
		fmt.Fprintln(w, "):")
		for _, r := range s.Reasons {
			fmt.Fprintln(w, "  "+r)
		}
	}
	if len(s.Ignored) > 0 {
		fmt.Fprintln(w, "left alone:")
		for _, r := range s.Ignored {
			fmt.Fprintln(w, "  "+r)
		}
	}
	if len(s.Notes) > 0 {
		fmt.Fprintf(w, "skipped (%d", s.skipped)
		if s.skipped > len(s.Notes) {
			fmt.Fprintf(w, ", first %d shown", len(s.Notes))
		}
		fmt.Fprintln(w, "):")
		for _, r := range s.Notes {
			fmt.Fprintln(w, "  "+r)
		}
	}
}

// bytesSource is a blob held in memory (the migrator's decrypted images).
func bytesSource(field, id string, data []byte) *blobSource {
	sum := sha256.Sum256(data)
	return &blobSource{field: field, id: id, size: int64(len(data)), sha256: hex.EncodeToString(sum[:]),
		open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// defaultInFlight is the number of batches the pipeline keeps in flight:
// with more than one, the server prepares a batch while it commits
// another, and batches that arrive together share a commit (server
// BenchmarkIngestHTTP posts as many).
const defaultInFlight = 3

// defaultWorkers is the size of the sealing pool.
func defaultWorkers() int { return max(2, runtime.NumCPU()) }
