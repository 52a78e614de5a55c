package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/zkvault/zkvault/server/store/boltstore"
)

// progress shows how far a backup or a restore is on stderr, as the ingest
// client does: one line redrawn in place on a terminal, else a plain line
// every few seconds (nothing for a short run).
type progress struct {
	w     io.Writer
	tty   bool
	label string
	start time.Time
	last  time.Time
	every time.Duration
	drawn bool
	p     boltstore.Progress
}

func newProgress(w io.Writer, label string) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		fi, err := f.Stat()
		tty = err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
	every := 5 * time.Second
	if tty {
		every = 200 * time.Millisecond
	}
	now := time.Now()
	return &progress{w: w, tty: tty, label: label, start: now, last: now, every: every}
}

func (p *progress) update(pr boltstore.Progress) {
	p.p = pr
	if now := time.Now(); now.Sub(p.last) >= p.every {
		p.last = now
		p.draw()
	}
}

func (p *progress) draw() {
	pr := p.p
	s := p.label + ": " + byteSize(pr.Bytes)
	if pr.TotalBytes > 0 {
		s += fmt.Sprintf(" of %s (%d%%)", byteSize(pr.TotalBytes), pr.Bytes*100/pr.TotalBytes)
	}
	if pr.TotalBlobs > 0 {
		s += fmt.Sprintf(", %d of %d blobs", pr.Blobs, pr.TotalBlobs)
	}
	if sec := time.Since(p.start).Seconds(); sec > 0 {
		s += fmt.Sprintf(", %s/s", byteSize(int64(float64(pr.Bytes)/sec)))
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\033[K", s)
	} else {
		fmt.Fprintln(p.w, s)
	}
	p.drawn = true
}

// done ends the display: a last line if any was drawn.
func (p *progress) done() {
	if !p.drawn {
		return
	}
	p.draw()
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

// byteSize formats n bytes in binary units.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}
