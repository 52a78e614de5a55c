package index

import (
	"errors"
	"math"
	"testing"
)

func TestPlan(t *testing.T) {
	for _, c := range []struct {
		name            string
		records, domain uint64
		bits, min, max  int
		domainLimited   bool
		recordsPerValue float64
		valuesPerValue  float64
		alone           float64
	}{
		// Personal vault: messages by sender phone number, ~10^3 contacts.
		{"1e6 messages, 1e3 contacts", 1_000_000, 1_000, 8, 10, 8, true, 3906.25, 3.90625, 0.0201},
		{"1e5 messages, 1e3 contacts", 100_000, 1_000, 8, 9, 8, true, 390.625, 3.90625, 0.0201},
		// The contacts collection itself: one record per contact.
		{"1e3 contacts", 1_000, 1_000, 5, 5, 8, false, 31.25, 31.25, 0},
		// Record-limited: the domain (all e-mail addresses) dwarfs the records.
		{"1e6 records, huge domain", 1_000_000, 1 << 40, 10, 10, 18, false, 976.5625, 976.5625, 0},
		{"1e4 records, 1e4 values", 10_000, 10_000, 7, 7, 12, false, 78.125, 78.125, 0},
		{"tiny", 10, 10, 2, 2, 2, false, 2.5, 2.5, 0.0751},
		{"four values", 1_000_000, 4, 1, 10, 1, true, 500_000, 2, 0.125},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Plan(c.records, c.domain)
			if err != nil {
				t.Fatal(err)
			}
			if r.Bits != c.bits || r.MinBits != c.min || r.MaxBits != c.max || r.DomainLimited != c.domainLimited {
				t.Errorf("Plan = %+v, want bits %d range %d..%d limited %v", r, c.bits, c.min, c.max, c.domainLimited)
			}
			if math.Abs(r.RecordsPerValue-c.recordsPerValue) > 1e-9 || math.Abs(r.ValuesPerValue-c.valuesPerValue) > 1e-9 {
				t.Errorf("per value: %v records, %v values; want %v, %v", r.RecordsPerValue, r.ValuesPerValue, c.recordsPerValue, c.valuesPerValue)
			}
			if math.Abs(r.Alone-c.alone) > 5e-4 {
				t.Errorf("alone = %v, want %v", r.Alone, c.alone)
			}
			// The bounds as documented: ≥ 2 values per index value; ≤ √R
			// records per query unless domain-limited.
			if r.ValuesPerValue < 2 || r.RecordsPerValue < 2 {
				t.Errorf("fewer than 2 per index value: %v", r)
			}
			if !r.DomainLimited && r.RecordsPerValue > math.Sqrt(float64(c.records)) {
				t.Errorf("more than √R records per index value: %v", r)
			}
			if r.String() == "" {
				t.Error("empty String")
			}
		})
	}
}

func TestPlanNotIndexable(t *testing.T) {
	for _, domain := range []uint64{1, 2, 3} { // a constant, a boolean, a tri-state
		r, err := Plan(1_000_000, domain)
		if !errors.Is(err, ErrNotIndexable) || r.Bits != 0 || r.MaxBits != 0 {
			t.Errorf("Plan(1e6, %d) = %+v, %v; want ErrNotIndexable", domain, r, err)
		}
	}
	if _, err := Plan(3, 1_000); !errors.Is(err, ErrNotIndexable) {
		t.Errorf("Plan(3 records) = %v", err)
	}
	for _, c := range [][2]uint64{{0, 10}, {10, 0}} {
		if _, err := Plan(c[0], c[1]); !errors.Is(err, ErrPlanInput) {
			t.Errorf("Plan(%d, %d) = %v", c[0], c[1], err)
		}
	}
	if r, err := Plan(math.MaxUint64, math.MaxUint64); err != nil || r.Bits != 32 || r.MaxBits != 62 {
		t.Errorf("Plan(max, max) = %+v, %v", r, err)
	}
}

// TestDefaultBits: DefaultBits is what Plan says for the personal vault the
// spec describes.
func TestDefaultBits(t *testing.T) {
	for _, records := range []uint64{100_000, 1_000_000} {
		r, err := Plan(records, 1_000)
		if err != nil || r.Bits != DefaultBits {
			t.Errorf("Plan(%d, 1000) = %v, %v; DefaultBits = %d", records, r, err, DefaultBits)
		}
	}
}
