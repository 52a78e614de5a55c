package stream

import (
	"bytes"
	"context"

	"io"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestMemoryBounded streams a large blob through a writer, an io.Pipe and a
// reader, and checks that the heap in use never grows past a bound that does
// not depend on the blob's size, and that allocation per byte stays constant.
// It measures bytes, not time.
func TestMemoryBounded(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() {
		size = 64 << 20
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const cs = DefaultChunkSize
	aead := newAEAD(t, testKey(1))
	h := testHeader(cs)
	src := pattern(1<<20, 1)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()

	pr, pw := io.Pipe()
	werr := make(chan error, 1)
	go func() {
		w, err := NewWriter(context.Background(), aead, h, pw)
		if err != nil {
			pw.CloseWithError(err)
			werr <- err
			return
		}
		for n := int64(0); n < size; n += int64(len(src)) {
			if _, err := w.Write(src); err != nil {
				pw.CloseWithError(err)
				werr <- err
				return
			}
		}
		err = w.Close()
		pw.CloseWithError(err)
		werr <- err
	}()

	h2, _, err := ReadHeader(pr)
	if err != nil {
		t.Fatal(err)
	}
	sink := &checkingSink{want: src}
	n, err := io.Copy(sink, NewReader(context.Background(), aead, h2, pr))
	if err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if n != size || sink.bad {
		t.Fatalf("read %d bytes (mismatch %v), want %d", n, sink.bad, size)
	}

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	peak := sink.peak - before.HeapInuse
	perByte := float64(after.TotalAlloc-before.TotalAlloc) / float64(size)
	t.Logf("%d MiB: peak heap in use +%.1f MiB over %d samples, %.2f bytes allocated per plaintext byte",
		size>>20, float64(peak)/(1<<20), sink.samples, perByte)
	// The pipeline holds about 2 × DefaultConcurrency chunks on each side;
	// with garbage awaiting collection, a few MiB. A reader or writer that
	// kept the stream would need hundreds.
	const limit = 512 * cs // 32 MiB
	if sink.peak > before.HeapInuse && peak > limit {
		t.Errorf("heap in use grew by %d MiB streaming %d MiB, limit %d MiB", peak>>20, size>>20, limit>>20)
	}
	// Each byte is allocated about twice (the sealed chunk, the opened chunk).
	if perByte > 4 {
		t.Errorf("%.2f bytes allocated per plaintext byte, want at most 4", perByte)
	}
	// Chunk goroutines end with their chunk.
	if g := runtime.NumGoroutine(); g > goroutines+1 {
		t.Errorf("%d goroutines after streaming, %d before", g, goroutines)
	}
}

// checkingSink compares what it is given with want repeated, and samples
// the heap every 4 MiB.
type checkingSink struct {
	want    []byte
	off     int
	next    int64
	total   int64
	peak    uint64
	samples int
	bad     bool
}

func (s *checkingSink) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), len(s.want)-s.off)
		if !bytes.Equal(p[:k], s.want[s.off:s.off+k]) {
			s.bad = true
		}
		s.off = (s.off + k) % len(s.want)
		p = p[k:]
	}
	s.total += int64(n)
	if s.total >= s.next {
		s.next += 4 << 20
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		s.peak = max(s.peak, m.HeapInuse)
		s.samples++
	}
	return n, nil
}
