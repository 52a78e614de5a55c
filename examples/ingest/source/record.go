package source

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"
)

// Collections of the personal vault, as named by the shipped schemas.
const (
	Screenshots         = "screenshots"
	IMessages           = "imessages"
	IMessageAttachments = "imessage_attachments"
	Contacts            = "contacts"
	Locations           = "locations"
	WhatsAppMessages    = "whatsapp_messages"
)

// Collections lists the six collections of the personal vault.
var Collections = []string{Screenshots, IMessages, IMessageAttachments, Contacts, Locations, WhatsAppMessages}

// Limits that keep every reader in bounded memory on any input.
const (
	MaxLine      = 1 << 20 // bytes of one input line; a longer line is rejected
	MaxText      = 1 << 20 // bytes of one message (all its lines) or one JSON item
	MaxCardLines = 4096    // content lines of one vCard
	MaxValues    = 256     // phone numbers or e-mail addresses of one contact
)

// Record is one plain record read from a user file: field values named as
// in the collection's schema, not yet encrypted.
type Record struct {
	Collection string
	// ID is stable: the same input item gives the same ID on every run
	// (see Options.IDKey), so a second import is idempotent.
	ID string
	// Fields holds plain values: string, []string (multi fields), bool,
	// int64 (times, in milliseconds since the Unix epoch, UTC; and integer
	// numbers), float64 (other numbers) and, for json fields, any decoded
	// JSON value. An absent field is absent from the map.
	Fields map[string]any
	// Blob is the file attached to the record (screenshots, attachments),
	// or nil. Fields[Blob.Field] holds Blob.ID.
	Blob *BlobRef
}

// BlobRef names a file on disk to upload as the blob of a record.
type BlobRef struct {
	Field  string // the schema's blob field ("image", "file")
	ID     string // the blob id, derived from the content hash: stable across renames
	Path   string // path of the file on disk
	Size   int64  // bytes
	SHA256 string // lowercase hex SHA-256 of the content, as read
}

// Sink receives what a reader finds, in input order.
type Sink struct {
	// Record receives every record. A non-nil error stops the reader,
	// which returns it.
	Record func(Record) error
	// Reject receives every item the reader skipped: a *ItemError naming
	// the file and line. A non-nil error stops the reader, which returns
	// it. Nil means rejected items are dropped silently.
	Reject func(*ItemError) error
}

func (s Sink) record(r Record) error {
	if s.Record == nil {
		return nil
	}
	return s.Record(r)
}

func (s Sink) reject(file string, line int, err error) error {
	if s.Reject == nil {
		return nil
	}
	return s.Reject(&ItemError{File: file, Line: line, Err: err})
}

// ErrSkipped marks an item that is not an error in the input but that no
// reader imports: a file type the screenshot reader does not read, a
// WhatsApp system message. An importer counts it as skipped, not rejected.
var ErrSkipped = errors.New("skipped")

// ItemError is the reason one input item (a line, a card, a file) was
// rejected or skipped. The other items of the input are still read.
type ItemError struct {
	File string // file name as given to the reader
	Line int    // 1-based line where the item starts; 0 if not line-based
	Err  error
}

func (e *ItemError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ItemError) Unwrap() error { return e.Err }

// Options configure the readers. The zero value is usable.
type Options struct {
	// IDKey, when set, keys every derived id (record ids, blob ids, the
	// WhatsApp chatId and messageId, and contactId without a vCard UID)
	// with HMAC-SHA256. Without it ids are plain SHA-256 hashes of the
	// item, which lets anyone who sees them (the server) confirm a guess
	// of the item's content. An importer should pass a key derived from
	// the space secret, so ids are stable for the vault and opaque to
	// the server.
	IDKey []byte
	// Location is the time zone of wall-clock times without a zone
	// (WhatsApp exports, screenshot file names). Nil means UTC.
	Location *time.Location

	// Collection names the collection of a JSON or NDJSON file; "" means
	// inferred from the file name (CollectionFromName).
	Collection string

	// ChatName is the WhatsApp chat's name; "" means taken from the file
	// name ("WhatsApp Chat with Alice.txt" gives "Alice").
	ChatName string
	// Me is the sender name (or phone number) of the vault's owner in
	// WhatsApp exports: their messages get isFromMe.
	Me string
	// DateOrder is the order of day and month in WhatsApp dates: DMY,
	// MDY, or "" to detect it from the whole file.
	DateOrder string
	// KeepSystem keeps WhatsApp system messages (no sender: "Messages and
	// calls are end-to-end encrypted…") as records without senderName.
	// By default they are reported as skipped (ErrSkipped).
	KeepSystem bool
}

func (o Options) location() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

// idLabel separates ingest ids from every other use of the hash or key.
const idLabel = "zkvault.ingest.id.v1"

// deriveID returns the id of an item: 32 hex digits of the (keyed) hash
// of a kind label and the item's identifying parts, length-prefixed so
// that no two part lists collide.
func (o Options) deriveID(kind string, parts ...string) string {
	var h hash.Hash
	if o.IDKey != nil {
		h = hmac.New(sha256.New, o.IDKey)
	} else {
		h = sha256.New()
	}
	var n [binary.MaxVarintLen64]byte
	for _, p := range append([]string{idLabel, kind}, parts...) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// occurrences numbers identical items of one input, so that two identical
// items (the same "ok" sent twice in the same minute) keep two ids and
// the ids stay stable across runs over the same input.
type occurrences map[string]int

func (c occurrences) next(key string) string {
	c[key]++
	return fmt.Sprint(c[key])
}

// millis returns t in milliseconds since the Unix epoch.
func millis(t time.Time) int64 { return t.UnixMilli() }

// cleanText removes the invisible direction marks and byte order marks
// that exports put around names and numbers, turns no-break spaces into
// spaces and trims the result.
func cleanText(s string) string {
	if !strings.ContainsFunc(s, isInvisible) && !strings.ContainsFunc(s, isOddSpace) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case isInvisible(r):
		case isOddSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

func isInvisible(r rune) bool {
	switch r {
	case '\u200e', '\u200f', '\ufeff', '\u200b', '\u2068', '\u2069', '\u2066', '\u2067',
		'\u202a', '\u202b', '\u202c', '\u202d', '\u202e':
		return true
	}
	return false
}

func isOddSpace(r rune) bool { return r == '\u202f' || r == '\u00a0' || r == '\u2007' }
