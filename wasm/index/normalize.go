package index

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zkvault/zkvault/api"
	"golang.org/x/text/unicode/norm"
)

// MaxInput is the longest value, and the longest normalised value, in bytes,
// that Normalize accepts.
const MaxInput = 1 << 16

// Options configure Normalize.
type Options struct {
	// Region is the ISO 3166-1 alpha-2 code ("US", "GB") of the region
	// whose national format a phone number without a country code is read
	// in. "" means phone numbers must carry a country code, after "+" or
	// an international prefix ("00", or the region's own).
	Region string
}

// Reasons a value does not normalise. Normalize returns them inside a
// *NormalizeError; test with errors.Is. The names in parentheses are the
// ones the known-answer vectors use.
var (
	ErrUnknownNormalizer = errors.New("index: unknown normalizer")                    // unknown-normalizer
	ErrInvalidUTF8       = errors.New("index: value is not valid UTF-8")              // invalid-utf8
	ErrInputTooLong      = errors.New("index: value too long")                        // input-too-long
	ErrUnknownRegion     = errors.New("index: unknown phone region")                  // unknown-region
	ErrPhoneCharacter    = errors.New("index: invalid character in phone number")     // phone-character
	ErrPhoneLetters      = errors.New("index: letters in phone number")               // phone-letters
	ErrPhoneCountryCode  = errors.New("index: phone number without country code")     // phone-no-country-code
	ErrPhoneUnknownCode  = errors.New("index: unknown country calling code")          // phone-unknown-country-code
	ErrPhoneTooShort     = errors.New("index: phone number too short")                // phone-too-short
	ErrPhoneTooLong      = errors.New("index: phone number too long")                 // phone-too-long
	ErrPhoneLength       = errors.New("index: impossible phone number length")        // phone-length
	ErrPhoneTrunk        = errors.New("index: phone number begins with trunk prefix") // phone-trunk-prefix
	ErrEmailAt           = errors.New("index: e-mail address needs exactly one @")    // email-at
	ErrEmailEmptyPart    = errors.New("index: empty part in e-mail address")          // email-empty-part
	ErrEmailCharacter    = errors.New("index: invalid character in e-mail address")   // email-character
)

// NormalizeError reports why a value does not normalise. It never contains
// the value: values are secret, and errors end up in logs.
type NormalizeError struct {
	Normalizer string // api.NormPhone, …
	Err        error  // one of the Err… reasons above
}

func (e *NormalizeError) Error() string {
	return "normalizing " + e.Normalizer + " value: " + e.Err.Error()
}

func (e *NormalizeError) Unwrap() error { return e.Err }

// Normalize returns the canonical form of value under normalizer
// (api.NormPhone, api.NormEmail, api.NormText or api.NormExact). An empty
// result means "nothing to index". Errors are *NormalizeError.
//
// Normalize is idempotent: Normalize(n, Normalize(n, v)) == Normalize(n, v).
func Normalize(normalizer, value string, opts Options) (string, error) {
	var fn func(string, Options) (string, error)
	switch normalizer {
	case api.NormPhone:
		fn = normalizePhone
	case api.NormEmail:
		fn = normalizeEmail
	case api.NormText:
		fn = normalizeText
	case api.NormExact:
		fn = normalizeExact
	default:
		return "", &NormalizeError{Normalizer: normalizer, Err: ErrUnknownNormalizer}
	}
	if !utf8.ValidString(value) {
		return "", &NormalizeError{Normalizer: normalizer, Err: ErrInvalidUTF8}
	}
	if len(value) > MaxInput {
		return "", &NormalizeError{Normalizer: normalizer, Err: ErrInputTooLong}
	}
	out, err := fn(value, opts)
	if err != nil {
		return "", &NormalizeError{Normalizer: normalizer, Err: err}
	}
	// Normalising can lengthen a value (NFKC expands U+FDFA to 18
	// characters); refusing a result Normalize would not accept back keeps
	// it idempotent.
	if len(out) > MaxInput {
		return "", &NormalizeError{Normalizer: normalizer, Err: ErrInputTooLong}
	}
	return out, nil
}

// NormalizeAll normalises every value of a multi-valued field and returns
// the distinct non-empty results in byte order, so that neither duplicates
// nor the order of the values show in the index. The first failure is
// returned as Normalize returns it.
func NormalizeAll(normalizer string, values []string, opts Options) ([]string, error) {
	out := make([]string, 0, len(values))
	for _, v := range values {
		n, err := Normalize(normalizer, v, opts)
		if err != nil {
			return nil, err
		}
		if n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func normalizeExact(v string, _ Options) (string, error) { return v, nil }

// normalizeText: NFKD and full case folding to a fixed point, format
// characters removed, white space and controls to U+0020, non-spacing marks
// removed after Latin and Greek letters, NFC, white space runs collapsed and
// trimmed.
func normalizeText(v string, _ Options) (string, error) {
	if isASCII(v) {
		return textASCII(v), nil
	}
	return normalizeTextUnicode(v), nil
}

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// ASCII fast paths. On ASCII, NFKD and NFC change nothing (no ASCII
// character decomposes or composes), full case folding maps A–Z to a–z and
// nothing else, no character is a format character (Cf) or a mark (M), the
// white space is \t \n \v \f \r and U+0020, and the controls are U+0000 …
// U+001F and U+007F. So the text and email normalisers reduce to byte
// operations; TestASCIIFastPaths and FuzzASCIIFastPaths compare them with the
// general paths.

// isASCIISpace is unicode.IsSpace on ASCII.
func isASCIISpace(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

// isASCIISpaceOrControl is unicode.IsSpace(c) || unicode.IsControl(c) on
// ASCII.
func isASCIISpaceOrControl(c byte) bool { return c <= ' ' || c == 0x7f }

// textASCII is normalizeText of an ASCII value: lower case, white space and
// controls to U+0020, runs of U+0020 collapsed, trimmed. It returns v itself
// when nothing changes.
func textASCII(v string) string {
	clean := true
	for i := 0; i < len(v) && clean; i++ {
		c := v[i]
		switch {
		case 'A' <= c && c <= 'Z', c != ' ' && isASCIISpaceOrControl(c):
			clean = false
		case c == ' ':
			clean = i > 0 && i < len(v)-1 && v[i-1] != ' '
		}
	}
	if clean {
		return v
	}
	b := make([]byte, 0, len(v))
	space := false // a U+0020 is pending
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isASCIISpaceOrControl(c) {
			space = len(b) > 0
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// normalizeTextUnicode is normalizeText's general path.
func normalizeTextUnicode(v string) string {
	s := foldNFKD(v)
	var b strings.Builder
	b.Grow(len(s))
	var base rune = -1 // last rune that is not a mark
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cf, r):
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r):
			r = ' '
		case unicode.Is(unicode.Mn, r):
			if base >= 0 && (unicode.Is(unicode.Latin, base) || unicode.Is(unicode.Greek, base)) {
				continue
			}
		}
		if !unicode.IsMark(r) {
			base = r
		}
		b.WriteRune(r)
	}
	return collapseSpace(norm.NFC.String(b.String()))
}

// foldNFKD applies NFKD and full case folding until neither changes the
// string (folding can produce characters that decompose, and decomposing
// can produce capitals, as U+2160 ROMAN NUMERAL ONE does).
func foldNFKD(s string) string {
	s = norm.NFKD.String(s)
	for range 4 {
		t := norm.NFKD.String(fold(s))
		if t == s {
			break
		}
		s = t
	}
	return s
}

// collapseSpace trims U+0020 at both ends and replaces each inner run of
// U+0020 by one.
func collapseSpace(s string) string {
	if !strings.Contains(s, "  ") && !strings.HasPrefix(s, " ") && !strings.HasSuffix(s, " ") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }), " ")
}

// normalizeEmail: trimmed, NFKD and full case folding to a fixed point,
// format characters removed, NFC; then exactly one "@" with a non-empty
// local part and domain, no white space or controls, and a domain of
// non-empty labels (one trailing "." is dropped).
func normalizeEmail(v string, _ Options) (string, error) {
	if out, err, ascii := emailASCII(v); ascii {
		return out, err
	}
	return normalizeEmailUnicode(v)
}

// emailASCII is normalizeEmail of an ASCII value, in one pass over it;
// ascii is false, and the rest meaningless, when v is not all ASCII. It
// allocates only to lower-case: otherwise the result is a substring of v.
func emailASCII(v string) (out string, err error, ascii bool) {
	lo, hi := 0, len(v)
	for lo < hi && isASCIISpace(v[lo]) {
		lo++
	}
	for hi > lo && isASCIISpace(v[hi-1]) {
		hi--
	}
	s := v[lo:hi]
	// What the general path checks, in its order: a space or control
	// anywhere (email-character), then exactly one "@" (email-at), then an
	// empty local part or domain label (email-empty-part): a "." right
	// after the "@" or after another "." of the domain, or at the end of
	// the domain once one trailing "." is dropped.
	// One table look-up per byte (emailClass); only the bytes it marks
	// take a branch.
	var seen byte
	emptyLabel := false
	at, ats := 0, 0
	var prev byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if k := emailClass[c]; k != 0 {
			switch k {
			case emailNonASCII:
				return "", nil, false
			case emailAt:
				at, ats = i, ats+1
			case emailDot:
				emptyLabel = emptyLabel || ats == 1 && (prev == '@' || prev == '.')
			}
			seen |= k
		}
		prev = c
	}
	bad, upper := seen&emailBad != 0, seen&emailUpper != 0
	switch {
	case s == "":
		return "", nil, true
	case bad:
		return "", ErrEmailCharacter, true
	case ats != 1:
		return "", ErrEmailAt, true
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if at == 0 || emptyLabel || s[len(s)-1] == '@' || s[len(s)-1] == '.' {
		return "", ErrEmailEmptyPart, true
	}
	if upper {
		return asciiLower(s), nil, true
	}
	return s, nil, true
}

// The classes of emailClass: what emailASCII must note about a byte (0:
// nothing).
const (
	emailBad      = 1 << iota // white space or a control: isASCIISpaceOrControl
	emailAt                   // '@'
	emailDot                  // '.'
	emailUpper                // 'A' … 'Z'
	emailNonASCII             // 0x80 … 0xff
)

// emailClass is the class of each byte for emailASCII.
var emailClass = func() (t [256]byte) {
	for c := range 256 {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = emailNonASCII
		case isASCIISpaceOrControl(byte(c)):
			t[c] = emailBad
		case c == '@':
			t[c] = emailAt
		case c == '.':
			t[c] = emailDot
		case 'A' <= c && c <= 'Z':
			t[c] = emailUpper
		}
	}
	return t
}()

// asciiLower maps A–Z to a–z.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// normalizeEmailUnicode is normalizeEmail's general path.
func normalizeEmailUnicode(v string) (string, error) {
	s := foldNFKD(v)
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) {
		s = strings.Map(func(r rune) rune {
			if unicode.Is(unicode.Cf, r) {
				return -1
			}
			return r
		}, s)
	}
	s = strings.TrimFunc(norm.NFC.String(s), unicode.IsSpace)
	if s == "" {
		return "", nil
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", ErrEmailCharacter
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(domain, "@") {
		return "", ErrEmailAt
	}
	domain = strings.TrimSuffix(domain, ".")
	if local == "" || domain == "" || slices.Contains(strings.Split(domain, "."), "") {
		return "", ErrEmailEmptyPart
	}
	return local + "@" + domain, nil
}
