//go:build js && wasm

// The binary form of the large batches (openFields, indexValues): the
// strings of a batch cross as one Uint8Array and the results come back as
// one, so that a batch of 10,000 fields costs two copies instead of a JSON
// text parsed by encoding/json (which was a third of a batch's time).
//
// # Format
//
// A string table (JavaScript to Go, js/src/batch.js packStrings):
//
//	u32 n                 number of strings, at most maxBatchStrings
//	u32 len[n]            byte length of each string
//	byte data[sum(len)]   the strings, UTF-8, back to back
//
// A result table (Go to JavaScript, js/src/batch.js unpackResults):
//
//	u32 n                 number of results
//	(u8 status, u32 len)[n]
//	byte data[sum(len)]   status 0: the result's bytes;
//	                      status 1: an error, "code\nmessage" (UTF-8)
//
// An index batch whose every query succeeds answers with a string instead,
// a line per query (space.go, indexValues).
//
// Every integer is little-endian. A reader checks every length against what
// remains and against its maximum: a malformed table is errInvalidArgument,
// never a panic.

package main

import (
	"encoding/binary"

	"github.com/hack-pad/safejs"
)

// maxBatchStrings is the most strings one table may hold: the items of the
// largest batch times the strings per item (a query of 8 parts has 9).
const maxBatchStrings = maxBatch * 9

// Result statuses.
const (
	resultOK    = 0
	resultError = 1
)

// argStrings reads args[i], a string table in a Uint8Array. The Go copy
// of the table's bytes (query values are plaintext) is wiped once read.
func argStrings(args []safejs.Value, i int, name string) ([]string, error) {
	b, err := argBytes(args, i, name)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	return decodeStrings(b, name)
}

// decodeStrings parses a string table. The strings are copies of b's bytes.
func decodeStrings(b []byte, name string) ([]string, error) {
	t, err := parseStrings(b, name)
	if err != nil {
		return nil, err
	}
	out := make([]string, t.left())
	for k := range out {
		out[k] = t.next()
	}
	return out, nil
}

// A stringTable reads a string table in order, one string at a time, so
// that a batch needs no slice of all its strings (index batches: 20,000
// strings, each a pointer the garbage collector would scan).
type stringTable struct {
	all  string // every string's bytes, back to back: one copy of the table's
	lens []byte // the u32 lengths of the strings not read yet
	off  int    // where the next string starts in all
}

// parseStrings checks a string table, every length against what remains
// and against the maxima, and returns its reader. The strings are copies of
// b's bytes; the reader reads their lengths from b, which must not change
// until the reader is done.
func parseStrings(b []byte, name string) (stringTable, error) {
	if len(b) < 4 {
		return stringTable{}, invalid("%s: string table shorter than its header", name)
	}
	n := binary.LittleEndian.Uint32(b)
	if n > maxBatchStrings {
		return stringTable{}, invalid("%s: more than %d strings", name, maxBatchStrings)
	}
	lens := b[4:]
	if uint64(len(lens)) < 4*uint64(n) {
		return stringTable{}, invalid("%s: string table shorter than its lengths", name)
	}
	data := lens[4*n:]
	lens = lens[:4*n]
	var total uint64
	for k := range n {
		total += uint64(binary.LittleEndian.Uint32(lens[4*k:]))
	}
	if total != uint64(len(data)) {
		return stringTable{}, invalid("%s: string lengths add up to %d bytes, the table holds %d", name, total, len(data))
	}
	// One string holds all the bytes and each item is a slice of it: one
	// allocation and one copy for the whole table.
	return stringTable{all: string(data), lens: lens}, nil
}

// left is the number of strings not read yet.
func (t *stringTable) left() int { return len(t.lens) / 4 }

// next returns the next string; there must be one (left > 0).
func (t *stringTable) next() string {
	l := int(binary.LittleEndian.Uint32(t.lens))
	t.lens = t.lens[4:]
	s := t.all[t.off : t.off+l]
	t.off += l
	return s
}

// resultTable builds a result table in one buffer: the header's room is
// reserved up front, the bodies are appended.
type resultTable struct {
	buf  []byte
	next int // offset of the next item's status in the header
}

func newResultTable(n, bodyHint int) *resultTable {
	head := 4 + 5*n
	buf := make([]byte, head, head+bodyHint)
	binary.LittleEndian.PutUint32(buf, uint32(n))
	return &resultTable{buf: buf, next: 4}
}

func (t *resultTable) item(status byte, n int) {
	if t.next+5 > 4+5*int(binary.LittleEndian.Uint32(t.buf)) {
		panic("jsbridge: more results than announced") // a bug in this file
	}
	t.buf[t.next] = status
	binary.LittleEndian.PutUint32(t.buf[t.next+1:], uint32(n))
	t.next += 5
}

// ok adds a result.
func (t *resultTable) ok(b []byte) {
	t.item(resultOK, len(b))
	t.buf = append(t.buf, b...)
}

// fail adds an item error: its stable code and message (errors.go).
func (t *resultTable) fail(err error) {
	code, msg := codeOf(err), err.Error()
	t.item(resultError, len(code)+1+len(msg))
	t.buf = append(append(append(t.buf, code...), '\n'), msg...)
}

// js copies the table into a new Uint8Array and wipes the Go copy (it holds
// plaintexts).
func (t *resultTable) js() (safejs.Value, error) {
	v, err := jsBytes(t.buf)
	clear(t.buf)
	return v, err
}
