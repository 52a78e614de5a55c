package api

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Envelope header, the only part of an envelope a server reads (no
// cryptography: it compares the header with the JSON fields beside it).
//
// # Format
//
//	magic   4 bytes  5a 4b 45 02 ("ZKE", version 2)
//	kind    u8       1 RSA principal, 2 Argon2id passphrase, 3 PBKDF2 passphrase
//	kind 1 only:
//	  fingerprint  32 bytes  SHA-256 of the recipient's SubjectPublicKeyInfo DER
//	  key version  u32be     the recipient's key version
//	…                        the wrapped key, opaque
const (
	EnvelopeMagic = "ZKE\x02"

	EnvelopeKindRSA      = 1
	EnvelopeKindArgon2id = 2
	EnvelopeKindPBKDF2   = 3

	envelopeHeaderLen    = 5
	envelopeRSAHeaderLen = 5 + 32 + 4
)

// EnvelopeHeader is what a server may read of an envelope.
type EnvelopeHeader struct {
	Kind        byte
	Fingerprint string // lowercase hex, kind 1 only
	KeyVersion  uint32 // kind 1 only
}

// ParseEnvelopeHeader reads the header of a binary envelope. It checks every
// length against what remains and never panics.
func ParseEnvelopeHeader(b []byte) (EnvelopeHeader, error) {
	var h EnvelopeHeader
	if len(b) < envelopeHeaderLen || string(b[:4]) != EnvelopeMagic {
		return h, fmt.Errorf("not a version 2 envelope (bad magic)")
	}
	h.Kind = b[4]
	switch h.Kind {
	case EnvelopeKindRSA:
		if len(b) <= envelopeRSAHeaderLen {
			return h, fmt.Errorf("envelope of kind 1 too short: %d bytes", len(b))
		}
		h.Fingerprint = hex.EncodeToString(b[5:37])
		h.KeyVersion = binary.BigEndian.Uint32(b[37:41])
		if h.KeyVersion == 0 {
			return h, fmt.Errorf("envelope names key version 0")
		}
	case EnvelopeKindArgon2id, EnvelopeKindPBKDF2:
		if len(b) <= envelopeHeaderLen {
			return h, fmt.Errorf("passphrase envelope too short: %d bytes", len(b))
		}
	default:
		return h, fmt.Errorf("unknown envelope kind %d", h.Kind)
	}
	return h, nil
}

// ValidateEnvelope checks an envelope's structure: its kind and fields, that
// Data is strict base64url of a version 2 envelope, and that the header
// agrees with Kind, Fingerprint and KeyVersion. Whether the fingerprint is the
// recipient's current one is for the server to check against its principals.
func ValidateEnvelope(field string, e *Envelope) error {
	if e.SecretVersion == 0 {
		return errf(CodeInvalidEnvelope, field+".secret_version", "secret_version must be at least 1")
	}
	if err := CheckBase64URL(field+".data", e.Data, envelopeHeaderLen+1, MaxEnvelopeLen); err != nil {
		return err
	}
	raw, err := DecodeBase64URL(e.Data)
	if err != nil {
		return errf(CodeInvalidBase64, field+".data", "not strict base64url without padding")
	}
	h, err := ParseEnvelopeHeader(raw)
	if err != nil {
		return errf(CodeInvalidEnvelope, field+".data", "%v", err)
	}
	switch e.Kind {
	case RecipientPrincipal:
		if err := CheckID(field+".principal", e.Principal); err != nil {
			return err
		}
		if !ValidLowerHex(e.Fingerprint, 64) {
			return errf(CodeInvalidEnvelope, field+".fingerprint", "want 64 lowercase hex characters")
		}
		if e.KeyVersion == 0 {
			return errf(CodeInvalidEnvelope, field+".key_version", "key_version must be at least 1")
		}
		if h.Kind != EnvelopeKindRSA {
			return errf(CodeInvalidEnvelope, field+".data", "header kind %d is not a principal envelope (1)", h.Kind)
		}
		if h.Fingerprint != e.Fingerprint {
			return errf(CodeInvalidEnvelope, field+".data", "header fingerprint %s… disagrees with fingerprint %s…", h.Fingerprint[:12], e.Fingerprint[:12])
		}
		if h.KeyVersion != e.KeyVersion {
			return errf(CodeInvalidEnvelope, field+".data", "header key version %d disagrees with key_version %d", h.KeyVersion, e.KeyVersion)
		}
	case RecipientPassphrase:
		if e.Principal != "" || e.Fingerprint != "" || e.KeyVersion != 0 {
			return errf(CodeInvalidEnvelope, field, "a passphrase envelope has no principal, fingerprint or key_version")
		}
		if h.Kind != EnvelopeKindArgon2id && h.Kind != EnvelopeKindPBKDF2 {
			return errf(CodeInvalidEnvelope, field+".data", "header kind %d is not a passphrase envelope (2 or 3)", h.Kind)
		}
	default:
		return errf(CodeInvalidEnvelope, field+".kind", "unknown envelope kind %s: want principal or passphrase", quote(e.Kind))
	}
	return nil
}

// EnvelopeKey identifies an envelope within a space: one per recipient and
// secret version.
func EnvelopeKey(e *Envelope) string {
	if e.Kind == RecipientPassphrase {
		return fmt.Sprintf("passphrase/%d", e.SecretVersion)
	}
	return fmt.Sprintf("principal/%s/%d", e.Principal, e.SecretVersion)
}

// ValidateSpace checks a space's structure: id, kind, metadata, relations,
// envelopes and schemas. The rules that depend on stored state (current keys,
// platform encryption) are the server's.
func ValidateSpace(s *Space) error {
	if err := CheckID("id", s.ID); err != nil {
		return err
	}
	if s.Kind != KindVault && s.Kind != KindFollowUp {
		return errf(CodeInvalidValue, "kind", "unknown space kind %s: want vault or followup", quote(s.Kind))
	}
	if s.SecretVersion == 0 && s.Encrypted {
		return errf(CodeInvalidValue, "secret_version", "an encrypted space needs secret_version at least 1")
	}
	if len(s.Meta) > MaxMeta {
		return errf(CodeTooMany, "meta", "%d entries, at most %d", len(s.Meta), MaxMeta)
	}
	for k, v := range s.Meta {
		if err := CheckName("meta", k); err != nil {
			return err
		}
		if len(v) > MaxMetaValueLen {
			return errf(CodeTooLong, "meta."+k, "%d bytes, at most %d", len(v), MaxMetaValueLen)
		}
	}
	if len(s.Relations) > MaxRelations {
		return errf(CodeTooMany, "relations", "%d relations, at most %d", len(s.Relations), MaxRelations)
	}
	seen := map[Relation]bool{}
	for i, r := range s.Relations {
		p := fmt.Sprintf("relations[%d]", i)
		switch r.Role {
		case RoleOwner, RoleCreator, RoleBeneficiary, RoleGroup:
		default:
			return errf(CodeInvalidValue, p+".role", "unknown role %s", quote(r.Role))
		}
		if err := CheckID(p+".principal", r.Principal); err != nil {
			return err
		}
		if seen[r] {
			return errf(CodeInvalidValue, p, "duplicate relation")
		}
		seen[r] = true
	}
	if len(s.Envelopes) > MaxEnvelopes {
		return errf(CodeTooMany, "envelopes", "%d envelopes, at most %d", len(s.Envelopes), MaxEnvelopes)
	}
	keys := map[string]bool{}
	for i := range s.Envelopes {
		p := fmt.Sprintf("envelopes[%d]", i)
		if err := ValidateEnvelope(p, &s.Envelopes[i]); err != nil {
			return err
		}
		if s.Envelopes[i].SecretVersion > s.SecretVersion {
			return errf(CodeInvalidEnvelope, p+".secret_version", "secret_version %d is newer than the space's %d", s.Envelopes[i].SecretVersion, s.SecretVersion)
		}
		k := EnvelopeKey(&s.Envelopes[i])
		if keys[k] {
			return errf(CodeInvalidEnvelope, p, "two envelopes for %s", k)
		}
		keys[k] = true
	}
	if len(s.Schemas) > MaxSchemas {
		return errf(CodeTooMany, "schemas", "%d schemas, at most %d", len(s.Schemas), MaxSchemas)
	}
	colls := map[string]bool{}
	for i := range s.Schemas {
		if err := ValidateSchema(&s.Schemas[i]); err != nil {
			if e, ok := err.(*Error); ok {
				e.Field = fmt.Sprintf("schemas[%d].%s", i, e.Field)
			}
			return err
		}
		if colls[s.Schemas[i].Collection] {
			return errf(CodeInvalidSchema, fmt.Sprintf("schemas[%d]", i), "two schemas for collection %s", s.Schemas[i].Collection)
		}
		colls[s.Schemas[i].Collection] = true
	}
	return nil
}

// ValidatePrincipal checks a principal's structure. A principal may exist
// without a key yet (key_version 0, no public key), to be provisioned later.
func ValidatePrincipal(p *Principal) error {
	if err := CheckID("id", p.ID); err != nil {
		return err
	}
	switch p.Kind {
	case PrincipalUser, PrincipalGroup, PrincipalMaster:
	default:
		return errf(CodeInvalidValue, "kind", "unknown principal kind %s: want user, group or master", quote(p.Kind))
	}
	if p.PublicKey == "" {
		if p.Fingerprint != "" || p.KeyVersion != 0 || p.SealedKey != "" {
			return errf(CodeInvalidValue, "public_key", "a principal without a public key has no fingerprint, key_version or sealed_key")
		}
		return nil
	}
	if err := CheckBase64URL("public_key", p.PublicKey, 1, MaxPublicKeyLen); err != nil {
		return err
	}
	if !ValidLowerHex(p.Fingerprint, 64) {
		return errf(CodeInvalidHex, "fingerprint", "want 64 lowercase hex characters")
	}
	if p.KeyVersion == 0 {
		return errf(CodeInvalidValue, "key_version", "key_version must be at least 1 when a public key is given")
	}
	if p.SealedKey != "" {
		if err := CheckBase64URL("sealed_key", p.SealedKey, envelopeHeaderLen+1, MaxSealedKeyLen); err != nil {
			return err
		}
	}
	return nil
}
