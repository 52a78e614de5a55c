package store

import "context"

// AuthStore keeps what authentication needs besides tokens: the hashes of
// the server's own secrets, sessions, invitations, and the pruning of old
// log entries. Only hashes of secrets are kept: a copy of the database lets
// nobody log in.
type AuthStore interface {
	// AuthSecret returns the stored hash of a named server secret
	// (SecretDashboard, SecretWrite); ErrNotFound if none was stored.
	AuthSecret(ctx context.Context, name string) (AuthSecret, error)
	PutAuthSecret(ctx context.Context, s AuthSecret) error

	// CreateSession stores a new session; ErrExists if its hash is taken.
	CreateSession(ctx context.Context, s Session) error
	// SessionByHash returns the session whose id has that hash.
	SessionByHash(ctx context.Context, hash string) (Session, error)
	// ListSessions lists every session, oldest first.
	ListSessions(ctx context.Context) ([]Session, error)
	// RevokeSession sets RevokedAt of the session with that display id and
	// returns it.
	RevokeSession(ctx context.Context, id string, at int64) (Session, error)

	CreateInvitation(ctx context.Context, inv Invitation) error
	ListInvitations(ctx context.Context) ([]Invitation, error)
	// RedeemInvitation marks the invitation with that hash used at at,
	// once: ErrNotFound if there is none, ErrConflict if it was used,
	// revoked or expired.
	RedeemInvitation(ctx context.Context, hash string, at int64) (Invitation, error)
	// RevokeInvitation sets RevokedAt of the invitation with that prefix.
	RevokeInvitation(ctx context.Context, prefix string, at int64) error

	// TouchCredentials records the last use of tokens and sessions (by
	// hash); unknown hashes are ignored.
	TouchCredentials(ctx context.Context, tokens, sessions map[string]int64) error

	// Prune deletes write and read log entries and login attempts older
	// than before, and sessions and invitations that expired or were
	// revoked before it. It returns how many entries went.
	Prune(ctx context.Context, before int64) (int, error)
}

// Names of server secrets.
const (
	SecretDashboard = "dashboard"
	SecretWrite     = "write"
)

// AuthSecret is the hash of a server secret.
type AuthSecret struct {
	Name      string `json:"name"`
	Hash      string `json:"hash"` // lowercase hex SHA-256
	UpdatedAt int64  `json:"updated_at"`
}

// Session kinds.
const (
	SessionDashboard = "dashboard"
	SessionMember    = "member"
)

// Session is a cookie session: only the SHA-256 of its random id is stored.
type Session struct {
	Hash       string `json:"hash"` // lowercase hex SHA-256 of the session id
	ID         string `json:"id"`   // display id: the first 16 hex digits of Hash
	Kind       string `json:"kind"`
	Principal  string `json:"principal,omitempty"` // member sessions
	Addr       string `json:"addr,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
	CreatedAt  int64  `json:"created_at"`
	ExpiresAt  int64  `json:"expires_at"`
	LastUsedAt int64  `json:"last_used_at,omitempty"`
	RevokedAt  int64  `json:"revoked_at,omitempty"`
}

// Invitation is a one-time token that starts a team member's first session.
type Invitation struct {
	Hash      string `json:"hash"`
	Prefix    string `json:"prefix"`
	Principal string `json:"principal"`
	CreatedAt int64  `json:"created_at"`
	ExpiresAt int64  `json:"expires_at"`
	UsedAt    int64  `json:"used_at,omitempty"`
	RevokedAt int64  `json:"revoked_at,omitempty"`
}
