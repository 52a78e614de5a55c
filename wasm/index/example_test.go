package index_test

import (
	"context"
	"fmt"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/wasm/index"
	"github.com/zkvault/zkvault/wasm/prim"
)

func ExampleNormalize() {
	for _, in := range []string{"+1 (415) 555-0100", "(415) 555-0100", "001 415 555 0100"} {
		out, _ := index.Normalize(api.NormPhone, in, index.Options{Region: "US"})
		fmt.Println(out)
	}
	gb, _ := index.Normalize(api.NormPhone, "020 7946 0958", index.Options{Region: "GB"})
	fmt.Println(gb)
	for _, in := range []string{"José", "JOSE", "ИВАН", "王小明"} {
		out, _ := index.Normalize(api.NormText, in, index.Options{})
		fmt.Println(out)
	}
	_, err := index.Normalize(api.NormPhone, "4155550100", index.Options{})
	fmt.Println(err)
	// Output:
	// +14155550100
	// +14155550100
	// +14155550100
	// +442079460958
	// jose
	// jose
	// иван
	// 王小明
	// normalizing phone value: index: phone number without country code
}

func ExampleCompute() {
	ctx := context.Background()
	// The core derives the index key from the space secret; a fixed key here.
	key := []byte("0123456789abcdef0123456789abcdef")
	mac, err := prim.Native().NewMAC(ctx, key)
	if err != nil {
		panic(err)
	}
	phone, _ := index.Normalize(api.NormPhone, "+44 20 7946 0958", index.Options{})
	v, _ := index.Compute(ctx, mac, 12, phone)
	fmt.Println(v)
	// A compound index over two normalised fields.
	first, _ := index.Normalize(api.NormText, "Ada", index.Options{})
	last, _ := index.Normalize(api.NormText, "LOVELACE", index.Options{})
	v, _ = index.Compute(ctx, mac, 16, first, last)
	fmt.Println(v)
	// Output:
	// 53c0
	// ae46
}

func ExamplePlan() {
	// A personal vault: a million messages from about a thousand contacts.
	r, _ := index.Plan(1_000_000, 1_000)
	fmt.Println(r.Bits, r.MinBits, r.MaxBits, r.DomainLimited)
	fmt.Printf("%.0f records per query, %.1f contacts per index value\n", r.RecordsPerValue, r.ValuesPerValue)
	// A boolean is not worth indexing.
	_, err := index.Plan(1_000_000, 2)
	fmt.Println(err)
	// Output:
	// 8 10 8 true
	// 3906 records per query, 3.9 contacts per index value
	// index: field has too few distinct values to index: 2 distinct values
}
