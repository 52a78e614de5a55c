// RSA key encodings without crypto/x509 (summary):
//
//   - Public keys: SubjectPublicKeyInfo DER (RFC 5280) with AlgorithmIdentifier
//     rsaEncryption and NULL parameters around an RSAPublicKey (RFC 8017). An
//     RSA-4096 key with e = 65537 has exactly one such encoding: 550 bytes, a
//     fixed prefix, the 512-byte modulus, a fixed suffix.
//   - Private keys: PKCS #8 DER (RFC 5208) around a PKCS #1 RSAPrivateKey,
//     parsed with the rules of encoding/asn1 and crypto/x509 (which the tests
//     check on random and mutated inputs), then checked for consistency as
//     crypto/rsa's PrivateKey.Validate does, with math/big (rsacheck.go).
//
// crypto/x509 would do all of this, but importing it links every key type
// it knows (ECDSA, Ed25519, the NIST curves, DSA, net for certificates):
// about 300 KB of the brotli-compressed WebAssembly module, for the two
// structures zkvault reads. encoding/asn1 costs another 57 KB (its init
// keeps math/big's formatting). This file needs neither, nor crypto/rsa:
// the browser module, which leaves RSA to WebCrypto, checks keys with it
// and links no Go RSA (native_rsa.go).

package prim

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// spkiPrefix is the canonical SubjectPublicKeyInfo of an RSA-4096 key up to
// the modulus: SEQUENCE { SEQUENCE { OID rsaEncryption, NULL }, BIT STRING
// { SEQUENCE { INTEGER n (513 bytes: 0x00, then the modulus) ...
var spkiPrefix = []byte{
	0x30, 0x82, 0x02, 0x22, // SubjectPublicKeyInfo, 546 bytes
	0x30, 0x0d, // AlgorithmIdentifier
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, // rsaEncryption
	0x05, 0x00, // NULL
	0x03, 0x82, 0x02, 0x0f, 0x00, // BIT STRING, 527 bytes, no unused bits
	0x30, 0x82, 0x02, 0x0a, // RSAPublicKey, 522 bytes
	0x02, 0x82, 0x02, 0x01, 0x00, // modulus, 513 bytes
}

// spkiSuffix follows the modulus: INTEGER 65537.
var spkiSuffix = []byte{0x02, 0x03, 0x01, 0x00, 0x01}

// rsaEncryptionOID is the content of the OBJECT IDENTIFIER 1.2.840.113549.1.1.1.
var rsaEncryptionOID = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}

const spkiSize = 550 // len(spkiPrefix) + RSABits/8 + len(spkiSuffix)

// CheckRSAPublicKey checks a SubjectPublicKeyInfo DER RSA public key with
// the rules of Provider.ImportRSAPublic (ParseRSAPublicKey's): a 4096-bit
// modulus, e = 65537 and the canonical encoding, nothing before or after it.
// Errors wrap ErrInvalidKey.
func CheckRSAPublicKey(spki []byte) error {
	_, err := rsaModulus(spki)
	return err
}

// rsaModulus returns the modulus of a key that CheckRSAPublicKey accepts.
func rsaModulus(spki []byte) ([]byte, error) {
	if len(spki) != spkiSize || !bytes.HasPrefix(spki, spkiPrefix) || !bytes.HasSuffix(spki, spkiSuffix) {
		return nil, fmt.Errorf("%w: not the canonical SubjectPublicKeyInfo of an RSA-%d key with e = %d", ErrInvalidKey, RSABits, RSAPublicExp)
	}
	n := spki[len(spkiPrefix) : len(spkiPrefix)+RSABits/8]
	if n[0]&0x80 == 0 {
		// Then the INTEGER is not minimal, or the modulus is shorter.
		return nil, fmt.Errorf("%w: RSA modulus is not %d bits in canonical DER", ErrInvalidKey, RSABits)
	}
	return n, nil
}

// spkiOf returns the canonical SubjectPublicKeyInfo DER of the RSA-4096 key
// with modulus n and e = 65537 (the bytes crypto/x509's
// MarshalPKIXPublicKey gives).
func spkiOf(n nat, e int) ([]byte, error) {
	if err := checkRSAPublicParams(n, e); err != nil {
		return nil, err
	}
	out := make([]byte, spkiSize)
	copy(out, spkiPrefix)
	n.fillBytes(out[len(spkiPrefix) : len(spkiPrefix)+RSABits/8])
	copy(out[len(spkiPrefix)+RSABits/8:], spkiSuffix)
	return out, nil
}

// checkRSAPublicParams enforces the only RSA parameters zkvault uses.
func checkRSAPublicParams(n nat, e int) error {
	if bits := n.bitLen(); bits != RSABits {
		return fmt.Errorf("%w: RSA modulus is %d bits, want %d", ErrInvalidKey, bits, RSABits)
	}
	if e != RSAPublicExp {
		return fmt.Errorf("%w: RSA public exponent is %d, want %d", ErrInvalidKey, e, RSAPublicExp)
	}
	return nil
}

// RSAPrivateKeySPKI checks a PKCS #8 DER RSA private key with the rules of
// Provider.ImportRSAPrivate (ParseRSAPrivateKey's) and returns the
// SubjectPublicKeyInfo of its public key. It links no RSA: the WebCrypto
// provider calls it before it hands the key to WebCrypto. Errors wrap
// ErrInvalidKey.
func RSAPrivateKeySPKI(pkcs8 []byte) ([]byte, error) {
	k, err := parseRSAPrivate(pkcs8)
	if err != nil {
		return nil, err
	}
	return spkiOf(k.n, k.e)
}

// parseRSAPrivate parses pkcs8 and checks the key: the rules of
// ParseRSAPrivateKey.
func parseRSAPrivate(pkcs8 []byte) (*rsaKey, error) {
	k, err := parsePKCS8(pkcs8)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	if err := checkRSAPublicParams(k.n, k.e); err != nil {
		return nil, err
	}
	return k, nil
}

var (
	errDER        = errors.New("malformed DER")
	errNotRSA     = errors.New("PKCS #8 does not hold an RSA key")
	errRSAVersion = errors.New("unsupported RSA private key version")
	errRSAValue   = errors.New("RSA private key contains a zero or negative value")
	errMultiPrime = errors.New("multi-prime RSA key")
)

// ASN.1 identifiers: universal class, the tags zkvault's structures use.
const (
	tagInteger     = 2
	tagOctetString = 4
	tagOID         = 6
	tagSequence    = 16
)

// derElem is one element as encoding/asn1 reads it.
type derElem struct {
	class, tag int
	compound   bool
	body       []byte
}

// is reports whether e is the universal element tag, constructed or not.
func (e derElem) is(tag int, compound bool) bool {
	return e.class == 0 && e.tag == tag && e.compound == compound
}

// derHeader reads the identifier and length octets at b[off:] exactly as
// encoding/asn1's parseTagAndLength does, returning the element's length
// and the offset of its contents; it does not check the length against b.
func derHeader(b []byte, off int) (e derElem, length, next int, err error) {
	if off >= len(b) {
		return e, 0, 0, errDER
	}
	c := b[off]
	off++
	e.class = int(c >> 6)
	e.compound = c&0x20 != 0
	e.tag = int(c & 0x1f)
	if e.tag == 0x1f {
		e.tag, off, err = derBase128(b, off)
		if err != nil {
			return e, 0, 0, err
		}
		if e.tag < 0x1f {
			return e, 0, 0, errDER // non-minimal tag
		}
	}
	if off >= len(b) {
		return e, 0, 0, errDER
	}
	c = b[off]
	off++
	if c&0x80 == 0 {
		return e, int(c), off, nil
	}
	n := int(c & 0x7f)
	if n == 0 {
		return e, 0, 0, errDER // indefinite length
	}
	for range n {
		if off >= len(b) {
			return e, 0, 0, errDER
		}
		if length >= 1<<23 {
			return e, 0, 0, errDER
		}
		length = length<<8 | int(b[off])
		off++
		if length == 0 {
			return e, 0, 0, errDER // leading zeros
		}
	}
	if length < 0x80 {
		return e, 0, 0, errDER // non-minimal length
	}
	return e, length, off, nil
}

// derBase128 is encoding/asn1's parseBase128Int.
func derBase128(b []byte, off int) (int, int, error) {
	var v int64
	for shifted := 0; off < len(b); shifted++ {
		if shifted == 5 {
			return 0, 0, errDER
		}
		c := b[off]
		if shifted == 0 && c == 0x80 {
			return 0, 0, errDER
		}
		v = v<<7 | int64(c&0x7f)
		off++
		if c&0x80 == 0 {
			if v > math.MaxInt32 {
				return 0, 0, errDER
			}
			return int(v), off, nil
		}
	}
	return 0, 0, errDER
}

// derReader walks the contents of a SEQUENCE field by field, as
// encoding/asn1 fills a struct: bytes after the last field are ignored.
type derReader struct {
	b   []byte
	off int
}

// read reads the next element, which must be the universal element tag
// (with optional, a missing or different element is absent: ok false).
func (r *derReader) read(tag int, compound, optional bool) (e derElem, ok bool, err error) {
	if r.off == len(r.b) {
		if optional {
			return e, false, nil
		}
		return e, false, errDER // sequence truncated
	}
	e, length, next, err := derHeader(r.b, r.off)
	if err != nil {
		return e, false, err
	}
	if !e.is(tag, compound) {
		if optional {
			return e, false, nil
		}
		return e, false, errDER
	}
	if next+length < next || next+length > len(r.b) {
		return e, false, errDER // data truncated
	}
	e.body = r.b[next : next+length]
	r.off = next + length
	return e, true, nil
}

// skipAny skips the next element whatever its tag, if there is one (an
// optional asn1.RawValue).
func (r *derReader) skipAny() error {
	if r.off == len(r.b) {
		return nil
	}
	_, length, next, err := derHeader(r.b, r.off)
	if err != nil {
		return err
	}
	if next+length < next || next+length > len(r.b) {
		return errDER
	}
	r.off = next + length
	return nil
}

// derOne parses b as exactly one element of the given universal tag, with
// nothing after it, and returns its contents.
func derOne(b []byte, tag int, compound bool) ([]byte, error) {
	r := derReader{b: b}
	e, _, err := r.read(tag, compound, false)
	if err != nil {
		return nil, err
	}
	if r.off != len(b) {
		return nil, errDER // trailing data
	}
	return e.body, nil
}

// derInt64 is encoding/asn1's parseInt64.
func derInt64(b []byte) (int64, error) {
	if err := derCheckInteger(b); err != nil {
		return 0, err
	}
	if len(b) > 8 {
		return 0, errDER
	}
	var v int64
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	shift := 64 - uint(len(b))*8
	return v << shift >> shift, nil
}

// derCheckInteger is encoding/asn1's checkInteger: not empty, minimal.
func derCheckInteger(b []byte) error {
	if len(b) == 0 {
		return errDER
	}
	if len(b) > 1 && (b[0] == 0 && b[1]&0x80 == 0 || b[0] == 0xff && b[1]&0x80 != 0) {
		return errDER
	}
	return nil
}

// derPositive parses a big INTEGER that must be positive (crypto/x509
// refuses zero and negative values in RSA private keys).
func derPositive(b []byte) (nat, error) {
	if err := derCheckInteger(b); err != nil {
		return nil, err
	}
	if b[0]&0x80 != 0 {
		return nil, errRSAValue
	}
	n := natFromBytes(b)
	if len(n) == 0 {
		return nil, errRSAValue
	}
	return n, nil
}

// parsePKCS8 is crypto/x509's ParsePKCS8PrivateKey restricted to RSA keys,
// after the check that pkcs8 is one DER element with nothing after it.
func parsePKCS8(pkcs8 []byte) (*rsaKey, error) {
	// asn1.Unmarshal into an asn1.RawValue, with no rest.
	outer := derReader{b: pkcs8}
	if err := outer.skipAny(); err != nil || len(pkcs8) == 0 || outer.off != len(pkcs8) {
		return nil, errors.New("PKCS #8 is not one DER structure")
	}
	// PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm
	// AlgorithmIdentifier, privateKey OCTET STRING, ... }
	body, err := derOne(pkcs8, tagSequence, true)
	if err != nil {
		return nil, err
	}
	r := derReader{b: body}
	v, _, err := r.read(tagInteger, false, false)
	if err != nil {
		return nil, err
	}
	if _, err := derInt64(v.body); err != nil { // any version
		return nil, err
	}
	alg, _, err := r.read(tagSequence, true, false)
	if err != nil {
		return nil, err
	}
	a := derReader{b: alg.body}
	oid, _, err := a.read(tagOID, false, false)
	if err != nil {
		return nil, err
	}
	if err := a.skipAny(); err != nil { // parameters, optional and unchecked
		return nil, err
	}
	key, _, err := r.read(tagOctetString, false, false)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(oid.body, rsaEncryptionOID) {
		return nil, errNotRSA
	}
	return parsePKCS1(key.body)
}

// parsePKCS1 is crypto/x509's ParsePKCS1PrivateKey (with GODEBUG
// x509rsacrt at its default).
//
//	RSAPrivateKey ::= SEQUENCE { version INTEGER, n, e, d, p, q INTEGER,
//	    dP, dQ, qInv INTEGER (optional in Go), otherPrimeInfos SEQUENCE
//	    OF ... OPTIONAL, ... }
func parsePKCS1(der []byte) (*rsaKey, error) {
	body, err := derOne(der, tagSequence, true)
	if err != nil {
		return nil, err
	}
	r := derReader{b: body}
	var ints [9][]byte // version, n, e, d, p, q, dP, dQ, qInv
	for i := range ints {
		e, ok, err := r.read(tagInteger, false, i >= 6)
		if err != nil {
			return nil, err
		}
		if ok {
			if err := derCheckInteger(e.body); err != nil {
				return nil, err
			}
			ints[i] = e.body
		}
	}
	// Other primes: absent, or an empty SEQUENCE OF (a multi-prime key is
	// refused whether or not its primes parse).
	if others, ok, err := r.read(tagSequence, true, true); err != nil {
		return nil, err
	} else if ok && len(others.body) != 0 {
		return nil, errMultiPrime
	}
	version, err := derInt64(ints[0])
	if err != nil {
		return nil, err
	}
	e, err := derInt64(ints[2])
	if err != nil {
		return nil, err
	}
	if version > 1 {
		return nil, errRSAVersion
	}
	var v [9]nat
	for _, i := range []int{1, 3, 4, 5, 6, 7, 8} {
		if ints[i] == nil {
			continue
		}
		if v[i], err = derPositive(ints[i]); err != nil {
			return nil, err
		}
	}
	if e > math.MaxInt || e < math.MinInt {
		return nil, errDER
	}
	k := &rsaKey{n: v[1], e: int(e), d: v[3], p: v[4], q: v[5], dp: v[6], dq: v[7], qinv: v[8]}
	if err := k.check(); err != nil {
		return nil, err
	}
	return k, nil
}

// derAppendElem appends an element with identifier octet id and contents body.
func derAppendElem(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	switch n := len(body); {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 1<<8:
		b = append(b, 0x81, byte(n))
	case n < 1<<16:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, body...)
}
