// Crypto summary (key holder):
//
//   - A KeyHolder wraps an RSA-4096 private key (prim.PrivateKey) and
//     performs operations with it: it opens kind 1 envelopes. It has no
//     method that returns key bytes in clear except ExportPEM (asked for
//     explicitly); SealWithPassphrase, ExportSealedPEM (the master key's
//     offline backup) and SealGroupKey return the PKCS #8 only inside an
//     envelope.
//   - A principal's private key at rest is a passphrase envelope (kind 2 or
//     3) of its PKCS #8 DER with context tuple(LabelPrivateKey, principal
//     id, key version); a group's private key is a kind 1 envelope per
//     member and for the master with context tuple(LabelGroupKey, group id,
//     key version).

package zkvault

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"

	"github.com/zkvault/zkvault/wasm/prim"
)

// KeyHolder holds one version of a principal's RSA-4096 private key and
// uses it without handing it out (as upspin's Factotum). It is an Identity:
// it opens kind 1 envelopes made for its fingerprint.
type KeyHolder struct {
	p       prim.Provider
	key     prim.PrivateKey
	spki    []byte
	fp      Fingerprint
	version uint32
}

var _ Identity = (*KeyHolder)(nil)

// GenerateKeyHolder makes a fresh RSA-4096 key pair of version keyVersion
// (≥ 1). With extractable false the provider keeps the key where it cannot
// be read (WebCrypto: a non-extractable CryptoKey), and SealWithPassphrase,
// SealGroupKey and ExportPEM fail with prim.ErrNotExtractable.
func GenerateKeyHolder(ctx context.Context, p prim.Provider, keyVersion uint32, extractable bool) (*KeyHolder, error) {
	if keyVersion == 0 {
		return nil, errors.New("zkvault: key version 0")
	}
	key, err := p.GenerateRSA(ctx, extractable)
	if err != nil {
		return nil, err
	}
	return NewKeyHolder(ctx, p, key, keyVersion)
}

// NewKeyHolder wraps a provider private key (for example one loaded from
// the browser's key store) as version keyVersion.
func NewKeyHolder(ctx context.Context, p prim.Provider, key prim.PrivateKey, keyVersion uint32) (*KeyHolder, error) {
	if keyVersion == 0 {
		return nil, errors.New("zkvault: key version 0")
	}
	spki := key.Public().SPKI()
	fp, err := FingerprintOf(ctx, p, spki)
	if err != nil {
		return nil, err
	}
	return &KeyHolder{p: p, key: key, spki: spki, fp: fp, version: keyVersion}, nil
}

// ImportPEM reads a "PRIVATE KEY" (PKCS #8) PEM block, as ExportPEM writes
// it: the master key's backup.
func ImportPEM(ctx context.Context, p prim.Provider, pemBytes []byte, keyVersion uint32, extractable bool) (*KeyHolder, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, parseErr("PEM private key", "no PRIVATE KEY block")
	}
	defer clear(block.Bytes)
	key, err := p.ImportRSAPrivate(ctx, block.Bytes, extractable)
	if err != nil {
		return nil, err
	}
	return NewKeyHolder(ctx, p, key, keyVersion)
}

// OpenSealedKey opens a principal's private key sealed under its passphrase
// (SealWithPassphrase) for principal principalID, key version keyVersion.
// A wrong passphrase, or an envelope of another principal or version, is
// ErrIncorrectKey.
func OpenSealedKey(ctx context.Context, p prim.Provider, sealed []byte, passphrase, principalID string, keyVersion uint32, extractable bool) (*KeyHolder, error) {
	return openKey(ctx, p, NewPassphraseIdentity(p, passphrase), sealed, PrivateKeyContext(principalID, keyVersion), keyVersion, extractable)
}

// OpenGroupKey opens a group's private key sealed for id (SealGroupKey),
// for group groupID, key version keyVersion.
func OpenGroupKey(ctx context.Context, p prim.Provider, id Identity, sealed []byte, groupID string, keyVersion uint32, extractable bool) (*KeyHolder, error) {
	return openKey(ctx, p, id, sealed, GroupKeyContext(groupID, keyVersion), keyVersion, extractable)
}

func openKey(ctx context.Context, p prim.Provider, id Identity, sealed, envCtx []byte, keyVersion uint32, extractable bool) (*KeyHolder, error) {
	pkcs8, err := id.Unwrap(ctx, envCtx, sealed)
	if err != nil {
		return nil, err
	}
	defer clear(pkcs8)
	key, err := p.ImportRSAPrivate(ctx, pkcs8, extractable)
	if err != nil {
		return nil, fmt.Errorf("zkvault: sealed key: %w", err)
	}
	return NewKeyHolder(ctx, p, key, keyVersion)
}

// Fingerprint returns the fingerprint of the public key.
func (k *KeyHolder) Fingerprint() Fingerprint { return k.fp }

// KeyVersion returns the key's version.
func (k *KeyHolder) KeyVersion() uint32 { return k.version }

// Public returns the public key.
func (k *KeyHolder) Public() prim.PublicKey { return k.key.Public() }

// SPKI returns the public key's SubjectPublicKeyInfo DER.
func (k *KeyHolder) SPKI() []byte { return k.key.Public().SPKI() }

// Recipient returns the recipient that wraps for this key, naming
// principalID in the envelopes it makes.
func (k *KeyHolder) Recipient(principalID string) *RSARecipient {
	return &RSARecipient{p: k.p, pub: k.key.Public(), fp: k.fp, keyVersion: k.version, principalID: principalID}
}

// Unwrap implements Identity: it opens a kind 1 envelope made for this key.
func (k *KeyHolder) Unwrap(ctx context.Context, envCtx, envelope []byte) ([]byte, error) {
	return unwrapRSA(ctx, k.p, k.key, k.fp, envCtx, envelope)
}

// SealWithPassphrase seals the private key (PKCS #8 DER) under passphrase
// for principal principalID (params zero value: DefaultArgon2id), for
// storage on the server as api.Principal.SealedKey.
func (k *KeyHolder) SealWithPassphrase(ctx context.Context, principalID, passphrase string, params PassphraseParams) ([]byte, error) {
	if err := checkID("principal id", principalID); err != nil {
		return nil, err
	}
	r, err := NewPassphraseRecipientWithParams(k.p, passphrase, params)
	if err != nil {
		return nil, err
	}
	return k.seal(ctx, r, PrivateKeyContext(principalID, k.version))
}

// SealGroupKey seals this key, the private key of group groupID, for a
// member or the master (envelope encryption: the PKCS #8 is larger than one
// RSA block).
func (k *KeyHolder) SealGroupKey(ctx context.Context, groupID string, to Recipient) ([]byte, error) {
	if err := checkID("group id", groupID); err != nil {
		return nil, err
	}
	return k.seal(ctx, to, GroupKeyContext(groupID, k.version))
}

func (k *KeyHolder) seal(ctx context.Context, r Recipient, envCtx []byte) ([]byte, error) {
	pkcs8, err := k.key.ExportPKCS8(ctx)
	if err != nil {
		return nil, err
	}
	defer clear(pkcs8)
	return r.Wrap(ctx, envCtx, pkcs8)
}

// SealedPEMType is the PEM block type of a private key sealed under a
// passphrase for offline backup (ExportSealedPEM).
const SealedPEMType = "ZKVAULT SEALED PRIVATE KEY"

// ExportSealedPEM returns the offline backup of the key (the platform
// master key's, typically) as a PEM block of type SealedPEMType whose bytes
// are the passphrase envelope SealWithPassphrase makes, and whose headers
// name the principal, the key version and the fingerprint, so that a person
// can tell backups apart and the importer can check it got the key it
// expected. Unlike a plain PKCS #8 PEM, a copied file is useless without the
// passphrase.
func (k *KeyHolder) ExportSealedPEM(ctx context.Context, principalID, passphrase string, params PassphraseParams) ([]byte, error) {
	sealed, err := k.SealWithPassphrase(ctx, principalID, passphrase, params)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{
		Type: SealedPEMType,
		Headers: map[string]string{
			"Principal":   principalID,
			"Key-Version": kid(k.version),
			"Fingerprint": k.fp.String(),
		},
		Bytes: sealed,
	}), nil
}

// ImportSealedPEM opens a backup written by ExportSealedPEM with its
// passphrase. It returns the key holder and the principal id the backup
// names. A wrong passphrase is ErrIncorrectKey; a file whose headers do not
// match the sealed key (edited, or spliced from two backups) fails too,
// because the principal and version are bound into the envelope and the
// fingerprint is compared after opening.
func ImportSealedPEM(ctx context.Context, p prim.Provider, pemBytes []byte, passphrase string, extractable bool) (*KeyHolder, string, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != SealedPEMType {
		return nil, "", parseErr("sealed PEM", "no %s block", SealedPEMType)
	}
	principalID := block.Headers["Principal"]
	if err := checkID("principal id", principalID); err != nil {
		return nil, "", err
	}
	version, err := strconv.ParseUint(block.Headers["Key-Version"], 10, 32)
	if err != nil || version == 0 || kid(uint32(version)) != block.Headers["Key-Version"] {
		return nil, "", parseErr("sealed PEM", "bad Key-Version header")
	}
	want, err := ParseFingerprint(block.Headers["Fingerprint"])
	if err != nil {
		return nil, "", err
	}
	k, err := OpenSealedKey(ctx, p, block.Bytes, passphrase, principalID, uint32(version), extractable)
	if err != nil {
		return nil, "", err
	}
	if k.fp != want {
		return nil, "", parseErr("sealed PEM", "fingerprint header does not match the key")
	}
	return k, principalID, nil
}

// ExportPEM returns the private key as a PKCS #8 "PRIVATE KEY" PEM block, in
// clear, for interoperation with other tools. Prefer ExportSealedPEM for a
// backup: a clear PEM is the key itself for whoever copies the file.
func (k *KeyHolder) ExportPEM(ctx context.Context) ([]byte, error) {
	pkcs8, err := k.key.ExportPKCS8(ctx)
	if err != nil {
		return nil, err
	}
	defer clear(pkcs8)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), nil
}
