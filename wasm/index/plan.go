package index

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// ErrNotIndexable is Plan's answer for a field whose domain is so small
// (fewer than 4 distinct values occur, a boolean for example) that every
// index length either reveals the value or matches everything.
var ErrNotIndexable = errors.New("index: field has too few distinct values to index")

// ErrPlanInput reports a zero record count or domain size.
var ErrPlanInput = errors.New("index: records and domain must be at least 1")

// Recommendation is Plan's answer and the numbers behind it. With n the
// number of distinct values that can occur (the smaller of the domain and
// the record count), R the record count and b bits, an index value is
// shared on average by n/2^b distinct values and R/2^b records.
type Recommendation struct {
	// Bits is the recommended length: MinBits, or MaxBits when the domain
	// is too small for MinBits (DomainLimited).
	Bits int
	// MinBits is the shortest length at which a query returns at most √R
	// records on average: ceil(log2 √R).
	MinBits int
	// MaxBits is the longest length at which every index value is still
	// shared by at least 2 distinct values on average: floor(log2(n/2)).
	MaxBits int

	Records  uint64 // R
	Domain   uint64 // distinct values the field can take
	Distinct uint64 // n = min(Domain, Records)

	// DomainLimited: MinBits > MaxBits. Each value alone occurs in more
	// than about √R records, so no length meets both bounds; Bits keeps
	// the privacy bound.
	DomainLimited bool

	// At Bits: expected records and distinct values per index value, and
	// the expected fraction of distinct values that share their index value
	// with no other value, (1 - 2^-Bits)^(n-1).
	RecordsPerValue float64
	ValuesPerValue  float64
	Alone           float64
}

func (r Recommendation) String() string {
	return fmt.Sprintf("bits=%d (range %d..%d, domain-limited=%v): %.4g records and %.4g values per index value, %.2f%% of values alone",
		r.Bits, r.MinBits, r.MaxBits, r.DomainLimited, r.RecordsPerValue, r.ValuesPerValue, 100*r.Alone)
}

// Plan recommends an index length in bits for a field given the expected
// number of records and the size of the field's value domain (the number of
// distinct values), following the coincidence rule of CipherSweet's planner:
// each index value should be shared by at least 2 and at most √R records.
//
// The lower bound is applied to distinct values, not only records: an index
// value shared by many records that all hold the same plaintext still
// reveals equality exactly. Hence MaxBits = floor(log2(n/2)), and
// MinBits = ceil(log2 √R) keeps a query's expected answer within √R records.
// Plan recommends MinBits, the most collisions the query cost allows; when
// MinBits > MaxBits it recommends MaxBits. A field with fewer than 4
// distinct values returns ErrNotIndexable (and the bounds, for display).
func Plan(records, domain uint64) (Recommendation, error) {
	if records == 0 || domain == 0 {
		return Recommendation{}, ErrPlanInput
	}
	n := min(domain, records)
	rec := Recommendation{
		Records:  records,
		Domain:   domain,
		Distinct: n,
		// Smallest b with 2^(2b) >= R; bits.Len64(R-1) is ceil(log2 R).
		MinBits: max(1, (bits.Len64(records-1)+1)/2),
		// Largest b with 2^b <= n/2.
		MaxBits: bits.Len64(n/2) - 1,
	}
	if rec.MaxBits < 1 {
		rec.MaxBits = 0
		return rec, fmt.Errorf("%w: %d distinct values", ErrNotIndexable, n)
	}
	rec.Bits = rec.MinBits
	if rec.MinBits > rec.MaxBits {
		rec.DomainLimited = true
		rec.Bits = rec.MaxBits
	}
	buckets := math.Ldexp(1, rec.Bits)
	rec.RecordsPerValue = float64(records) / buckets
	rec.ValuesPerValue = float64(n) / buckets
	rec.Alone = math.Exp(float64(n-1) * math.Log1p(-1/buckets))
	return rec, nil
}
