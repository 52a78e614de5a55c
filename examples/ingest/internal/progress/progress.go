// Package progress draws the ingest client's progress on a terminal (one
// line redrawn in place) or, when the output is not a terminal, as plain
// lines every few seconds: items and bytes done, the rate, and the time
// left when the totals are known.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// Bar is a progress display. The zero value is not usable; use New. A nil
// *Bar does nothing.
type Bar struct {
	mu         sync.Mutex
	w          io.Writer
	tty        bool
	label      string
	items      int64
	totalItems int64
	bytes      int64
	totalBytes int64
	start      time.Time
	last       time.Time
	every      time.Duration
	drawn      bool
	now        func() time.Time
}

// New returns a bar writing to w; tty selects in-place redrawing.
func New(w io.Writer, tty bool, label string) *Bar {
	every := 2 * time.Second
	if tty {
		every = 100 * time.Millisecond
	}
	n := time.Now()
	return &Bar{w: w, tty: tty, label: label, start: n, last: n, every: every, now: time.Now}
}

// SetTotal sets the totals (0: unknown).
func (b *Bar) SetTotal(items, bytes int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.totalItems, b.totalBytes = items, bytes
	b.mu.Unlock()
}

// Add counts items and bytes done, and redraws if it is time.
func (b *Bar) Add(items, bytes int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.items += items
	b.bytes += bytes
	if t := b.now(); t.Sub(b.last) >= b.every {
		b.last = t
		b.draw(false)
	}
}

// Done draws the final state and ends the line.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.draw(true)
}

func (b *Bar) draw(final bool) {
	el := b.now().Sub(b.start).Seconds()
	var s strings.Builder
	s.WriteString(b.label)
	s.WriteString(" ")
	if b.totalItems > 0 {
		pct := 100 * float64(b.items) / float64(b.totalItems)
		if b.tty {
			const width = 24
			n := min(width, int(float64(width)*float64(b.items)/float64(b.totalItems)))
			s.WriteString("[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "] ")
		}
		fmt.Fprintf(&s, "%d/%d items (%.0f%%)", b.items, b.totalItems, pct)
	} else {
		fmt.Fprintf(&s, "%d items", b.items)
	}
	if b.totalBytes > 0 {
		fmt.Fprintf(&s, ", %s/%s", Bytes(b.bytes), Bytes(b.totalBytes))
	} else if b.bytes > 0 {
		fmt.Fprintf(&s, ", %s", Bytes(b.bytes))
	}
	if el > 0.2 {
		fmt.Fprintf(&s, ", %.0f items/s", float64(b.items)/el)
		if b.bytes > 0 {
			fmt.Fprintf(&s, " %s/s", Bytes(int64(float64(b.bytes)/el)))
		}
		if !final && b.totalItems > 0 && b.items > 0 && b.items < b.totalItems {
			left := time.Duration(el * float64(b.totalItems-b.items) / float64(b.items) * float64(time.Second))
			fmt.Fprintf(&s, ", ETA %s", left.Round(time.Second))
		}
	}
	if final {
		fmt.Fprintf(&s, " in %s", time.Duration(el*float64(time.Second)).Round(10*time.Millisecond))
	}
	if b.tty {
		fmt.Fprint(b.w, "\r\033[K"+s.String())
		b.drawn = true
		if final {
			fmt.Fprintln(b.w)
			b.drawn = false
		}
		return
	}
	fmt.Fprintln(b.w, s.String())
}

// Bytes formats a byte count for humans.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
