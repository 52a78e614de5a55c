package kvstore

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/store"
)

// key joins parts with NUL bytes; with a trailing NUL if open is true (a
// prefix of whole parts).
func key(open bool, parts ...string) []byte {
	n := len(parts)
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n+16)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	if open {
		b = append(b, 0)
	}
	return b
}

// arena hands out keys from shared blocks: one allocation for many keys.
// A key stays valid (and unchanged) as long as it is referenced.
type arena struct{ buf []byte }

func (a *arena) alloc(n int) []byte {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(n, 32<<10))
	}
	b := a.buf[len(a.buf) : len(a.buf) : len(a.buf)+n]
	a.buf = a.buf[:len(a.buf)+n]
	return b
}

// key is key() in the arena.
func (a *arena) key(open bool, parts ...string) []byte {
	n := len(parts)
	for _, p := range parts {
		n += len(p)
	}
	b := a.alloc(n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	if open {
		b = append(b, 0)
	}
	return b
}

// timed returns prefix || t8(t) || id in the arena.
func (a *arena) timed(prefix []byte, t int64, id string) []byte {
	b := a.alloc(len(prefix) + 8 + len(id))
	b = append(b, prefix...)
	b = binary.BigEndian.AppendUint64(b, uint64(t)^(1<<63))
	return append(b, id...)
}

// t8 encodes a time so that byte order is numeric order.
func t8(t int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t)^(1<<63))
	return b[:]
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func encodeCursor(k []byte) string {
	if k == nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(k)
}

// decodeCursor decodes a cursor and checks that it lies under prefix.
func decodeCursor(c string, prefix []byte) ([]byte, error) {
	if c == "" {
		return nil, nil
	}
	k, err := api.DecodeBase64URL(c)
	if err != nil || !bytes.HasPrefix(k, prefix) || len(k) == len(prefix) || len(k) > 4096 {
		return nil, store.ErrBadCursor
	}
	return k, nil
}

// recordValue is the stored form of a record.
type recordValue struct {
	HasTime bool
	Time    int64
	Index   []store.IndexEntry
	Filters []store.FilterEntry
	Data    []byte
}

// recordLen is the length of w's stored value.
func recordLen(w *store.RecordWrite) int {
	n := 1 + 1 + 8 + 2 + 2 + len(w.Data)
	for _, e := range w.Index {
		n += 4 + len(e.Name) + len(e.Value)
	}
	for _, e := range w.Filters {
		n += 6 + len(e.Field) + len(e.Value)
	}
	return n
}

// appendRecord appends w's stored value to b.
func appendRecord(b []byte, w *store.RecordWrite) ([]byte, error) {
	if len(w.Index) > 0xffff || len(w.Filters) > 0xffff {
		return nil, errors.New("too many index entries")
	}
	b = append(b, 1)
	if w.HasTime {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = append(b, t8(w.Time)...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(w.Index)))
	for _, e := range w.Index {
		if len(e.Name) > 0xffff || len(e.Value) > 0xffff {
			return nil, errors.New("index entry too long")
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(e.Name)))
		b = append(b, e.Name...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(e.Value)))
		b = append(b, e.Value...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(w.Filters)))
	for _, e := range w.Filters {
		if len(e.Field) > 0xffff {
			return nil, errors.New("filter entry too long")
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(e.Field)))
		b = append(b, e.Field...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(e.Value)))
		b = append(b, e.Value...)
	}
	return append(b, w.Data...), nil
}

var errCorrupt = errors.New("kvstore: corrupt record value")

// decodeRecord parses a stored record value; it checks every length against
// what remains. Data aliases b.
func decodeRecord(b []byte) (recordValue, error) {
	var r recordValue
	if len(b) < 12 || b[0] != 1 {
		return r, errCorrupt
	}
	r.HasTime = b[1] == 1
	r.Time = int64(binary.BigEndian.Uint64(b[2:10]) ^ (1 << 63))
	b = b[10:]
	str16 := func() (string, bool) {
		if len(b) < 2 {
			return "", false
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return "", false
		}
		s := string(b[2 : 2+n])
		b = b[2+n:]
		return s, true
	}
	if len(b) < 2 {
		return r, errCorrupt
	}
	ni := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	for i := 0; i < ni; i++ {
		name, ok1 := str16()
		val, ok2 := str16()
		if !ok1 || !ok2 {
			return r, errCorrupt
		}
		r.Index = append(r.Index, store.IndexEntry{Name: name, Value: val})
	}
	if len(b) < 2 {
		return r, errCorrupt
	}
	nf := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	for i := 0; i < nf; i++ {
		field, ok := str16()
		if !ok || len(b) < 4 {
			return r, errCorrupt
		}
		n := int(binary.BigEndian.Uint32(b))
		if n < 0 || len(b) < 4+n {
			return r, errCorrupt
		}
		r.Filters = append(r.Filters, store.FilterEntry{Field: field, Value: string(b[4 : 4+n])})
		b = b[4+n:]
	}
	r.Data = b
	return r, nil
}

// recordData returns just the canonical JSON of a stored record value.
func recordData(b []byte) ([]byte, error) {
	r, err := decodeRecord(b)
	if err != nil {
		return nil, err
	}
	return r.Data, nil
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("kvstore: %s: %w", op, err)
}
