//go:build !zkvault_nogorsa

// The native provider's RSA (summary): RSA-OAEP with SHA-256 and
// MGF1-SHA-256 (crypto/rsa, RFC 8017), 4096-bit keys with e = 65537, keys
// parsed and encoded by der.go and checked by rsacheck.go, then by
// crypto/rsa's Validate as well.
//
// The browser module is built with -tags=zkvault_nogorsa
// (scripts/build-wasm.sh): it leaves RSA to WebCrypto, so this file, Native
// and crypto/rsa are not in it (crypto/rsa's package initialisation alone
// costs about 16 KB brotli), and code of the module that called Native
// would not compile.

package prim

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"
)

// Native returns the pure-Go provider: the Go standard library, on every
// platform including js/wasm (but not in the browser module's build). It is
// safe for concurrent use.
//
// Its private keys live in Go memory; extractable only decides whether
// ExportPKCS8 answers.
func Native() Provider { return nativeProvider{} }

type nativeProvider struct{ nativeSymmetric }

var _ Provider = nativeProvider{}

func (nativeProvider) Name() string { return "native" }

// ParseRSAPublicKey parses a SubjectPublicKeyInfo DER RSA public key with
// the rules of Provider.ImportRSAPublic (CheckRSAPublicKey's). Errors wrap
// ErrInvalidKey.
func ParseRSAPublicKey(spki []byte) (*rsa.PublicKey, error) {
	n, err := rsaModulus(spki)
	if err != nil {
		return nil, err
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: RSAPublicExp}, nil
}

// MarshalRSAPublicKey returns the canonical SubjectPublicKeyInfo DER of an
// RSA-4096 public key with e = 65537 (the bytes crypto/x509's
// MarshalPKIXPublicKey gives). Other keys are an error wrapping
// ErrInvalidKey.
func MarshalRSAPublicKey(k *rsa.PublicKey) ([]byte, error) {
	if k == nil {
		return nil, checkRSAPublicParams(nil, 0)
	}
	return spkiOf(natOf(k.N), k.E)
}

// ParseRSAPrivateKey parses a PKCS #8 DER RSA private key with the rules of
// Provider.ImportRSAPrivate: one DER structure with nothing after it, an
// RSA key that crypto/x509's ParsePKCS8PrivateKey accepts (consistent, as
// rsa.PrivateKey.Validate checks), two primes, a 4096-bit modulus and
// e = 65537. It accepts exactly what RSAPrivateKeySPKI accepts. Errors wrap
// ErrInvalidKey.
func ParseRSAPrivateKey(pkcs8 []byte) (*rsa.PrivateKey, error) {
	rk, err := parseRSAPrivate(pkcs8)
	if err != nil {
		return nil, err
	}
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: bigOf(rk.n), E: rk.e},
		D:         bigOf(rk.d),
		Primes:    []*big.Int{bigOf(rk.p), bigOf(rk.q)},
	}
	k.Precomputed.Dp, k.Precomputed.Dq, k.Precomputed.Qinv = bigOf(rk.dp), bigOf(rk.dq), bigOf(rk.qinv)
	k.Precompute()
	// rsacheck.go has checked what Validate checks; this keeps the native
	// provider safe should the two ever disagree (the tests would say so).
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return k, nil
}

func checkRSAPublic(k *rsa.PublicKey) error {
	if k == nil {
		return checkRSAPublicParams(nil, 0)
	}
	return checkRSAPublicParams(natOf(k.N), k.E)
}

// natOf returns |x| as a nat (zero for nil).
func natOf(x *big.Int) nat {
	if x == nil {
		return nil
	}
	return natFromBytes(x.Bytes())
}

// bigOf returns x as a big.Int.
func bigOf(x nat) *big.Int {
	b := make([]byte, (x.bitLen()+7)/8)
	x.fillBytes(b)
	return new(big.Int).SetBytes(b)
}

func (nativeProvider) GenerateRSA(ctx context.Context, extractable bool) (PrivateKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Since Go 1.26 crypto/rsa draws from the system's secure source
	// whatever reader it is given.
	k, err := rsa.GenerateKey(rand.Reader, RSABits)
	if err != nil {
		return nil, err
	}
	return newNativePrivate(k, extractable)
}

func (nativeProvider) ImportRSAPublic(_ context.Context, spki []byte) (PublicKey, error) {
	// A key has one encoding, so that it has one fingerprint: any other DER
	// spelling of the same key (absent NULL parameters, ...) is refused.
	k, err := ParseRSAPublicKey(spki)
	if err != nil {
		return nil, err
	}
	return newNativePublic(k)
}

func (nativeProvider) ImportRSAPrivate(_ context.Context, pkcs8 []byte, extractable bool) (PrivateKey, error) {
	k, err := ParseRSAPrivateKey(pkcs8) // also validates the key
	if err != nil {
		return nil, err
	}
	return newNativePrivate(k, extractable)
}

type nativePublic struct {
	key  *rsa.PublicKey
	spki []byte
}

func newNativePublic(k *rsa.PublicKey) (*nativePublic, error) {
	spki, err := MarshalRSAPublicKey(k)
	if err != nil {
		return nil, err
	}
	return &nativePublic{key: k, spki: spki}, nil
}

func (p *nativePublic) SPKI() []byte { return bytes.Clone(p.spki) }

func (p *nativePublic) Encrypt(ctx context.Context, msg, label []byte) ([]byte, error) {
	if len(msg) > RSAOAEPMaxMessage {
		return nil, fmt.Errorf("prim: RSA-OAEP message is %d bytes, at most %d", len(msg), RSAOAEPMaxMessage)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// EncryptOAEP uses the same hash (SHA-256) for OAEP and MGF1.
	return rsa.EncryptOAEP(sha256.New(), rand.Reader, p.key, msg, label)
}

type nativePrivate struct {
	key         *rsa.PrivateKey
	pub         *nativePublic
	extractable bool
}

func newNativePrivate(k *rsa.PrivateKey, extractable bool) (*nativePrivate, error) {
	if err := checkRSAPublic(&k.PublicKey); err != nil {
		return nil, err
	}
	if len(k.Primes) != 2 {
		return nil, fmt.Errorf("%w: multi-prime RSA key", ErrInvalidKey)
	}
	pub, err := newNativePublic(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &nativePrivate{key: k, pub: pub, extractable: extractable}, nil
}

func (k *nativePrivate) Public() PublicKey { return k.pub }

var oaepSHA256 = rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA256}

func (k *nativePrivate) Decrypt(ctx context.Context, ciphertext, label []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(ciphertext) != RSACiphertextSize {
		return nil, ErrDecrypt
	}
	opts := oaepSHA256
	opts.Label = label
	out, err := k.key.Decrypt(nil, ciphertext, &opts)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

func (k *nativePrivate) ExportPKCS8(_ context.Context) ([]byte, error) {
	if !k.extractable {
		return nil, ErrNotExtractable
	}
	return marshalPKCS8(k.key)
}

// marshalPKCS8 returns the PKCS #8 DER of a two-prime RSA key, the bytes
// crypto/x509's MarshalPKCS8PrivateKey gives.
func marshalPKCS8(k *rsa.PrivateKey) ([]byte, error) {
	if len(k.Primes) != 2 {
		return nil, errMultiPrime
	}
	k.Precompute()
	if err := k.Validate(); err != nil {
		return nil, err
	}
	var pkcs1 []byte
	pkcs1 = derAppendInt(pkcs1, big.NewInt(0))
	for _, n := range []*big.Int{k.N, big.NewInt(int64(k.E)), k.D, k.Primes[0], k.Primes[1],
		k.Precomputed.Dp, k.Precomputed.Dq, k.Precomputed.Qinv} {
		if n == nil || n.Sign() < 0 {
			return nil, errRSAValue
		}
		pkcs1 = derAppendInt(pkcs1, n)
	}
	pkcs1 = derAppendElem(nil, 0x30, pkcs1)

	var info []byte
	info = derAppendInt(info, big.NewInt(0))
	info = derAppendElem(info, 0x30, append(derAppendElem(nil, 0x06, rsaEncryptionOID), 0x05, 0x00))
	info = derAppendElem(info, 0x04, pkcs1)
	return derAppendElem(nil, 0x30, info), nil
}

// derAppendInt appends a non-negative INTEGER in minimal form.
func derAppendInt(b []byte, n *big.Int) []byte {
	v := n.Bytes()
	if len(v) == 0 || v[0]&0x80 != 0 {
		v = append([]byte{0}, v...)
	}
	return derAppendElem(b, 0x02, v)
}
