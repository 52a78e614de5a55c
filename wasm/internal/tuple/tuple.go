// Package tuple is the one unambiguous byte encoding zkvault uses wherever
// several strings are fed to a hash, a KDF or an AEAD as one input: HKDF info
// strings, associated data, RSA-OAEP labels and compound blind-index inputs.
//
// # Format
//
// A tuple of parts p1 … pn is the concatenation, for each part, of its length
// as a 4-byte big-endian unsigned integer followed by its bytes:
//
//	u32be(len(p1)) || p1 || u32be(len(p2)) || p2 || … || u32be(len(pn)) || pn
//
// By convention the first part is a versioned label such as
// "zkvault/v2/field". Because every part carries its length, no choice of
// part contents can make two different tuples encode to the same bytes.
package tuple

import "encoding/binary"

// MaxPart is the largest part Append accepts; longer parts panic, since every
// caller passes bounded, validated names and ids.
const MaxPart = 1 << 24

// Append appends the tuple encoding of parts to dst and returns the result.
func Append(dst []byte, parts ...[]byte) []byte {
	for _, p := range parts {
		if len(p) > MaxPart {
			panic("tuple: part too long")
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(p)))
		dst = append(dst, p...)
	}
	return dst
}

// Strings returns the tuple encoding of string parts.
func Strings(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += 4 + len(p)
	}
	return AppendStrings(make([]byte, 0, n), parts...)
}

// AppendStrings appends the tuple encoding of string parts to dst and
// returns the result, as Append does.
func AppendStrings(dst []byte, parts ...string) []byte {
	for _, p := range parts {
		if len(p) > MaxPart {
			panic("tuple: part too long")
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(p)))
		dst = append(dst, p...)
	}
	return dst
}
