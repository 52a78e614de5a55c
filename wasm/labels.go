package zkvault

// Domain-separation labels. Every HKDF info, AEAD associated data and RSA-OAEP
// label zkvault's core computes is a tuple (internal/tuple) whose first part
// is one of these constants. They are listed, with where each is used, in
// docs/spec/09-labels.md. Changing one is a format change.
const (
	// LabelField is the first part of the field key's HKDF info and of every
	// enc:v2 field ciphertext's associated data.
	LabelField = "zkvault/v2/field"
	// LabelIndex is the first part of a blind-index key's HKDF info.
	LabelIndex = "zkvault/v2/index"
	// LabelBlob is the first part of a blob key's HKDF info.
	LabelBlob = "zkvault/v2/blob"
	// LabelEnvelope is the first part of every envelope payload's
	// associated data.
	LabelEnvelope = "zkvault/v2/envelope"
	// LabelEnvelopeRSA is the first part of the RSA-OAEP label that wraps
	// the file key of a kind 1 (RSA principal) envelope.
	LabelEnvelopeRSA = "zkvault/v2/envelope/rsa"
	// LabelSpaceSecret names an envelope context: one version of a space
	// secret.
	LabelSpaceSecret = "zkvault/v2/space-secret"
	// LabelPrivateKey names an envelope context: a principal's private key
	// sealed under its passphrase.
	LabelPrivateKey = "zkvault/v2/private-key"
	// LabelGroupKey names an envelope context: a group's (queue's) private
	// key sealed for a member or for the master.
	LabelGroupKey = "zkvault/v2/group-key"
	// LabelKeyringCheck is the first part of the HKDF info of a keyring's
	// check value.
	LabelKeyringCheck = "zkvault/v2/keyring-check"
	// LabelSession is the first part of the associated data of a keyring
	// sealed under a session key.
	LabelSession = "zkvault/v2/session"
	// LabelRecordID is the first part of the HKDF info of a space's id key
	// (Space.IDKey), which keys ids a client derives from content.
	LabelRecordID = "zkvault/v2/record-id"
)
