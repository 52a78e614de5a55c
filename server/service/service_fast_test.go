package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/zkvault/zkvault/api"
)

// slowCanon is what prepare did before the fast path: decode strictly,
// sort and compact index values, marshal.
func slowCanon(raw []byte) (api.Record, []byte, bool) {
	var r api.Record
	if err := decodeStrict(raw, &r); err != nil {
		return r, nil, false
	}
	if r.Fields == nil {
		r.Fields = map[string]json.RawMessage{}
	}
	for name, vals := range r.Index {
		slices.Sort(vals)
		r.Index[name] = slices.Compact(vals)
	}
	data, err := json.Marshal(r)
	if err != nil {
		return r, nil, false
	}
	return r, data, true
}

func checkCanon(t *testing.T, raw []byte) {
	fr, ok := canonicalRecord(raw, nil)
	sr, sdata, sok := slowCanon(raw)
	if !ok {
		return
	}
	if !sok {
		t.Fatalf("fast accepts what slow rejects: %q", raw)
	}
	if !bytes.Equal(sdata, raw) {
		t.Fatalf("fast accepts non-canonical %q\nslow %q", raw, sdata)
	}
	if fr.ID != sr.ID || !reflect.DeepEqual(fr.Fields, sr.Fields) || !reflect.DeepEqual(fr.Index, sr.Index) {
		t.Fatalf("records differ for %q:\n%#v\n%#v", raw, fr, sr)
	}
}

type listReq struct {
	Records []json.RawMessage `json:"records"`
}

func checkList(t *testing.T, data []byte) {
	var fast listReq
	var ok bool
	fast.Records, ok = splitRawList(data, "records")
	if !ok {
		return
	}
	var slow listReq
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&slow)
	if err == nil {
		if _, terr := dec.Token(); terr == nil {
			err = terr
		}
	}
	if err != nil {
		t.Fatalf("fast accepts what slow rejects (%v): %q", err, data)
	}
	if len(fast.Records) != len(slow.Records) || (fast.Records == nil) != (slow.Records == nil) {
		t.Fatalf("lists differ %q: %q vs %q", data, fast.Records, slow.Records)
	}
	for i := range fast.Records {
		if !bytes.Equal(fast.Records[i], slow.Records[i]) {
			t.Fatalf("item %d differs %q: %q vs %q", i, data, fast.Records[i], slow.Records[i])
		}
	}
}

var canonSeeds = []string{
	`{"id":"a","fields":{}}`,
	`{"id":"a","fields":{"t":"x"}}`,
	`{"id":"a","fields":{"a":1,"b":"enc:v2:1:AAAA","c":true,"d":false,"e":-0.5e+3}}`,
	`{"id":"a","fields":{"a":1},"index":{"i":["00ff","0a"],"j":["ab"]}}`,
	`{"id":"a","fields":{"b":1,"a":2}}`,
	`{"id":"a","fields":{"a":1,"a":2}}`,
	`{"id":"a","fields":{"a":"<x>"}}`,
	`{"id":"a","fields":{"a":"\u003c\n\"\\"}}`,
	`{"id":"a","fields":{"a":"` + "\u2028" + `"}}`,
	`{"id":"a","fields":{"a":"` + "\xe2\x80" + `"}}`,
	`{"id":"a","fields":{"a":"` + "\xff" + `"}}`,
	`{"id":"a","fields":{"a":null}}`,
	`{"id":"a","fields":{"a":[1]}}`,
	`{"id":"a","fields":{"a":01}}`,
	`{"id":"a","fields":{"a":1.}}`,
	`{"id":"a","fields":{"a":"x` + "\x01" + `"}}`,
	`{"id":"a","fields":{"a":"\x"}}`,
	`{"id":"a","fields":{"a":"\u12g4"}}`,
	`{"id":"a","fields":{}, "index":{}}`,
	`{"id":"a","fields":{},"index":{}}`,
	`{"id":"a","fields":{},"index":{"i":[]}}`,
	`{"id":"a","fields":{},"index":{"i":["b","a"]}}`,
	`{"id":"a","fields":{},"index":{"i":["a","a"]}}`,
	`{"id":"a","fields":{},"index":{"i":["A"]}}`,
	`{"id":".a","fields":{}}`,
	`{"id":"a\"b","fields":{}}`,
	`{"ID":"a","fields":{}}`,
	`{"id":"a","Fields":{}}`,
	`{"id":"a","fields":{}} `,
	`{"id":"a","fields":{}}x`,
	`{"id":"a","fields":{"é":1}}`,
	`{"id":"a","fields":{"a":1}`,
}

func TestCanonicalRecordSeeds(t *testing.T) {
	accepted := 0
	for _, s := range canonSeeds {
		checkCanon(t, []byte(s))
		if _, ok := canonicalRecord([]byte(s), nil); ok {
			accepted++
		}
	}
	if accepted < 4 {
		t.Fatalf("only %d seeds take the fast path", accepted)
	}
}

func FuzzCanonicalRecord(f *testing.F) {
	for _, s := range canonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkCanon(t, raw) })
}

var listSeeds = []string{
	`{"records":[]}`,
	`{"records":[{}]}`,
	`{"records":[1,"a",true,false,null,[],{},[1,[2,{"a":[]}]],{"a":{"b":"c"}}]}`,
	`{"records":[1,2]}` + "\n\t ",
	`{"records":[1,2]}x`,
	`{"records":[1,2],}`,
	`{"records":[1,2,]}`,
	`{"records":[{"a":1,}]}`,
	`{"records":[{"a"1}]}`,
	`{"records":[{1:1}]}`,
	`{"records":[-]}`,
	`{"records":[01]}`,
	`{"records":["\ud800"]}`,
	`{"records":["` + "\x00" + `"]}`,
	`{"records":null}`,
	`{"Records":[]}`,
	`{"records":[],"records":[]}`,
	` {"records":[]}`,
	`{"records":[tru]}`,
	`{"records":[1 ]}`,
}

func TestDecodeRawListSeeds(t *testing.T) {
	for _, s := range listSeeds {
		checkList(t, []byte(s))
	}
}

func FuzzDecodeRawList(f *testing.F) {
	for _, s := range listSeeds {
		f.Add([]byte(s))
	}
	for _, s := range canonSeeds {
		f.Add([]byte(`{"records":[` + s + `]}`))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkList(t, data) })
}

// DecodeRecords gives what DecodeJSON into the request type gives, fast path
// or not.
func TestDecodeRecordsSame(t *testing.T) {
	for _, s := range listSeeds {
		a, errA := DecodeRecords([]byte(s))
		var b listReq
		errB := DecodeJSON(bytes.NewReader([]byte(s)), &b)
		if (errA == nil) != (errB == nil) || errA != nil && errA.Error() != errB.Error() || errA == nil && !reflect.DeepEqual(a, b.Records) {
			t.Fatalf("%q: %v %q vs %v %q", s, errA, a, errB, b.Records)
		}
	}
}

// TestSlab: the slices slab hands out never overlap, whatever their sizes.
func TestSlab(t *testing.T) {
	var block []int
	var got [][]int
	for i := 0; i < 300; i++ {
		n := i % 7
		s := slab(&block, n)
		if len(s) != 0 || cap(s) != n {
			t.Fatalf("slab %d: len %d cap %d", n, len(s), cap(s))
		}
		for j := 0; j < n; j++ {
			s = append(s, i)
		}
		got = append(got, s)
	}
	for i, s := range got {
		for _, v := range s {
			if v != i {
				t.Fatalf("slice %d holds %v", i, s)
			}
		}
	}
}

// TestCanonicalScratch: records parsed one after another with the same
// scratch maps come out as parsed alone.
func TestCanonicalScratch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var m recordScratch
	names := map[string]string{"a": "a", "b": "b", "ix": "ix"}
	for i := 0; i < 500; i++ {
		r := api.Record{ID: fmt.Sprintf("r%d", i), Fields: map[string]json.RawMessage{}}
		for _, f := range []string{"a", "b", "c"} {
			if rng.IntN(2) == 0 {
				r.Fields[f] = json.RawMessage(fmt.Sprintf(`"%s%d"`, f, rng.IntN(100)))
			}
		}
		if n := rng.IntN(4); n > 0 {
			r.Index = map[string][]string{}
			for _, ix := range []string{"ix", "iy"}[:1+rng.IntN(2)] {
				var vals []string
				for v := 0; v < n; v++ {
					vals = append(vals, fmt.Sprintf("%02x", v*16+rng.IntN(16)))
				}
				r.Index[ix] = vals
			}
		}
		raw, _ := json.Marshal(r)
		want, wok := canonicalRecord(raw, nil)
		got, gok := canonicalRecordIn(raw, names, &m)
		if wok != gok || !reflect.DeepEqual(want, got) {
			t.Fatalf("%s: %v %+v, alone %v %+v", raw, gok, got, wok, want)
		}
	}
}
