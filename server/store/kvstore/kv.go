// Package kvstore implements store.Store once over an ordered key-value
// database with buckets and transactions (bbolt's model), and a file area
// for blob bytes. boltstore supplies bbolt and a directory; memstore
// supplies an in-memory database and in-memory files.
//
// # Key layout
//
// Keys are tuples of parts joined by a NUL byte. Ids, names and index
// values cannot hold a NUL, filter values are canonical JSON (which escapes
// it), so a prefix of whole parts followed by NUL selects exactly the keys
// under it. Numbers are fixed-width big-endian, times offset by 2^63 so that
// byte order is numeric order.
//
//	settings   "settings"                               JSON store.Settings
//	principals id                                       JSON store.Principal
//	keyhist    id NUL u32be(version)                    JSON store.PrincipalKey
//	members    group NUL member                         JSON store.Member
//	memberof   member NUL group                         empty
//	spaces     id                                       JSON store.Space
//	spacepart  principal NUL space                      empty
//	records    space NUL coll NUL id                    record value (below)
//	rindex     first entry key of the block             block of index entries
//	rfilter    first entry key of the block             block of filter entries
//	rtime      first entry key of the block             block of time entries
//	rpending   u64be(seq) kind first entry key          block of a pending run
//	blobs      space NUL id                             JSON blobMeta
//	tokens     hash                                     JSON store.Token
//	tokprefix  prefix                                   hash
//	log_write, log_read   u64be(ms) u64be(seq)          JSON store.LogEntry
//	login      addr NUL u64be(ms) u64be(seq)            1 failure, 0 success
//	loginall   u64be(ms) u64be(seq)                     JSON store.LoginAttempt
//
// The index, filter and time entries of a record are keys, kept sorted in
// blocks of many (runs.go has the block format):
//
//	index      space NUL coll NUL index NUL value NUL id
//	filter     space NUL coll NUL field NUL value NUL t8 id
//	time       space NUL coll NUL t8 id
//
// A write does not put them in rindex, rfilter and rtime: it appends its
// changes to rpending as one run, in the same transaction as the records,
// and a merger folds runs into the main buckets later; readers see both
// (runs.go). Before blocks, each entry was a key of its own with an empty
// value; such a database is rewritten in blocks when it opens.
//
// A record value is: u8 version (1), u8 has-time, u64be time+2^63,
// u16be count of index entries, each (u16be len, name, u16be len, value),
// u16be count of filter entries, each (u16be len, field, u32be len, value),
// then the record's canonical JSON to the end.
package kvstore

import "io"

// DB is an ordered key-value database with buckets and serialisable
// transactions.
type DB interface {
	View(fn func(Tx) error) error
	Update(fn func(Tx) error) error
	Close() error
}

// Tx is a transaction. Buckets are created when the database opens.
type Tx interface {
	Bucket(name []byte) Bucket
}

// Bucket is an ordered map of byte keys. Slices it returns are valid only
// during the transaction.
type Bucket interface {
	Get(k []byte) []byte
	Put(k, v []byte) error
	Delete(k []byte) error
	NextSequence() (uint64, error)
	Cursor() Cursor
}

// Cursor iterates a bucket in key order. A nil key means no more.
type Cursor interface {
	First() (k, v []byte)
	Last() (k, v []byte)
	Seek(k []byte) (kk, v []byte)
	Next() (k, v []byte)
	Prev() (k, v []byte)
}

// Files holds blob bytes by name.
type Files interface {
	// Create writes r to a new file name, durably, and returns its size and
	// lowercase hex SHA-256. On error nothing is left behind.
	Create(name string, r io.Reader) (int64, string, error)
	Open(name string) (io.ReadSeekCloser, error)
	Remove(name string) error
}

// Bucket names, all created at open.
var (
	bSettings   = []byte("settings")
	bPrincipals = []byte("principals")
	bKeyHist    = []byte("keyhist")
	bMembers    = []byte("members")
	bMemberOf   = []byte("memberof")
	bSpaces     = []byte("spaces")
	bSpacePart  = []byte("spacepart")
	bRecords    = []byte("records")
	bRIndex     = []byte("rindex")
	bRFilter    = []byte("rfilter")
	bRTime      = []byte("rtime")
	bBlobs      = []byte("blobs")
	bTokens     = []byte("tokens")
	bTokPrefix  = []byte("tokprefix")
	bLogWrite   = []byte("log_write")
	bLogRead    = []byte("log_read")
	bLogin      = []byte("login")
	bLoginAll   = []byte("loginall")
	bPending    = []byte("rpending")
)

// Buckets lists every bucket a DB must have.
var Buckets = [][]byte{
	bSettings, bPrincipals, bKeyHist, bMembers, bMemberOf, bSpaces, bSpacePart,
	bRecords, bRIndex, bRFilter, bRTime, bPending, bBlobs, bTokens, bTokPrefix,
	bLogWrite, bLogRead, bLogin, bLoginAll,
}
