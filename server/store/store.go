// Package store defines the storage interface of the zkvault server and the
// types that cross it. Implementations: boltstore (embedded, the default),
// memstore (in memory, for tests); a Cloudflare D1 + R2 store joins later, so
// nothing here names a bbolt type.
//
// A store keeps what the service layer hands it: it checks no access rule and
// no encryption rule (that is the service's job), only its own invariants
// (existence, compare-and-swap versions, cursors) and the conditions the
// service attaches to a write (RecordWrite.ReplaceIn), which only the store
// can check at the moment of the write. Every method is atomic: it either
// happens entirely or not at all.
//
// Records are opaque canonical JSON bytes to the store; the service derives
// the index, filter and time entries the store keeps beside them.
package store

import (
	"context"
	"errors"
	"io"

	"github.com/zkvault/zkvault/api"
)

// Errors every store returns (wrapped or not) so that the service can tell them
// apart with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrExists    = errors.New("already exists")
	ErrConflict  = errors.New("version conflict")
	ErrBadCursor = errors.New("invalid cursor")
)

// MaxPageSize is the largest page any list or query returns.
const MaxPageSize = 1000

// Store is the storage of the zkvault server.
type Store interface {
	Settings(ctx context.Context) (Settings, error)
	PutSettings(ctx context.Context, s Settings) error
	// SetEncryption turns encryption on or off in the stored settings,
	// leaving the rest of them as they are, and returns them.
	SetEncryption(ctx context.Context, on bool, at int64) (Settings, error)

	// CreatePrincipal stores a new principal; ErrExists if the id is taken.
	CreatePrincipal(ctx context.Context, p Principal) error
	// CreateMaster stores a new principal and names it the master in the
	// settings (UpdatedAt: p.CreatedAt), in one step: ErrConflict if the
	// settings name a master already, ErrExists if the id is taken; on
	// either, nothing is written.
	CreateMaster(ctx context.Context, p Principal) error
	Principal(ctx context.Context, id string) (Principal, error)
	ListPrincipals(ctx context.Context, cursor string, limit int) ([]Principal, string, error)
	// UpdatePrincipalKey replaces the key of principal p.ID if its stored
	// key version is expect (ErrConflict otherwise), keeping the replaced
	// public key in the principal's key history.
	UpdatePrincipalKey(ctx context.Context, p Principal, expect uint32) error
	// KeyHistory returns the earlier public keys of a principal, oldest first.
	KeyHistory(ctx context.Context, id string) ([]PrincipalKey, error)

	// PutMember adds or replaces a member of a group.
	PutMember(ctx context.Context, m Member) error
	// DeleteMember removes a member; ErrNotFound if it is not one.
	DeleteMember(ctx context.Context, group, member string) error
	Members(ctx context.Context, group string) ([]Member, error)
	// GroupsOf returns the groups principal is a member of.
	GroupsOf(ctx context.Context, principal string) ([]string, error)

	// CreateSpace stores a new space with Rev 1; ErrExists if the id is taken.
	CreateSpace(ctx context.Context, s Space) error
	Space(ctx context.Context, id string) (Space, error)
	// UpdateSpace replaces space s.ID if its stored Rev is s.Rev
	// (ErrConflict otherwise) and stores it with Rev s.Rev+1.
	UpdateSpace(ctx context.Context, s Space) error
	// ListSpaces lists space ids in order. With principals, only the spaces
	// in which one of them has a relation or an envelope.
	ListSpaces(ctx context.Context, principals []string, cursor string, limit int) ([]string, string, error)

	// UpsertRecords writes a batch of records of one collection in one
	// transaction, durable when it returns, and says for each whether it
	// was inserted, updated or unchanged (byte-identical Data), or refused
	// because its condition (RecordWrite.ReplaceIn) failed in that
	// transaction: a refused write changes nothing and never keeps the
	// others of the batch from being written. It is safe
	// to call concurrently; a store may write the batches of concurrent
	// calls in one transaction, each applied in turn as if alone, and one
	// call's failure is never another's.
	UpsertRecords(ctx context.Context, space, collection string, recs []RecordWrite) ([]Outcome, error)
	Record(ctx context.Context, space, collection, id string) ([]byte, error)
	DeleteRecord(ctx context.Context, space, collection, id string) error
	QueryRecords(ctx context.Context, q Query) ([][]byte, string, error)

	// PutBlob streams r into the blob (space, id), replacing any earlier
	// one only once r has been read entirely and made durable. It records
	// size and SHA-256. An error from r (such as a size limit) aborts the
	// write and is returned wrapped.
	PutBlob(ctx context.Context, meta BlobMeta, r io.Reader) (BlobMeta, error)
	OpenBlob(ctx context.Context, space, id string) (BlobMeta, io.ReadSeekCloser, error)
	DeleteBlob(ctx context.Context, space, id string) error

	CreateToken(ctx context.Context, t Token) error
	TokenByHash(ctx context.Context, hash string) (Token, error)
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken sets RevokedAt of the token with that prefix.
	RevokeToken(ctx context.Context, prefix string, at int64) error

	// AppendLogs appends write and read log entries.
	AppendLogs(ctx context.Context, entries []LogEntry) error
	// ListLogs lists entries of one kind, newest first.
	ListLogs(ctx context.Context, kind string, cursor string, limit int) ([]LogEntry, string, error)

	AddLoginAttempt(ctx context.Context, a LoginAttempt) error
	// LoginFailures counts failed attempts from addr at or after since.
	LoginFailures(ctx context.Context, addr string, since int64) (int, error)
	// ClearLoginFailures forgets the failed attempts of addr.
	ClearLoginFailures(ctx context.Context, addr string) error
	// ListLoginAttempts lists attempts, newest first.
	ListLoginAttempts(ctx context.Context, cursor string, limit int) ([]LoginAttempt, string, error)

	AuthStore // auth.go

	Close() error
}

// Backuper is implemented by stores that can write a consistent copy of
// their data, blobs included, while serving.
type Backuper interface {
	// Backup takes a point-in-time snapshot. Errors found before the
	// first byte is written (such as a blob whose file is missing) come
	// here; the snapshot keeps what it references until Close.
	Backup(ctx context.Context) (Snapshot, error)
}

// Snapshot is a backup ready to be written (docs/backup.md has the
// format of the bbolt store's).
type Snapshot interface {
	// WriteTo writes the archive once, streaming.
	WriteTo(w io.Writer) (int64, error)
	// Close releases the snapshot; always call it.
	Close() error
}

// Settings are the platform settings.
type Settings struct {
	Encryption bool `json:"encryption"`
	// MasterPrincipal is the id of the master principal, if one exists.
	MasterPrincipal string `json:"master_principal,omitempty"`
	UpdatedAt       int64  `json:"updated_at,omitempty"`
}

// Principal is a stored principal.
type Principal struct {
	api.Principal
	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
}

// PrincipalKey is an earlier public key of a principal.
type PrincipalKey struct {
	KeyVersion  uint32 `json:"key_version"`
	PublicKey   string `json:"public_key"`
	Fingerprint string `json:"fingerprint"`
	ReplacedAt  int64  `json:"replaced_at"`
}

// Member is a member of a group with its envelope of the group's key.
type Member struct {
	Group     string       `json:"group"`
	Member    string       `json:"member"`
	Envelope  api.Envelope `json:"envelope"`
	UpdatedAt int64        `json:"updated_at"`
}

// Space is a stored space.
type Space struct {
	api.Space
	Rev       uint64 `json:"rev"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

// Participants returns the principals that have a relation or an envelope in
// the space, each once.
func (s *Space) Participants() []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, r := range s.Relations {
		add(r.Principal)
	}
	for _, e := range s.Envelopes {
		add(e.Principal)
	}
	return out
}

// RecordWrite is one record to upsert with the entries derived from it.
type RecordWrite struct {
	ID      string
	Data    []byte        // canonical JSON of the api.Record
	Index   []IndexEntry  // blind index values
	Filters []FilterEntry // plaintext equality filters
	Time    int64         // value of the schema's time field
	HasTime bool
	// ReplaceIn, if set, is a condition on the record the write would
	// replace, checked by the store in the transaction that writes it: a
	// stored record is replaced (or found unchanged) only if its stored
	// time lies in [From, To), and one without a time never is; with no
	// record stored under ID, the write goes ahead. A write whose
	// condition fails writes nothing and has the outcome Refused.
	ReplaceIn *TimeRange
}

// TimeRange is [From, To) in milliseconds.
type TimeRange struct {
	From, To int64
}

// Contains says whether t lies in r.
func (r TimeRange) Contains(t int64) bool { return t >= r.From && t < r.To }

// IndexEntry is one blind index value of a record.
type IndexEntry struct {
	Name  string `json:"n"`
	Value string `json:"v"` // lowercase hex
}

// FilterEntry is one plaintext filter value of a record.
type FilterEntry struct {
	Field string `json:"f"`
	Value string `json:"v"` // canonical JSON of the value; never holds a NUL byte
}

// Outcome of one upserted record.
type Outcome int

const (
	Inserted Outcome = iota + 1
	Updated
	Unchanged
	// Refused: the write's condition (RecordWrite.ReplaceIn) failed;
	// nothing was written.
	Refused
)

// Query selects records of one collection. At most one of Index and Field
// is set; a time range applies to a field query or alone. Without Index or
// Field or time range, records come in id order; with a time range or Field,
// in time order (then id); with Index, in id order.
type Query struct {
	Space, Collection string
	Index, IndexValue string
	Field, FieldValue string // FieldValue: canonical JSON
	TimeRange         bool
	From, To          int64 // [From, To) in milliseconds
	Cursor            string
	Limit             int
}

// BlobMeta describes a stored blob.
type BlobMeta struct {
	Space      string `json:"space"`
	ID         string `json:"id"`
	Collection string `json:"collection,omitempty"`
	Record     string `json:"record,omitempty"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
	CreatedAt  int64  `json:"created_at"`
}

// Token is an access token: only the SHA-256 of its secret is stored.
type Token struct {
	Hash       string   `json:"hash"`   // lowercase hex SHA-256 of the token
	Prefix     string   `json:"prefix"` // the first characters, for display and revocation
	Principal  string   `json:"principal"`
	Scopes     []string `json:"scopes"`
	CreatedAt  int64    `json:"created_at"`
	ExpiresAt  int64    `json:"expires_at,omitempty"`
	RevokedAt  int64    `json:"revoked_at,omitempty"`
	LastUsedAt int64    `json:"last_used_at,omitempty"`
	// Name says what the token is for (free text).
	Name string `json:"name,omitempty"`
	// Spaces limits the token to these spaces (none: every space of its
	// principal).
	Spaces []string `json:"spaces,omitempty"`
	// WindowFrom and WindowTo limit reads to records whose time field lies
	// in [WindowFrom, WindowTo) (milliseconds; nil: unbounded).
	WindowFrom *int64 `json:"window_from,omitempty"`
	WindowTo   *int64 `json:"window_to,omitempty"`
}

// Log kinds.
const (
	LogWrite = "write"
	LogRead  = "read"
)

// LogEntry is one row of the write or read log.
type LogEntry struct {
	Kind        string            `json:"kind"`
	Type        string            `json:"type"`
	Description string            `json:"description"`
	Count       int               `json:"count"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	TokenPrefix string            `json:"token_prefix,omitempty"`
	// Who made the request: the kind of credential and its principal.
	Who  string `json:"who,omitempty"`
	Time int64  `json:"time"` // milliseconds since the epoch
}

// LoginAttempt is one authentication attempt.
type LoginAttempt struct {
	Addr    string `json:"addr"`
	Time    int64  `json:"time"` // milliseconds since the epoch
	Success bool   `json:"success"`
}

// ClampLimit returns limit bounded to [1, MaxPageSize], def if limit <= 0.
func ClampLimit(limit, def int) int {
	if limit <= 0 {
		return def
	}
	if limit > MaxPageSize {
		return MaxPageSize
	}
	return limit
}
