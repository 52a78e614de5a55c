package index

import (
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// phoneRegion is one row of phoneRegions (phone_table.go).
type phoneRegion struct {
	region     string // ISO 3166-1 alpha-2, or "001" (non-geographic)
	cc         int    // country calling code
	idd        string // international prefix dialled in the region, or ""
	trunk      string // national trunk prefix, or ""
	lengths    uint32 // bit n set: a national significant number may have n digits
	trunkInNSN bool   // a national significant number may begin with trunk
}

// phonePlan is what the normaliser needs to know about a calling code (all
// its regions together) or about one region (national format).
type phonePlan struct {
	cc         int
	trunk      string
	lengths    uint32
	trunkInNSN bool
}

func (p phonePlan) possible(n int) bool { return n >= 0 && n < 32 && p.lengths&(1<<n) != 0 }

// E164MaxDigits is the most digits an E.164 number has, country code
// included (ITU-T E.164 §6.2.1).
const E164MaxDigits = 15

// maxPhoneDigits bounds the digits read from one input.
const maxPhoneDigits = 32

// lookupRegion returns the table row of an ISO 3166-1 alpha-2 region code,
// compared without regard to ASCII case.
func lookupRegion(code string) *phoneRegion {
	if len(code) != 2 {
		return nil
	}
	code = strings.ToUpper(code)
	i := sort.Search(len(phoneRegions), func(i int) bool { return phoneRegions[i].region >= code })
	if i < len(phoneRegions) && phoneRegions[i].region == code {
		return &phoneRegions[i]
	}
	return nil
}

// planForCode merges the rows of a calling code. ok is false for a code no
// region uses.
func planForCode(cc int) (p phonePlan, ok bool) {
	for i := range phoneRegions {
		r := &phoneRegions[i]
		if r.cc != cc {
			continue
		}
		if !ok {
			p = phonePlan{cc: cc, trunk: r.trunk}
			ok = true
		}
		p.lengths |= r.lengths
		p.trunkInNSN = p.trunkInNSN || r.trunkInNSN
	}
	return p, ok
}

// splitCountryCode finds the calling code that digits begin with. The
// assigned codes are prefix-free, so at most one of the first 1, 2 or 3
// digits is one.
func splitCountryCode(digits []byte) (phonePlan, int, bool) {
	if len(digits) == 0 || digits[0] == '0' {
		return phonePlan{}, 0, false
	}
	for n := 1; n <= 3 && n <= len(digits); n++ {
		cc, _ := strconv.Atoi(string(digits[:n]))
		if p, ok := planForCode(cc); ok {
			return p, n, true
		}
	}
	return phonePlan{}, 0, false
}

// normalizePhone returns a phone number in E.164 form: "+", the country
// calling code, the national significant number. See docs/spec/04.
func normalizePhone(v string, opts Options) (string, error) {
	var region *phoneRegion
	if opts.Region != "" {
		if region = lookupRegion(opts.Region); region == nil {
			return "", ErrUnknownRegion
		}
	}
	s := strings.TrimFunc(v, isPhoneSeparator)
	if s == "" {
		return "", nil
	}
	tel := len(s) >= 4 && strings.EqualFold(s[:4], "tel:")
	if tel {
		s = s[4:]
	}
	digits, plus, err := phoneDigits(s, tel)
	if err != nil {
		return "", err
	}

	intl := plus
	if !plus {
		switch {
		case region != nil && region.idd != "" && strings.HasPrefix(string(digits), region.idd):
			digits, intl = digits[len(region.idd):], true
		case strings.HasPrefix(string(digits), "00"):
			digits, intl = digits[2:], true
		case region == nil:
			if len(digits) == 0 {
				return "", ErrPhoneTooShort
			}
			return "", ErrPhoneCountryCode
		}
	}

	var plan phonePlan
	nsn := digits
	if intl {
		if len(digits) == 0 {
			return "", ErrPhoneTooShort
		}
		p, n, ok := splitCountryCode(digits)
		if !ok {
			return "", ErrPhoneUnknownCode
		}
		plan, nsn = p, digits[n:]
	} else {
		plan = phonePlan{cc: region.cc, trunk: region.trunk, lengths: region.lengths, trunkInNSN: region.trunkInNSN}
	}

	// Trunk prefix: "020 7946 0958" in GB, "+44 (0)20 7946 0958".
	if t := plan.trunk; t != "" && strings.HasPrefix(string(nsn), t) {
		if plan.possible(len(nsn)-len(t)) && !(plan.trunkInNSN && plan.possible(len(nsn))) {
			nsn = nsn[len(t):]
		}
		if !plan.trunkInNSN && strings.HasPrefix(string(nsn), t) {
			return "", ErrPhoneTrunk
		}
	}

	ccs := strconv.Itoa(plan.cc)
	n := len(nsn)
	switch {
	case len(ccs)+n > E164MaxDigits || n > 31-bits.LeadingZeros32(plan.lengths):
		return "", ErrPhoneTooLong
	case n < bits.TrailingZeros32(plan.lengths):
		return "", ErrPhoneTooShort
	case !plan.possible(n):
		return "", ErrPhoneLength
	}
	return "+" + ccs + string(nsn), nil
}

// phoneDigits reads the digits of a phone number, whether it begins with
// "+", and drops an extension.
func phoneDigits(s string, tel bool) (digits []byte, plus bool, err error) {
	digits = make([]byte, 0, 16)
	for i, r := range s {
		if d := digitValue(r); d >= 0 {
			if len(digits) == maxPhoneDigits {
				return nil, false, ErrPhoneTooLong
			}
			digits = append(digits, byte('0'+d))
			continue
		}
		switch {
		case r == '+' || r == '\uFF0B':
			if plus || len(digits) > 0 {
				return nil, false, ErrPhoneCharacter
			}
			plus = true
		case isPhoneSeparator(r):
		case r == ';' && tel:
			// RFC 3966 parameters (";ext=", ";phone-context=") end the number.
			return digits, plus, nil
		case (r == ',' || r == ';' || r == '#') && len(digits) > 0:
			return digits, plus, checkExtension(s[i+1:])
		case unicode.IsLetter(r):
			if n := extensionKeyword(s[i:]); n > 0 && len(digits) > 0 {
				return digits, plus, checkExtension(s[i+n:])
			}
			return nil, false, ErrPhoneLetters
		default:
			return nil, false, ErrPhoneCharacter
		}
	}
	return digits, plus, nil
}

// extensionKeyword returns the length of an extension marker ("x", "ext",
// "extn", "extension", any ASCII case, optionally followed by ".", ":" or
// "=") at the start of s, or 0.
func extensionKeyword(s string) int {
	n := 0
	for n < len(s) && ('a' <= s[n]|0x20 && s[n]|0x20 <= 'z') {
		n++
	}
	switch strings.ToLower(s[:n]) {
	case "x", "ext", "extn", "extension":
	default:
		return 0
	}
	if n < len(s) && (s[n] == '.' || s[n] == ':' || s[n] == '=') {
		n++
	}
	return n
}

// checkExtension accepts an extension: at least one digit, and otherwise
// only separators and dialling pauses ("," and ";").
func checkExtension(s string) error {
	seen := false
	for _, r := range s {
		switch {
		case digitValue(r) >= 0:
			seen = true
		case isPhoneSeparator(r) || r == ',' || r == ';':
		case unicode.IsLetter(r):
			return ErrPhoneLetters
		default:
			return ErrPhoneCharacter
		}
	}
	if !seen {
		return ErrPhoneCharacter
	}
	return nil
}

// isPhoneSeparator reports the characters people put between digits: white
// space, dashes, brackets, dots, slashes, tildes, and their full-width and
// invisible forms.
func isPhoneSeparator(r rune) bool {
	switch r {
	case '(', ')', '[', ']', '.', '/', '~',
		'\u00AD', '\u200B', '\u2060', '\uFEFF', // soft hyphen, zero-width space, word joiner, BOM
		'\u2053', '\u2212', '\u223C', '\u30FC', // swung dash, minus, tilde operator, prolonged sound mark
		'\uFF08', '\uFF09', '\uFF3B', '\uFF3D', '\uFF0E', '\uFF0F', '\uFF5E':
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Pd, r)
}

// digitValue returns the value of a decimal digit of any script (Unicode
// category Nd), or -1. Unicode encodes every decimal digit in a run of ten
// from zero to nine, and unicode.Nd's ranges start at a zero
// (TestDigitRanges checks both).
func digitValue(r rune) int {
	if r < 0x80 {
		if '0' <= r && r <= '9' {
			return int(r - '0')
		}
		return -1
	}
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	return -1
}
