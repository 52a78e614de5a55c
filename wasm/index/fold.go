package index

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

type foldException struct {
	r rune
	s string
}

// fold returns the Unicode full case folding of s (CaseFolding.txt statuses
// C and F, as golang.org/x/text/cases.Fold), computed from the standard
// library's case tables and the generated foldExceptions.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		i := sort.Search(len(foldExceptions), func(i int) bool { return foldExceptions[i].r >= r })
		if i < len(foldExceptions) && foldExceptions[i].r == r {
			b.WriteString(foldExceptions[i].s)
			continue
		}
		b.WriteRune(unicode.ToLower(unicode.ToUpper(r)))
	}
	return b.String()
}
