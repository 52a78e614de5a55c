package zkvault

import (
	"io"
	"strconv"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/wasm/prim"
)

// Identifier rules of docs/spec/00-overview.md are api.ValidID,
// api.ValidName and api.ParseKeyVersion; these wrap them with parse errors.

func checkID(what, s string) error {
	if !api.ValidID(s) {
		return parseErr(what, "%q is not a valid id", s)
	}
	return nil
}

func checkName(what, s string) error {
	if !api.ValidName(s) {
		return parseErr(what, "%q is not a valid name", s)
	}
	return nil
}

// kid returns the key id of secret version v: its decimal string.
func kid(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// decodeB64 decodes base64url without padding, strictly: it rejects padding,
// any byte outside A–Z a–z 0–9 - _ (encoding/base64 alone skips \r and \n)
// and non-canonical trailing bits.
func decodeB64(s string) ([]byte, error) { return api.DecodeBase64URL(s) }

// testRand, when set, replaces the provider's randomness for nonces, salts
// and file keys. Only the known-answer vector generator and its test set it,
// to reproduce fixed vectors; it is never set in production code.
var testRand io.Reader

func random(p prim.Provider, b []byte) error {
	if testRand != nil {
		_, err := io.ReadFull(testRand, b)
		return err
	}
	return p.Random(b)
}
