// Command wasmdata rewrites the data section of a WebAssembly module built by
// Go so that it compresses better: usage `go run ./internal/wasmdata IN OUT`.
//
// Go's linker (cmd/link/internal/wasm, writeDataSec) starts a new active data
// segment at every run of 8 or more zero bytes, so that the zeros are not
// stored: for zkvault.wasm that is about 60,000 segments, each with its own
// offset and length. Those headers are all different and compress badly;
// the zeros they save compress to almost nothing. This command merges
// segments whose gap is at most maxGap bytes, writing the gap's zeros
// explicitly. (About 65 KB less brotli for zkvault.wasm; the module grows
// raw.) It also drops the runtime's file and line tables (lines.go): about
// 75 KB brotli more.
//
// Apart from the line tables, the result sets exactly the same bytes of
// linear memory at instantiation:
// a gap is memory the module's other segments do not write, which a new
// memory holds as zero, and the merged segment writes zero there. Every
// other section is copied byte for byte. The command refuses anything other
// than what Go's linker writes (MVP active segments for memory 0 with an
// i32.const offset, not overlapping).
package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
)

// maxGap is the longest run of zeros written out rather than left to a new
// segment. Beyond about 128 the brotli size no longer falls; 4096 keeps the
// large zero areas (the end of the data, the BSS-like tails, the dropped
// line tables) out of the module.
const maxGap = 4096

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: wasmdata IN OUT")
		os.Exit(2)
	}
	in, err := os.ReadFile(os.Args[1])
	if err == nil {
		var out []byte
		out, err = rewrite(in, maxGap, true)
		if err == nil {
			err = os.WriteFile(os.Args[2], out, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmdata:", err)
		os.Exit(1)
	}
}

// segment is one active data segment: data written at offset.
type segment struct {
	offset uint32
	data   []byte
}

const dataSectionID = 11

var errFormat = errors.New("not a module as Go's linker writes it")

// rewrite returns the module with its data section's segments merged across
// gaps of at most maxGap zero bytes, and every other section unchanged.
// With strip, the data section's line tables are dropped first
// (stripLines).
func rewrite(mod []byte, maxGap uint32, strip bool) ([]byte, error) {
	if len(mod) < 8 || !bytes.Equal(mod[:8], []byte("\x00asm\x01\x00\x00\x00")) {
		return nil, fmt.Errorf("%w: no WebAssembly 1 header", errFormat)
	}
	out := append([]byte(nil), mod[:8]...)
	seen := false
	for i := 8; i < len(mod); {
		id := mod[i]
		size, n, err := uleb(mod[i+1:])
		if err != nil || uint64(len(mod)-i-1-n) < uint64(size) {
			return nil, fmt.Errorf("%w: section at %d runs past the end", errFormat, i)
		}
		body := mod[i+1+n : i+1+n+int(size)]
		next := i + 1 + n + int(size)
		if id != dataSectionID {
			out = append(out, mod[i:next]...)
			i = next
			continue
		}
		if seen {
			return nil, fmt.Errorf("%w: two data sections", errFormat)
		}
		seen = true
		segs, err := parseData(body)
		if err != nil {
			return nil, err
		}
		if strip {
			segs, err = stripSegments(segs)
			if err != nil {
				return nil, err
			}
		}
		nb := encodeData(merge(segs, maxGap))
		out = append(out, dataSectionID)
		out = appendUleb(out, uint32(len(nb)))
		out = append(out, nb...)
		i = next
	}
	return out, nil
}

// parseData parses a data section's body: a count, then per segment the
// flag 0 (active, memory 0), i32.const OFFSET end, a length and the bytes.
func parseData(b []byte) ([]segment, error) {
	count, n, err := uleb(b)
	if err != nil {
		return nil, fmt.Errorf("%w: data count", errFormat)
	}
	b = b[n:]
	segs := make([]segment, 0, min(count, uint32(len(b))))
	for k := uint32(0); k < count; k++ {
		if len(b) < 2 || b[0] != 0 || b[1] != 0x41 {
			return nil, fmt.Errorf("%w: data segment %d is not active with an i32.const offset", errFormat, k)
		}
		off, n, err := sleb32(b[2:])
		if err != nil || len(b) < 3+n || b[2+n] != 0x0b || off < 0 {
			return nil, fmt.Errorf("%w: data segment %d offset", errFormat, k)
		}
		b = b[3+n:]
		l, n, err := uleb(b)
		if err != nil || uint64(len(b)-n) < uint64(l) {
			return nil, fmt.Errorf("%w: data segment %d length", errFormat, k)
		}
		if uint64(off)+uint64(l) > 1<<32 {
			return nil, fmt.Errorf("%w: data segment %d past 4 GiB", errFormat, k)
		}
		segs = append(segs, segment{uint32(off), b[n : n+int(l)]})
		b = b[n+int(l):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: bytes after the last data segment", errFormat)
	}
	// Go writes one section's segments after another's, not in address
	// order. Segments that do not overlap write the same memory in any
	// order; overlapping ones (which Go never writes) are refused.
	slices.SortStableFunc(segs, func(a, b segment) int { return cmp.Compare(a.offset, b.offset) })
	for k := 1; k < len(segs); k++ {
		if uint64(segs[k-1].offset)+uint64(len(segs[k-1].data)) > uint64(segs[k].offset) {
			return nil, fmt.Errorf("%w: data segments overlap at %#x", errFormat, segs[k].offset)
		}
	}
	return segs, nil
}

// stripSegments applies stripLines to the memory the segments write and
// returns that memory as segments again, split at every run of zeros
// longer than 8 bytes (merge then joins what is worth joining).
func stripSegments(segs []segment) ([]segment, error) {
	if len(segs) == 0 {
		return nil, fmt.Errorf("%w: no data", errFormat)
	}
	base := segs[0].offset
	last := segs[len(segs)-1]
	mem := make([]byte, last.offset+uint32(len(last.data))-base)
	for _, s := range segs {
		copy(mem[s.offset-base:], s.data)
	}
	if err := stripLines(mem, base); err != nil {
		return nil, err
	}
	var out []segment
	for i := 0; i < len(mem); {
		if mem[i] == 0 {
			i++
			continue
		}
		// A segment from i to the next run of more than 8 zeros.
		j, zeros := i, 0
		for ; j < len(mem) && zeros <= 8; j++ {
			if mem[j] == 0 {
				zeros++
			} else {
				zeros = 0
			}
		}
		end := j - zeros
		out = append(out, segment{base + uint32(i), mem[i:end]})
		i = j
	}
	return out, nil
}

// merge joins consecutive segments whose gap is at most maxGap bytes,
// filling the gap with zeros. segs must be in increasing order without
// overlap (parseData sorts and checks).
func merge(segs []segment, maxGap uint32) []segment {
	var out []segment
	for _, s := range segs {
		if k := len(out) - 1; k >= 0 {
			last := &out[k]
			gap := s.offset - (last.offset + uint32(len(last.data)))
			if gap <= maxGap {
				last.data = append(last.data, make([]byte, gap)...)
				last.data = append(last.data, s.data...)
				continue
			}
		}
		out = append(out, segment{s.offset, append([]byte(nil), s.data...)})
	}
	return out
}

// encodeData encodes a data section's body.
func encodeData(segs []segment) []byte {
	b := appendUleb(nil, uint32(len(segs)))
	for _, s := range segs {
		b = append(b, 0, 0x41)
		b = appendSleb32(b, int32(s.offset))
		b = append(b, 0x0b)
		b = appendUleb(b, uint32(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}

var errLEB = errors.New("bad LEB128")

// uleb decodes an unsigned 32-bit LEB128 and returns it with its length.
func uleb(b []byte) (uint32, int, error) {
	var v uint64
	for i := 0; i < 5 && i < len(b); i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if v > 1<<32-1 {
				return 0, 0, errLEB
			}
			return uint32(v), i + 1, nil
		}
	}
	return 0, 0, errLEB
}

// sleb32 decodes a signed 32-bit LEB128 and returns it with its length.
func sleb32(b []byte) (int32, int, error) {
	var v int64
	for i := 0; i < 5 && i < len(b); i++ {
		v |= int64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if b[i]&0x40 != 0 {
				v -= 1 << (7 * (i + 1))
			}
			if v < -1<<31 || v > 1<<31-1 {
				return 0, 0, errLEB
			}
			return int32(v), i + 1, nil
		}
	}
	return 0, 0, errLEB
}

func appendUleb(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendSleb32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
