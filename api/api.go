// Package api is the wire contract between zkvault clients and servers: the
// JSON shapes of spaces, envelopes, principals, collection schemas and records,
// and their structural validation.
//
// It contains no cryptography and never will: the server imports it, and the
// server must be unable to decrypt. It checks only the form of what it is
// given (ids, names, lengths, that an encrypted field looks like an enc:v2
// ciphertext, that an envelope names the recipient it claims), never content.
//
// The byte formats inside the opaque strings (enc:v2 values, envelopes, blob
// streams) are specified in docs/SPEC.md and implemented by the crypto core
// in wasm/.
package api

import "encoding/json"

// Space kinds.
const (
	KindVault    = "vault"    // a personal vault: one owner, a passphrase recipient
	KindFollowUp = "followup" // a team follow-up: owner, creator, beneficiary, group, master
)

// Relation roles of a principal to a space.
const (
	RoleOwner       = "owner"
	RoleCreator     = "creator"
	RoleBeneficiary = "beneficiary"
	RoleGroup       = "group"
)

// Principal kinds.
const (
	PrincipalUser   = "user"
	PrincipalGroup  = "group"
	PrincipalMaster = "master"
)

// Recipient kinds of an envelope.
const (
	RecipientPrincipal  = "principal"  // RSA-4096 key of a principal (envelope kind 1)
	RecipientPassphrase = "passphrase" // a passphrase (envelope kind 2 or 3)
)

// Field types of a collection schema.
const (
	TypeString = "string"
	TypeNumber = "number"
	TypeBool   = "bool"
	TypeTime   = "time" // integer milliseconds since the Unix epoch, UTC
	TypeJSON   = "json" // any JSON value (encrypted fields only)
)

// Normalisers of blind indexes.
const (
	NormPhone = "phone" // E.164
	NormEmail = "email"
	NormText  = "text"  // NFKC, case folded, white space collapsed
	NormExact = "exact" // bytes as given
)

// Schema describes a collection: which fields are plaintext (and filterable),
// which are encrypted, and which blind indexes exist. Clients use the schema
// they ship (never one a server hands them) to decide what to encrypt; the
// server keeps a copy only to refuse records that break it.
type Schema struct {
	Collection string           `json:"collection"`
	Fields     map[string]Field `json:"fields"`
	Indexes    map[string]Index `json:"indexes,omitempty"`
	// TimeField names a plaintext field of type time used for time-range
	// queries and ordering. Optional.
	TimeField string `json:"time_field,omitempty"`
}

// Field is one field of a collection schema.
type Field struct {
	Type      string `json:"type"`
	Encrypted bool   `json:"encrypted,omitempty"`
	// Multi: the value is a JSON array of Type (for example a contact's phone
	// numbers). An encrypted multi field is one ciphertext of the whole array.
	Multi bool `json:"multi,omitempty"`
	// Pad: the client pads the plaintext (Padmé) before encryption.
	Pad bool `json:"pad,omitempty"`
	// Filter: a plaintext field the server keeps an equality index on.
	Filter bool `json:"filter,omitempty"`
	// Blob: a plaintext string field holding the id of a blob of the space.
	Blob bool `json:"blob,omitempty"`
}

// Index is a blind index over one field, or several (compound).
type Index struct {
	Fields     []string `json:"fields"`
	Normalizer string   `json:"normalizer"`
	Bits       int      `json:"bits"`
}

// Record is a record as stored and sent: plaintext values and enc:v2
// ciphertexts side by side in Fields, and blind index values by index name
// (lowercase hex, one value for a single-valued index, several for an index
// over a multi field).
type Record struct {
	ID     string                     `json:"id"`
	Fields map[string]json.RawMessage `json:"fields"`
	Index  map[string][]string        `json:"index,omitempty"`
}

// Envelope wraps one version of a space secret (or a group's private key)
// for one recipient. Data is the base64url binary envelope of docs/SPEC.md;
// the other fields repeat what its header says so that the server can check
// them without parsing ciphertext.
type Envelope struct {
	Kind string `json:"kind"` // RecipientPrincipal or RecipientPassphrase
	// Principal is the recipient principal's id (kind principal).
	Principal string `json:"principal,omitempty"`
	// Fingerprint is the lowercase hex SHA-256 of the recipient's
	// SubjectPublicKeyInfo DER (kind principal).
	Fingerprint string `json:"fingerprint,omitempty"`
	// KeyVersion is the recipient principal's key version (kind principal).
	KeyVersion uint32 `json:"key_version,omitempty"`
	// SecretVersion is the version of the space secret this envelope wraps.
	SecretVersion uint32 `json:"secret_version"`
	Data          string `json:"data"`
}

// Relation links a principal to a space in a role.
type Relation struct {
	Role      string `json:"role"`
	Principal string `json:"principal"`
}

// Space is a vault or a follow-up: plaintext metadata, relations, one
// envelope per recipient, and the schemas of its collections.
type Space struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Encrypted bool   `json:"encrypted"`
	// SecretVersion is the current version of the space secret: new
	// ciphertexts use it; envelopes must exist for it.
	SecretVersion uint32            `json:"secret_version"`
	Meta          map[string]string `json:"meta,omitempty"`
	Relations     []Relation        `json:"relations,omitempty"`
	Envelopes     []Envelope        `json:"envelopes,omitempty"`
	Schemas       []Schema          `json:"schemas,omitempty"`
}

// Principal is a user, a group (queue) or the platform master: a public key
// and, except for the master, its private key sealed under a passphrase.
type Principal struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	PublicKey   string `json:"public_key"`  // base64url SubjectPublicKeyInfo DER
	Fingerprint string `json:"fingerprint"` // lowercase hex SHA-256 of the DER
	KeyVersion  uint32 `json:"key_version"`
	// SealedKey is the base64url passphrase envelope of the PKCS #8 private
	// key; opaque to the server.
	SealedKey string `json:"sealed_key,omitempty"`
}

// UpsertResult is the answer to a batch upsert of records: counts of each
// outcome, and one ItemError per rejected item. Bad items never block good
// ones.
type UpsertResult struct {
	Inserted  int         `json:"inserted"`
	Updated   int         `json:"updated"`
	Unchanged int         `json:"unchanged"`
	Rejected  int         `json:"rejected"`
	Errors    []ItemError `json:"errors"`
}

// ItemError says why one item of a batch was rejected: its position in the
// batch, its id when it had a valid one, a stable code and a message that
// names the problem, never a value.
type ItemError struct {
	Index   int    `json:"index"`
	ID      string `json:"id,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}
