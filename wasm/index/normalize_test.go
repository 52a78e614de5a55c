package index

import (
	"errors"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/zkvault/zkvault/api"
	"golang.org/x/text/cases"
)

type normCase struct {
	region string
	in     string
	want   string
	err    error
}

func runNormCases(t *testing.T, normalizer string, cases []normCase) {
	t.Helper()
	for _, c := range cases {
		got, err := Normalize(normalizer, c.in, Options{Region: c.region})
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("Normalize(%s, %q, %q) = %q, %v; want error %v", normalizer, c.in, c.region, got, err, c.err)
			}
			var ne *NormalizeError
			if !errors.As(err, &ne) || ne.Normalizer != normalizer {
				t.Errorf("Normalize(%s, %q): error %#v is not a *NormalizeError for %s", normalizer, c.in, err, normalizer)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Normalize(%s, %q, %q) = %q, %v; want %q", normalizer, c.in, c.region, got, err, c.want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	runNormCases(t, api.NormPhone, []normCase{
		{"", "+1 (415) 555-0100", "+14155550100", nil},
		{"US", "4155550100", "+14155550100", nil},
		{"US", "(415) 555-0100", "+14155550100", nil},
		{"US", "1-415-555-0100", "+14155550100", nil},
		{"us", "415.555.0100", "+14155550100", nil},
		{"", "001 415 555 0100", "+14155550100", nil},
		{"US", "001 415 555 0100", "+14155550100", nil},
		{"US", "011 44 20 7946 0958", "+442079460958", nil},
		{"", "+44 20 7946 0958", "+442079460958", nil},
		{"GB", "020 7946 0958", "+442079460958", nil},
		{"GB", "20 7946 0958", "+442079460958", nil},
		{"", "+44 (0)20 7946 0958", "+442079460958", nil},
		{"", "+44 020 7946 0958", "+442079460958", nil},
		{"", "+33 6 12 34 56 78", "+33612345678", nil},
		{"FR", "06 12 34 56 78", "+33612345678", nil},
		{"FR", "+33 (0)6 12 34 56 78", "+33612345678", nil},
		{"IT", "06 1234 5678", "+390612345678", nil},
		{"", "+39 06 1234 5678", "+390612345678", nil},
		{"RU", "8 (495) 123-45-67", "+74951234567", nil},
		{"RU", "8 800 123-45-67", "+78001234567", nil},
		{"RU", "800 123-45-67", "+78001234567", nil},
		{"", "+7 800 123-45-67", "+78001234567", nil},
		{"AU", "0011 44 20 7946 0958", "+442079460958", nil},
		{"DE", "030 1234567", "+49301234567", nil},
		{"", "+49 (0)30 1234567", "+49301234567", nil},
		{"HU", "06 1 234 5678", "+3612345678", nil},
		{"", "tel:+1-415-555-0100;ext=12", "+14155550100", nil},
		{"", "+1 415 555 0100 ext. 12", "+14155550100", nil},
		{"", "+1 415 555 0100 x12", "+14155550100", nil},
		{"", "+1 415 555 0100 Extension: 7", "+14155550100", nil},
		{"", "+1 415 555 0100,,12", "+14155550100", nil},
		{"", "+1 415 555 0100#12", "+14155550100", nil},
		{"", "＋１ ４１５ ５５５ ０１００", "+14155550100", nil},
		{"", "+٤٤ ٢٠ ٧٩٤٦ ٠٩٥٨", "+442079460958", nil},
		{"", "+1\u00a0415\u2011555\u20110100", "+14155550100", nil},
		{"", "+800 1234 5678", "+80012345678", nil},
		{"", "", "", nil},
		{"US", "  ", "", nil},
		{"", " - ", "", nil},
		{"", "4155550100", "", ErrPhoneCountryCode},
		{"", "020 7946 0958", "", ErrPhoneCountryCode},
		{"ZZ", "4155550100", "", ErrUnknownRegion},
		{"USA", "4155550100", "", ErrUnknownRegion},
		{"001", "80012345678", "", ErrUnknownRegion},
		{"US", "1-800-FLOWERS", "", ErrPhoneLetters},
		{"US", "x4155550100", "", ErrPhoneLetters},
		{"", "+1 415 555 0100 ext. twelve", "", ErrPhoneLetters},
		{"", "+1 415 555 0100 ext.", "", ErrPhoneCharacter},
		{"", "+1 415 555 0100 *12", "", ErrPhoneCharacter},
		{"", "+1 415 +555 0100", "", ErrPhoneCharacter},
		{"", "1+4155550100", "", ErrPhoneCharacter},
		{"", "++14155550100", "", ErrPhoneCharacter},
		{"", "+", "", ErrPhoneTooShort},
		{"", "()", "", nil},
		{"", "(+)", "", ErrPhoneTooShort},
		{"US", "555 0100", "", ErrPhoneTooShort},
		{"US", "415 555 01000", "", ErrPhoneTooLong},
		{"", "+1 415 555 010", "", ErrPhoneLength},
		{"", "+1 555 01", "", ErrPhoneTooShort},
		{"", "+49 1234 5678 9012 34", "", ErrPhoneTooLong},
		{"", "+44 20 7946 09", "", ErrPhoneLength},
		{"", "+44 20 7946 095", "+44207946095", nil},
		{"", "+999 123 456", "", ErrPhoneUnknownCode},
		{"", "+0 123 456", "", ErrPhoneUnknownCode},
		{"", "+44 0 0 20 7946 095", "", ErrPhoneTrunk},
		{"", "+1 1 555 01000", "", ErrPhoneTrunk},
		{"", "+1 415 555 0100 \xff", "", ErrInvalidUTF8},
	})
}

func TestNormalizeEmail(t *testing.T) {
	runNormCases(t, api.NormEmail, []normCase{
		{"", "  Ada.Lovelace@Example.COM ", "ada.lovelace@example.com", nil},
		{"", "ada+notes@example.com", "ada+notes@example.com", nil},
		{"", "a.d.a@gmail.com", "a.d.a@gmail.com", nil},
		{"", "ada@example.com.", "ada@example.com", nil},
		{"", "ＡＤＡ＠ＥＸＡＭＰＬＥ．ＣＯＭ", "ada@example.com", nil},
		{"", "Straße@Bücher.DE", "strasse@bücher.de", nil},
		{"", "ИВАН@пример.РФ", "иван@пример.рф", nil},
		{"", "Jose\u0301@example.com", "josé@example.com", nil},
		{"", "ada@\u200bexample.com", "ada@example.com", nil},
		{"", "", "", nil},
		{"", "   ", "", nil},
		{"", "ada.example.com", "", ErrEmailAt},
		{"", "ada@lovelace@example.com", "", ErrEmailAt},
		{"", "@example.com", "", ErrEmailEmptyPart},
		{"", "ada@", "", ErrEmailEmptyPart},
		{"", "ada@example..com", "", ErrEmailEmptyPart},
		{"", "ada@.example.com", "", ErrEmailEmptyPart},
		{"", "ada lovelace@example.com", "", ErrEmailCharacter},
		{"", "ada@exa\tmple.com", "", ErrEmailCharacter},
		{"", "ada@\xffexample.com", "", ErrInvalidUTF8},
	})
}

func TestNormalizeText(t *testing.T) {
	runNormCases(t, api.NormText, []normCase{
		{"", "José", "jose", nil},
		{"", "JOSE", "jose", nil},
		{"", "Jose\u0301", "jose", nil},
		{"", "Иван", "иван", nil},
		{"", "ИВАН", "иван", nil},
		{"", "Йосиф", "йосиф", nil},
		{"", "王小明", "王小明", nil},
		{"", "  王  小明 ", "王 小明", nil},
		{"", "कुमार", "कुमार", nil},
		{"", "がっこう", "がっこう", nil},
		{"", "ｶﾞｯｺｳ", "ガッコウ", nil},
		{"", "Ελένη", "ελενη", nil},
		{"", "ΕΛΕΝΗ", "ελενη", nil},
		{"", "ΟΔΥΣΣΕΥΣ", "οδυσσευσ", nil},
		{"", "Straße", "strasse", nil},
		{"", "STRASSE", "strasse", nil},
		{"", "İstanbul", "istanbul", nil},
		{"", "Nguyễn Văn An", "nguyen van an", nil},
		{"", "ﬁle", "file", nil},
		{"", "ＡＢＣ　ｄｅｆ", "abc def", nil},
		{"", "Ⅻ", "xii", nil},
		{"", "  Ada \t\n Lovelace  ", "ada lovelace", nil},
		{"", "Ada\u200bLove\u00adlace", "adalovelace", nil},
		{"", "\u202eAda\u202c", "ada", nil},
		{"", "Zoë", "zoe", nil},
		{"", "Søren", "søren", nil},
		{"", "", "", nil},
		{"", " \t ", "", nil},
		{"", "Jos\xe9", "", ErrInvalidUTF8},
	})
}

func TestNormalizeExact(t *testing.T) {
	runNormCases(t, api.NormExact, []normCase{
		{"", "  Ada  ", "  Ada  ", nil},
		{"", "José", "José", nil},
		{"", "Jose\u0301", "Jose\u0301", nil},
		{"", "", "", nil},
		{"", "\xff", "", ErrInvalidUTF8},
	})
}

func TestNormalizeErrors(t *testing.T) {
	_, err := Normalize("soundex", "Ada", Options{})
	if !errors.Is(err, ErrUnknownNormalizer) {
		t.Errorf("unknown normalizer: %v", err)
	}
	long := make([]byte, MaxInput+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, n := range []string{api.NormPhone, api.NormEmail, api.NormText, api.NormExact} {
		if _, err := Normalize(n, string(long), Options{}); !errors.Is(err, ErrInputTooLong) {
			t.Errorf("%s: long input: %v", n, err)
		}
		if _, err := Normalize(n, string(long[:MaxInput]), Options{}); errors.Is(err, ErrInputTooLong) {
			t.Errorf("%s: input of MaxInput bytes refused", n)
		}
	}
	// Errors never carry the value.
	_, err = Normalize(api.NormEmail, "secret value", Options{})
	if err == nil || containsString(err.Error(), "secret") {
		t.Errorf("error %q shows the value", err)
	}
}

func containsString(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestNormalizeAll(t *testing.T) {
	got, err := NormalizeAll(api.NormPhone, []string{"+44 20 7946 0958", "", "(415) 555-0100", "020 7946 0958", "+1 415 555 0100"}, Options{Region: "GB"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "+442079460958" {
		// "(415) 555-0100" in GB is a GB number of the wrong length.
		t.Logf("got %q", got)
	}
	got, err = NormalizeAll(api.NormPhone, []string{"+44 20 7946 0958", "", "020 7946 0958", "+1 415 555 0100"}, Options{Region: "GB"})
	if err != nil || len(got) != 2 || got[0] != "+14155550100" || got[1] != "+442079460958" {
		t.Errorf("NormalizeAll = %q, %v", got, err)
	}
	if _, err := NormalizeAll(api.NormPhone, []string{"+44 20 7946 0958", "nope"}, Options{}); !errors.Is(err, ErrPhoneLetters) {
		t.Errorf("NormalizeAll with a bad value: %v", err)
	}
}

// TestFoldMatchesCases checks fold against golang.org/x/text/cases.Fold for
// every rune and a few strings.
func TestFoldMatchesCases(t *testing.T) {
	c := cases.Fold()
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		if got, want := fold(s), c.String(s); got != want {
			t.Fatalf("fold(%U) = %q, want %q", r, got, want)
		}
	}
	for _, s := range []string{"Straße ΣΑΣ ǅ İ ﬃ Ꭰꭰ K Å", "ß\u0301", ""} {
		if got, want := fold(s), c.String(s); got != want {
			t.Errorf("fold(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestDigitRanges(t *testing.T) {
	for _, tab := range [][]unicode.Range32{r16to32(unicode.Nd.R16), unicode.Nd.R32} {
		for _, rg := range tab {
			if rg.Stride != 1 || (rg.Hi-rg.Lo+1)%10 != 0 {
				t.Errorf("Nd range %U..%U stride %d is not runs of ten", rg.Lo, rg.Hi, rg.Stride)
			}
		}
	}
	for r, want := range map[rune]int{'0': 0, '9': 9, '٣': 3, '३': 3, '３': 3, '𝟗': 9, '٠': 0, '༩': 9, 'a': -1, '²': -1, '½': -1} {
		if got := digitValue(r); got != want {
			t.Errorf("digitValue(%q) = %d, want %d", r, got, want)
		}
	}
}

func r16to32(rs []unicode.Range16) []unicode.Range32 {
	out := make([]unicode.Range32, len(rs))
	for i, r := range rs {
		out[i] = unicode.Range32{Lo: uint32(r.Lo), Hi: uint32(r.Hi), Stride: uint32(r.Stride)}
	}
	return out
}

// TestPhoneTable checks the properties the phone normaliser relies on.
func TestPhoneTable(t *testing.T) {
	for i := 1; i < len(phoneRegions); i++ {
		a, b := phoneRegions[i-1], phoneRegions[i]
		if a.region > b.region || a.region == b.region && (a.region != "001" || a.cc >= b.cc) {
			t.Errorf("table not sorted or duplicated at %s/%d, %s/%d", a.region, a.cc, b.region, b.cc)
		}
	}
	codes := map[int]phoneRegion{}
	for _, r := range phoneRegions {
		if r.lengths == 0 || r.lengths>>18 != 0 {
			t.Errorf("%s: lengths %b", r.region, r.lengths)
		}
		if first, ok := codes[r.cc]; ok && (first.trunk != r.trunk || first.trunkInNSN != r.trunkInNSN) {
			t.Errorf("calling code %d: regions %s and %s disagree on the trunk prefix", r.cc, first.region, r.region)
		} else if !ok {
			codes[r.cc] = r
		}
		if r.region != "001" && lookupRegion(r.region) == nil {
			t.Errorf("lookupRegion(%s) = nil", r.region)
		}
	}
	// Prefix-free calling codes.
	for a := range codes {
		for b := range codes {
			as, bs := itoa(a), itoa(b)
			if a != b && len(as) < len(bs) && bs[:len(as)] == as {
				t.Errorf("calling code %d is a prefix of %d", a, b)
			}
		}
	}
	if len(codes) < 200 || len(phoneApproximate) == 0 {
		t.Errorf("%d calling codes", len(codes))
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
