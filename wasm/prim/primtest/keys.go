package primtest

import (
	"bytes"
	"embed"
	"encoding/pem"
	"fmt"
	"testing"
)

// The test keys were generated once with OpenSSL 3.0
// (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096) and are test
// material only. The reject-* keys are well-formed keys that a provider must
// refuse: RSA-2048, RSA-4096 with e = 3, three-prime RSA-4096, EC P-256.
//
//go:embed testdata/*.pem
var testdata embed.FS

// NumKeys is the number of RSA-4096 test keys Keys returns.
const NumKeys = 3

// keyFingerprints are the SHA-256 digests of the test keys' SPKI DER,
// computed with OpenSSL (openssl pkey -pubout -outform DER | sha256sum).
var keyFingerprints = [NumKeys]string{
	"c7bf9a37e9b340b63cd83f1eef25315a0b029c971ca88b05152afeac7cb80ac6",
	"bbea3698817a3533e720155e901c328cba91b67f26932556b0856003ac8375f3",
	"f3355cb1525603c4c5d443f7d4089ed853d3e5d2c1714755cd74759160dc387b",
}

// Keys returns the PKCS #8 DER encodings of NumKeys pre-generated RSA-4096
// (e = 65537) private keys, in canonical DER (what a provider's ExportPKCS8
// returns for them). Tests use them instead of generating keys, which takes
// seconds. Each call returns fresh copies.
func Keys(t testing.TB) [][]byte {
	t.Helper()
	keys := make([][]byte, NumKeys)
	for i := range keys {
		keys[i] = readPEM(t, fmt.Sprintf("rsa4096-%d.pk8.pem", i+1), "PRIVATE KEY")
	}
	return keys
}

// PublicKeys returns the SubjectPublicKeyInfo DER encodings of the public
// halves of Keys, in the same order, as OpenSSL wrote them.
func PublicKeys(t testing.TB) [][]byte {
	t.Helper()
	keys := make([][]byte, NumKeys)
	for i := range keys {
		keys[i] = readPEM(t, fmt.Sprintf("rsa4096-%d.spki.pem", i+1), "PUBLIC KEY")
	}
	return keys
}

func readPEM(t testing.TB, name, typ string) []byte {
	t.Helper()
	b, err := testdata.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("primtest: %v", err)
	}
	block, rest := pem.Decode(b)
	if block == nil || block.Type != typ || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("primtest: testdata/%s: want one %q PEM block", name, typ)
	}
	return block.Bytes
}
