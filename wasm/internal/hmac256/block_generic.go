//go:build !wasm

package hmac256

// block applies the SHA-256 compression function (FIPS 180-4, 6.2.2) to
// one 64-byte block.
func block(h *[8]uint32, m *[64]byte) { blockGeneric(h, m) }

// blockOuter is block of the last block of an HMAC-SHA256: the inner hash
// d, then the padding of a message of 64 + 32 bytes.
func blockOuter(h *[8]uint32, d *[8]uint32) { blockOuterGeneric(h, d) }
