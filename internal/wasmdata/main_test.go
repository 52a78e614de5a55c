package main

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// module builds a module with a type section, the data section of segs and
// a custom section after it.
func module(segs []segment) []byte {
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = append(m, 1, 4, 1, 0x60, 0, 0) // type section: one func type () -> ()
	d := encodeData(segs)
	m = append(m, dataSectionID)
	m = appendUleb(m, uint32(len(d)))
	m = append(m, d...)
	m = append(m, 0, 3, 2, 'h', 'i') // custom section "hi"
	return m
}

// image returns the linear memory the module's data section writes, and the
// module's other sections in order.
func image(t *testing.T, mod []byte) (mem []byte, nsegs int, rest []byte) {
	t.Helper()
	for i := 8; i < len(mod); {
		size, n, err := uleb(mod[i+1:])
		if err != nil {
			t.Fatal(err)
		}
		next := i + 1 + n + int(size)
		if mod[i] != dataSectionID {
			rest = append(rest, mod[i:next]...)
			i = next
			continue
		}
		segs, err := parseData(mod[i+1+n : next])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range segs {
			if end := int(s.offset) + len(s.data); end > len(mem) {
				mem = append(mem, make([]byte, end-len(mem))...)
			}
			copy(mem[s.offset:], s.data)
		}
		nsegs = len(segs)
		i = next
	}
	return mem, nsegs, rest
}

func TestRewriteKeepsMemoryAndSections(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 200; iter++ {
		var segs []segment
		off := uint32(r.IntN(100000))
		for k := r.IntN(50); k > 0; k-- {
			d := make([]byte, 1+r.IntN(40))
			for i := range d {
				d[i] = byte(r.IntN(256))
			}
			segs = append(segs, segment{off, d})
			off += uint32(len(d)) + uint32(r.IntN(200)) // gaps from 0 up
		}
		r.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
		in := module(segs)
		for _, gap := range []uint32{0, 8, 64, 1 << 20} {
			out, err := rewrite(in, gap, false)
			if err != nil {
				t.Fatal(err)
			}
			m1, n1, rest1 := image(t, in)
			m2, n2, rest2 := image(t, out)
			if !bytes.Equal(m1, m2) {
				t.Fatalf("iter %d gap %d: memory differs", iter, gap)
			}
			if !bytes.Equal(rest1, rest2) {
				t.Fatalf("iter %d gap %d: other sections differ", iter, gap)
			}
			if n2 > n1 {
				t.Fatalf("iter %d gap %d: %d segments from %d", iter, gap, n2, n1)
			}
			if gap == 1<<20 && len(segs) > 0 && n2 != 1 {
				t.Fatalf("iter %d: %d segments after merging everything", iter, n2)
			}
		}
	}
}

func TestMergeGaps(t *testing.T) {
	segs := []segment{{10, []byte{1}}, {13, []byte{2}}, {20, []byte{3}}, {21, []byte{4}}}
	got := merge(segs, 2)
	want := []segment{{10, []byte{1, 0, 0, 2}}, {20, []byte{3, 4}}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range got {
		if got[i].offset != want[i].offset || !bytes.Equal(got[i].data, want[i].data) {
			t.Fatalf("segment %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestRefuses(t *testing.T) {
	good := module([]segment{{100, []byte{1, 2}}, {200, []byte{3}}})
	if _, err := rewrite(good, 8, false); err != nil {
		t.Fatal(err)
	}
	// Out of order but disjoint, as Go writes its sections: accepted, and
	// the same memory.
	swapped := module([]segment{{200, []byte{3}}, {100, []byte{1, 2}}})
	out, err := rewrite(swapped, 1000, false)
	if err != nil {
		t.Fatal(err)
	}
	if m1, _, _ := image(t, swapped); !bytes.Equal(m1, func() []byte { m, _, _ := image(t, out); return m }()) {
		t.Fatal("memory differs after sorting")
	}
	cases := map[string][]byte{
		"no header":             good[4:],
		"overlap":               module([]segment{{100, []byte{1, 2}}, {101, []byte{3}}}),
		"overlap, out of order": module([]segment{{200, []byte{1}}, {199, []byte{3, 4}}}),
		"negative":              module([]segment{{0x80000000, []byte{1}}}),
		"truncated":             good[:len(good)-6],
	}
	passive := module([]segment{{100, []byte{1}}})
	passive[bytes.Index(passive, []byte{0, 0x41, 0xe4, 0})] = 1 // flag 1: passive
	cases["passive"] = passive
	for name, m := range cases {
		if _, err := rewrite(m, 8, false); !errors.Is(err, errFormat) {
			t.Errorf("%s: err %v, want errFormat", name, err)
		}
	}
}

func FuzzRewrite(f *testing.F) {
	f.Add(module([]segment{{100, []byte{1, 2}}, {200, []byte{3}}}))
	f.Add(module(nil))
	f.Fuzz(func(t *testing.T, m []byte) {
		out, err := rewrite(m, 16, false)
		if err != nil {
			return
		}
		if _, err := rewrite(out, 16, false); err != nil {
			t.Fatalf("rewritten module refused: %v", err)
		}
	})
}
