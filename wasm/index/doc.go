// Package index computes zkvault's blind indexes: the normalisers that turn a
// field value into a canonical string, the truncated HMAC that turns it into
// an index value the server can match without learning the value, and the
// planner that chooses how many bits to keep.
//
// Crypto summary: index value = first ceil(bits/8) bytes of
// HMAC-SHA256(index key, tuple(normalised parts...)), unused low bits zeroed,
// lowercase hex. The index key is derived by the core (docs/spec/02 §2.2);
// this package receives it as a prim.MAC.
//
// # Format
//
// Normalisers (api.NormPhone, api.NormEmail, api.NormText, api.NormExact),
// byte for byte as docs/spec/04-blind-indexes.md specifies them:
//
//   - phone: E.164, "+" then at most 15 digits. A number without "+" or an
//     international prefix is read in the national format of
//     Options.Region. The trunk prefix ("0" in GB and FR, "1" in NANP, "8"
//     in RU) is dropped, also after a country code ("+44 (0)20 …"). An
//     extension ("x12", "ext. 12", ",12", "#12", ";ext=12") is dropped;
//     other letters are refused (no vanity numbers).
//   - email: NFKC and full Unicode case folding of the whole address,
//     trimmed; exactly one "@" with non-empty sides. Nothing
//     provider-specific: dots and "+tags" are kept. Domains are not
//     converted to or from IDNA A-labels ("xn--").
//   - text: NFKC, full case folding, format characters removed, non-spacing
//     marks removed after Latin and Greek letters only ("José" and "JOSE"
//     give "jose", "Иван" and "ИВАН" give "иван", "王小明" stays), white space
//     collapsed and trimmed.
//   - exact: the value itself, which must be valid UTF-8.
//
// An empty result means there is nothing to index. Every normaliser is
// idempotent.
//
// The phone normaliser is this package's own, with a table of the ITU-T
// E.164 country calling codes, international prefixes, trunk prefixes and
// number lengths of every region (phone_table.go, generated from
// libphonenumber's metadata). A libphonenumber port was measured instead: a
// GOOS=js GOARCH=wasm program calling github.com/nyaruka/phonenumbers
// Parse and Format(E164) is 11.9 MB (2.25 MB brotli) against 2.6 MB (564 KB
// brotli) for the same program without it, a cost of 1.69 MB brotli in a
// 900 KB budget; this normaliser costs 19 KB brotli. It agrees with
// libphonenumber on every accepted vector except that "00" is always read as
// an international prefix. Case folding likewise uses the standard library's
// tables plus 191 generated exceptions (fold_table.go, checked rune by rune
// against golang.org/x/text/cases), because the cases package costs 119 KB
// brotli; NFKC comes from golang.org/x/text/unicode/norm (43 KB brotli).
//
// # Security
//
// A blind index reveals equality: the server sees which records share an
// index value. Truncation is the leakage control. A short index collides on
// purpose, so that each index value stands for several distinct plaintexts;
// a query returns the matching records and some others, and the client
// discards the false positives after decryption by comparing normalised
// values. Plan chooses the length so that an index value is shared by at
// least 2 distinct values and a query returns at most about √R of R records.
//
// Truncation does not hide frequency: an index value shared by a very
// common plaintext (the contact you write to most) still stands out by its
// count, and the server can count how often each index value is queried.
// Indexing a field with fewer than 4 distinct values (a boolean) reveals it
// or matches everything; Plan refuses it.
//
// The legacy format (docs/spec/07) stored the full 256-bit HMAC. With
// 2^256 values nothing ever collides, so equal index values mean equal
// plaintexts exactly, and the server learns the whole equality pattern and
// frequency histogram of the field; whoever knows one plaintext (their own
// phone number) finds every record that holds it.
//
// Index keys are per space, collection and index, so index values cannot be
// compared across spaces or between indexes. Errors never contain the value
// being normalised.
package index
