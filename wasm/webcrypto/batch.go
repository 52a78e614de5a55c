//go:build js && wasm

// Batches of AES-256-GCM openings split between two engines: WebCrypto,
// through one call of a JavaScript helper (the JS package's
// src/fieldcrypto.js openBatch) that starts every decryption of its share
// at once, and a Go AEAD that opens the rest in the module meanwhile.
//
// # Format
//
// The helper's input, built by the module in one buffer and copied out
// once: per message the nonce (12 bytes), ciphertext || tag and associated
// data, back to back, and per message two u32 little-endian, the
// ciphertext's length (tag included) and the associated data's. Its
// result, copied in once: a status byte per message (1 opened, 0 failed),
// then the plaintexts back to back (ciphertext length − 16 bytes each).
//
// # Security
//
// Only ciphertexts, nonces and associated data go out; plaintexts come back
// in one buffer, which the helper and the module zero once copied. The key
// is the AEAD's non-extractable CryptoKey; the helper may clone it into a
// worker of its own, which drops its clones when ForgetBatchKeys is called.
// A message that fails on either engine is prim.ErrDecrypt and nothing
// more, whichever engine opened it.

package webcrypto

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/prim"
)

var helperCalls atomic.Int64

// BatchHelperCalls is how many batches the helper has been given (tests
// check that a batch took it).
func BatchHelperCalls() int64 { return helperCalls.Load() }

var batchHelper struct {
	sync.Mutex
	fn     safejs.Value
	ok     bool
	forget safejs.Value // undefined, or a function
}

// SetBatchHelper installs the JavaScript function that opens a share of a
// batch with WebCrypto (the JS package's openBatch, fieldcrypto.js), and
// forget, undefined or a function that drops every CryptoKey the helper
// passed on (fieldcrypto.js forgetKeys: its worker's copies). Without it,
// OpenBatch opens everything with the Go AEAD.
func SetBatchHelper(fn, forget safejs.Value) error {
	if fn.Type() != safejs.TypeFunction {
		return errors.New("webcrypto: batch helper is not a function")
	}
	if t := forget.Type(); t != safejs.TypeFunction && t != safejs.TypeUndefined {
		return errors.New("webcrypto: batch helper's forget is not a function")
	}
	batchHelper.Lock()
	defer batchHelper.Unlock()
	batchHelper.fn, batchHelper.ok, batchHelper.forget = fn, true, forget
	return nil
}

// ForgetBatchKeys tells the batch helper to drop every CryptoKey it passed
// on (the module calls it when a space is forgotten). Keys still in use are
// passed on again with their next batch.
func ForgetBatchKeys() {
	batchHelper.Lock()
	f := batchHelper.forget
	batchHelper.Unlock()
	if f.Type() == safejs.TypeFunction {
		_, _ = f.Invoke()
	}
}

func helper() (safejs.Value, bool) {
	batchHelper.Lock()
	defer batchHelper.Unlock()
	return batchHelper.fn, batchHelper.ok
}

// SplitMinBatch is the smallest batch OpenBatch shares with WebCrypto;
// smaller ones stay in Go, where a single message is cheaper.
const SplitMinBatch = 32

// Split decides the share of a batch that WebCrypto opens. It starts at 60 %
// and then follows what the previous batches measured, per message:
//
//	g  Go's time (the module's thread)
//	c  the helper call's time (the module's thread: starting the
//	   decryptions, and the decryptions themselves where WebCrypto runs them
//	   on the calling thread, as Chromium does)
//	w  the wait for WebCrypto's results after Go's share: taking in the
//	   results (the thread's work), and idle time if WebCrypto was not done
//
// The least w seen is the cost of taking in results. A wait near it means
// WebCrypto was done when Go was: the engines did not overlap, or WebCrypto
// could take more. Then the share moves by a tenth towards the engine that
// costs the thread less per message (c + w against g): on a browser that
// runs WebCrypto on the calling thread that is WebCrypto, all the way. A
// longer wait means WebCrypto ran off the thread and was the slower (Node:
// its thread pool): the share is set where both would finish together,
// s = g / (g + x − c), x = (call + Go + wait) / WebCrypto's messages being
// WebCrypto's time per message.
//
// A helper that hands part of its share to a worker of its own (the JS
// package does where it can start one) balances that worker against the
// module's thread itself and says so in its result; then the wait is the
// worker's, and what counts is what each engine costs the module's thread
// per message, c against g: when WebCrypto costs less (Chromium), the
// helper gets the whole batch at once and Go opens nothing; else the share
// moves by a tenth towards Go.
//
// A Split is safe for concurrent use.
type Split struct {
	mu        sync.Mutex
	fixed     bool
	share     float64
	g         float64 // seconds per message, 0 until measured
	waitLeast float64
}

// NewSplit returns the adaptive policy described on Split.
func NewSplit() *Split { return &Split{share: 0.6} }

// FixedSplit returns a policy that always gives WebCrypto the share s
// (0…1) of a batch of at least SplitMinBatch messages (tests).
func FixedSplit(s float64) *Split { return &Split{fixed: true, share: min(max(s, 0), 1)} }

// Share returns the share of a batch WebCrypto gets now.
func (p *Split) Share() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.share
}

// record updates the policy after a batch: nw messages to WebCrypto, ng to
// Go; call, goTime, wait: the helper call, Go's share and the wait for
// WebCrypto after it; balanced: the helper shared its part with a thread of
// its own and balanced the two itself.
func (p *Split) record(nw, ng int, call, goTime, wait time.Duration, balanced bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fixed || nw < SplitMinBatch/2 {
		return
	}
	if ng >= SplitMinBatch/2 {
		g := goTime.Seconds() / float64(ng)
		if p.g == 0 {
			p.g = g
		}
		p.g = (p.g + g) / 2
	}
	w := wait.Seconds() / float64(nw)
	if p.waitLeast == 0 || w < p.waitLeast {
		p.waitLeast = w
	}
	if p.g == 0 {
		return
	}
	c := call.Seconds() / float64(nw)
	const step = 0.1
	switch {
	case balanced && c < p.g:
		// The wait is the helper's worker, which it balances against
		// this thread itself: what counts is what each engine costs this
		// thread per message, and here Go costs more. The helper adapts
		// to whatever it is given, so all of it goes there at once.
		p.share = 1
	case balanced:
		p.share -= step
	case w <= 1.5*p.waitLeast+0.002/float64(nw) && c+w < p.g:
		p.share += step
	case w <= 1.5*p.waitLeast+0.002/float64(nw):
		p.share -= step
	default:
		x := (call + goTime + wait).Seconds() / float64(nw)
		p.share = p.g / (p.g + x - c)
	}
	p.share = min(max(p.share, 0.05), 1)
}

// OpenBatch opens items as prim.BatchOpener does: a share of them (chosen by
// split) with WebCrypto under web, an AEAD of this provider, all in flight
// through the batch helper, and the rest with native, in Go, meanwhile.
// Without the helper, for fewer than SplitMinBatch items, or if web is not
// this provider's, native opens everything. Each item's outcome is what
// native's Open would give.
func OpenBatch(ctx context.Context, web, native prim.AEAD, items []prim.BatchItem, split *Split) {
	w, isWeb := web.(*aead)
	fn, ok := helper()
	nw := 0
	if isWeb && ok && len(items) >= SplitMinBatch {
		nw = int(split.Share()*float64(len(items)) + 0.5)
	}
	if nw < SplitMinBatch/2 {
		nw = 0
	}
	for i := range items[:nw] {
		it := &items[i]
		if len(it.Nonce) != prim.GCMNonceSize || len(it.Ciphertext) < prim.GCMTagSize {
			// Never sent: fails as Open fails. (The core sends none.)
			nw = 0
			break
		}
	}
	start := time.Now()
	var pending safejs.Value
	if nw > 0 {
		var err error
		if pending, err = w.startBatch(fn, items[:nw]); err != nil {
			nw = 0 // the helper failed to start: Go opens everything
		}
	}
	called := time.Now()
	for i := nw; i < len(items); i++ {
		it := &items[i]
		it.Plaintext, it.Err = native.Open(ctx, it.Nonce, it.Ciphertext, it.AdditionalData)
	}
	if nw == 0 {
		return
	}
	opened := time.Now()
	threads, err := w.finishBatch(ctx, pending, items[:nw])
	if err != nil {
		for i := range items[:nw] {
			it := &items[i]
			if ctx.Err() != nil {
				it.Plaintext, it.Err = nil, ctx.Err()
				continue
			}
			// The helper failed: Go opens its share after all.
			it.Plaintext, it.Err = native.Open(ctx, it.Nonce, it.Ciphertext, it.AdditionalData)
		}
		return
	}
	split.record(nw, len(items)-nw, called.Sub(start), opened.Sub(called), time.Since(opened), threads > 1)
}

// startBatch copies the share's messages into one Uint8Array and calls the
// helper, which returns a promise of the results.
func (a *aead) startBatch(fn safejs.Value, items []prim.BatchItem) (safejs.Value, error) {
	size := 0
	for _, it := range items {
		size += prim.GCMNonceSize + len(it.Ciphertext) + len(it.AdditionalData)
	}
	buf := make([]byte, 0, size)
	lens := make([]byte, 8*len(items))
	for i, it := range items {
		buf = append(append(append(buf, it.Nonce...), it.Ciphertext...), it.AdditionalData...)
		binary.LittleEndian.PutUint32(lens[8*i:], uint32(len(it.Ciphertext)))
		binary.LittleEndian.PutUint32(lens[8*i+4:], uint32(len(it.AdditionalData)))
	}
	jb, err := a.env.bytes(buf)
	if err != nil {
		return safejs.Value{}, err
	}
	jl, err := a.env.bytes(lens)
	if err != nil {
		return safejs.Value{}, err
	}
	helperCalls.Add(1)
	return fn.Invoke(a.key, jb, jl, len(items))
}

// finishBatch awaits the helper's promise and fills in the share's results.
// It returns how many threads the helper used: the result's "threads", 1
// when it has none (2: the helper balanced its share between the module's
// thread and a worker of its own).
func (a *aead) finishBatch(ctx context.Context, pending safejs.Value, items []prim.BatchItem) (threads int, err error) {
	res, err := await(ctx, "decrypt", pending)
	if err != nil {
		return 0, err
	}
	threads = 1
	if t, err := res.Get("threads"); err == nil && t.Type() == safejs.TypeNumber {
		if n, err := t.Int(); err == nil && n > 1 {
			threads = n
		}
	}
	out, err := a.env.goBytes(res, true)
	if err != nil {
		return 0, err
	}
	want := len(items)
	for _, it := range items {
		want += len(it.Ciphertext) - prim.GCMTagSize
	}
	if len(out) != want {
		clear(out)
		return 0, errors.New("webcrypto: batch helper returned a result of the wrong size")
	}
	status, plain := out[:len(items)], out[len(items):]
	for i := range items {
		it := &items[i]
		n := len(it.Ciphertext) - prim.GCMTagSize
		p := plain[:n:n]
		plain = plain[n:]
		if status[i] != 1 {
			it.Plaintext, it.Err = nil, prim.ErrDecrypt
			continue
		}
		it.Plaintext, it.Err = p, nil
	}
	return threads, nil
}

// OpenBatch opens every item with WebCrypto (the provider's AEAD is a
// prim.BatchOpener): through the batch helper, all in flight, when it is
// installed and the batch has at least SplitMinBatch items, else one by one.
func (a *aead) OpenBatch(ctx context.Context, items []prim.BatchItem) {
	OpenBatch(ctx, a, a, items, allWebCrypto)
}

var allWebCrypto = FixedSplit(1)

var _ prim.BatchOpener = (*aead)(nil)
