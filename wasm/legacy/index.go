// Legacy blind indexes: HMAC-SHA256 under the passphrase-derived search key,
// 64 lowercase hex digits, untruncated; and the legacy normalisers, which
// reproduce the legacy JavaScript (String.prototype.normalize("NFD"),
// /\p{M}/gu, toLowerCase, trim) character for character.

package legacy

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Index returns the legacy blind index of a normalised value: the lowercase
// hex HMAC-SHA256 of its UTF-8 bytes under the search key, 64 characters.
// Like the legacy computeSearchIndex, the index of the empty string is the
// empty string, so a value that normalises to nothing (a name in a
// non-Latin script) has an empty index.
//
// Index does not normalise: pass the output of NormalizePhone, NormalizeName
// or NormalizeContact, whichever the field used.
func (k *Keys) Index(ctx context.Context, normalised string) (string, error) {
	if normalised == "" {
		return "", nil
	}
	sum, err := k.search.Sum(ctx, []byte(normalised))
	if err != nil {
		return "", fmt.Errorf("legacy: %w", err)
	}
	if len(sum) != 32 {
		return "", fmt.Errorf("legacy: HMAC-SHA256 returned %d bytes", len(sum))
	}
	return hex.EncodeToString(sum), nil
}

// VerifyIndex reports whether index is the legacy blind index of the
// normalised value, comparing in constant time. A migrator can use it to
// check the indexes of an export against the decrypted values. An index is
// compared as stored: an upper-case or truncated index does not match.
func (k *Keys) VerifyIndex(ctx context.Context, normalised, index string) (bool, error) {
	want, err := k.Index(ctx, normalised)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(index)) == 1, nil
}

// NormalizePhone is the legacy phone normaliser: it keeps the ASCII digits
// 0–9 (JavaScript's \d; other scripts' digits are dropped) and puts a '+'
// before them. A value with no digits normalises to the empty string. It
// does not otherwise interpret the number: "00 33 1…" gives "+00331…".
func NormalizePhone(phone string) string {
	var b strings.Builder
	for i := 0; i < len(phone); i++ {
		if c := phone[i]; '0' <= c && c <= '9' {
			if b.Len() == 0 {
				b.Grow(len(phone) + 1)
				b.WriteByte('+')
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// NormalizeName is the legacy name normaliser (chat names, sender names):
// Unicode NFD, drop every mark (general category M), lowercase, then keep
// only the ASCII letters a–z and digits 0–9. Letters without a decomposition
// to Latin letters are dropped, so a name in Cyrillic, Greek, Arabic, CJK or
// Devanagari script normalises to the empty string, and "Ødegaard" to
// "degaard". This is the legacy behaviour, reproduced on purpose.
//
// The Unicode tables are those of golang.org/x/text and the standard library
// (Unicode 15.0); a character assigned in a later Unicode version may
// normalise differently than in a newer JavaScript engine.
func NormalizeName(name string) string {
	decomposed := norm.NFD.String(name)
	unmarked := strings.Map(func(r rune) rune {
		if unicode.Is(unicode.M, r) {
			return -1
		}
		return r
	}, decomposed)
	lower := jsToLower(unmarked)
	var b strings.Builder
	for i := 0; i < len(lower); i++ {
		if c := lower[i]; 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// NormalizeContact is the legacy contact normaliser: a value that contains
// '@' is an e-mail address, trimmed of white space and lowercased as
// JavaScript's trim and toLowerCase do (so "İ" becomes "i̇" and a final
// capital sigma "ς"); anything else is a phone number, normalised by
// NormalizePhone.
func NormalizeContact(contact string) string {
	if strings.Contains(contact, "@") {
		return jsToLower(strings.TrimFunc(contact, isJSSpace))
	}
	return NormalizePhone(contact)
}

// isJSSpace reports whether String.prototype.trim removes r: ECMAScript's
// WhiteSpace (TAB, VT, FF, ZWNBSP and every Zs character) and LineTerminator
// (LF, CR, LS, PS). Unlike unicode.IsSpace it includes U+FEFF and excludes
// U+0085.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\v', '\f', '\n', '\r', '\uFEFF', '\u2028', '\u2029':
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// jsToLower is String.prototype.toLowerCase: Unicode full lowercase mapping
// without language tailoring. It differs from strings.ToLower in the two
// language-independent rules of SpecialCasing.txt: U+0130 (İ) lowercases to
// "i" followed by U+0307 COMBINING DOT ABOVE, and a capital sigma lowercases
// to final sigma (ς) at the end of a word.
func jsToLower(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch r {
		case '\u0130':
			b.WriteString("i\u0307")
		case '\u03A3':
			if isFinalSigma(s, i) {
				b.WriteRune('\u03C2')
			} else {
				b.WriteRune('\u03C3')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// isFinalSigma is the Final_Sigma condition of Unicode §3.13 for the sigma at
// byte offset i of s: a cased letter comes before it (with only
// case-ignorable characters between) and none comes after it (likewise). A
// character that is both case-ignorable and cased counts as case-ignorable,
// as in ICU.
func isFinalSigma(s string, i int) bool {
	before := false
	for j := i; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if isCaseIgnorable(r) {
			continue
		}
		before = isCased(r)
		break
	}
	if !before {
		return false
	}
	for _, r := range s[i+len("\u03A3"):] {
		if isCaseIgnorable(r) {
			continue
		}
		return !isCased(r)
	}
	return true
}

// isCased is Unicode's Cased property: Lowercase, Uppercase or Lt.
func isCased(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// isCaseIgnorable is Unicode's Case_Ignorable property: general category Mn,
// Me, Cf, Lm or Sk, or Word_Break MidLetter, MidNumLet or Single_Quote.
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', // Single_Quote
		'.', '\u2018', '\u2019', '\u2024', '\uFE52', '\uFF07', '\uFF0E', // MidNumLet
		':', '\u00B7', '\u0387', '\u055F', '\u05F4', '\u2027', '\uFE13', '\uFE55', '\uFF1A': // MidLetter
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
