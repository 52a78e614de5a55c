package main

import (
	"encoding/binary"
	"fmt"
)

// Dropping the line tables (summary): Go keeps, for every function, a
// pc→file and a pc→line table in runtime.pclntab, used only to print file
// names and line numbers (tracebacks, runtime.Caller, runtime.Frames,
// runtime.Func.FileLine). In zkvault.wasm they are about 75 KB brotli of
// the 1 MB. stripLines sets every function's pcfile and pcln offsets to 0,
// which the runtime reads as "no table" (runtime.pcvalue returns -1 for
// offset 0, and funcline1 then gives "?", 0), and zeroes the table bytes
// that nothing else uses, and the file name tables (filetab, cutab), read
// only through a valid file number. Function names, the stack-pointer
// tables, the PCDATA tables (stack maps, unsafe points, inlining) and the
// FUNCDATA the garbage collector and unwinder use are left exactly as they
// are. A traceback then still names every function, with "?:0" for its
// place.
//
// The layout read here is Go 1.20's to 1.26's (magic 0xfffffff1,
// runtime/symtab.go pcHeader and moduledata, runtime/runtime2.go _func);
// stripLines refuses a module whose header or moduledata does not match,
// and every offset it follows is bounds-checked.

// pcHeader is runtime.pcHeader's fields that stripLines needs.
type pcHeader struct {
	at                                                   int // offset in the memory image
	nfunc                                                int
	funcname, cutab, filetab, pctab, pclntab, moduledata int // offsets in the memory image
}

var pclnMagic = []byte{0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8} // magic, pad, pad, minLC 1, ptrSize 8

// findPCHeader finds runtime.pcHeader in mem (linear memory from address
// base): the header whose moduledata (which starts with a pointer to it
// and the funcnametab, cutab, filetab, pctab and pclntable slices) agrees
// with it. Exactly one must.
func findPCHeader(mem []byte, base uint32) (pcHeader, error) {
	var found []pcHeader
	u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(mem[off:]) }
	align := int(-base & 7) // first 8-byte-aligned address
	for i := align; i+72 <= len(mem); i += 8 {
		if string(mem[i:i+8]) != string(pclnMagic) {
			continue
		}
		addr := uint64(base) + uint64(i)
		h := pcHeader{at: i, nfunc: int(u64(i + 8))}
		offs := [5]uint64{u64(i + 32), u64(i + 40), u64(i + 48), u64(i + 56), u64(i + 64)}
		ok := h.nfunc > 0 && h.nfunc < 1<<24
		for _, o := range offs {
			ok = ok && o < uint64(len(mem)-i)
		}
		if !ok {
			continue
		}
		h.funcname, h.cutab, h.filetab, h.pctab, h.pclntab = i+int(offs[0]), i+int(offs[1]), i+int(offs[2]), i+int(offs[3]), i+int(offs[4])
		// moduledata: pcHeader pointer, then slices (ptr, len, cap) of
		// funcnametab, cutab, filetab, pctab, pclntable.
		for j := align; j+8*20 <= len(mem); j += 8 {
			if u64(j) != addr {
				continue
			}
			match := true
			for k, at := range []int{h.funcname, h.cutab, h.filetab, h.pctab, h.pclntab} {
				if u64(j+8+24*k) != uint64(base)+uint64(at) {
					match = false
				}
			}
			if match {
				h.moduledata = j
				found = append(found, h)
			}
		}
	}
	if len(found) != 1 {
		return pcHeader{}, fmt.Errorf("%w: %d runtime.pcHeader candidates, want 1", errFormat, len(found))
	}
	return found[0], nil
}

// sliceLen returns the length of moduledata slice field k (0 funcnametab,
// 1 cutab, 2 filetab, 3 pctab, 4 pclntable, 5 ftab), or -1 if it is
// longer than mem.
func (h pcHeader) sliceLen(mem []byte, k int) int {
	n := binary.LittleEndian.Uint64(mem[h.moduledata+8+24*k+8:])
	if n > uint64(len(mem)) {
		return -1
	}
	return int(n)
}

// pcTableLen returns the length of the pc-value table at off in pctab:
// pairs of varints (value delta, pc delta) ended by a zero value delta
// after the first pair (runtime.step).
func pcTableLen(pctab []byte, off int) (int, error) {
	k := off
	for first := true; ; first = false {
		v, n := binary.Uvarint(pctab[min(k, len(pctab)):])
		if n <= 0 {
			return 0, fmt.Errorf("%w: pc-value table at %d runs past pctab", errFormat, off)
		}
		k += n
		if v == 0 && !first {
			return k - off, nil
		}
		_, n = binary.Uvarint(pctab[min(k, len(pctab)):])
		if n <= 0 {
			return 0, fmt.Errorf("%w: pc-value table at %d runs past pctab", errFormat, off)
		}
		k += n
	}
}

// stripLines drops the pc→file and pc→line tables and the file tables from
// the memory image mem (linear memory from address base), in place.
func stripLines(mem []byte, base uint32) error {
	h, err := findPCHeader(mem, base)
	if err != nil {
		return err
	}
	pctabLen, pclnLen, ftabLen := h.sliceLen(mem, 3), h.sliceLen(mem, 4), h.sliceLen(mem, 5)
	if pctabLen < 0 || pclnLen < 0 || h.pctab+pctabLen > len(mem) || h.pclntab+pclnLen > len(mem) || ftabLen != h.nfunc+1 || 8*ftabLen > pclnLen {
		return fmt.Errorf("%w: pclntab tables out of range", errFormat)
	}
	pctab := mem[h.pctab : h.pctab+pctabLen]
	pcln := mem[h.pclntab : h.pclntab+pclnLen]
	const funcSize = 44 // runtime._func without its pcdata and funcdata arrays
	drop := map[uint32]bool{}
	keep := map[uint32]bool{}
	var funcs []int
	for f := 0; f < h.nfunc; f++ {
		fo := int(binary.LittleEndian.Uint32(pcln[8*f+4:]))
		if fo+funcSize > len(pcln) {
			return fmt.Errorf("%w: _func %d out of range", errFormat, f)
		}
		fn := pcln[fo:]
		npcdata := int(binary.LittleEndian.Uint32(fn[28:]))
		if npcdata > 64 || fo+funcSize+4*npcdata > len(pcln) {
			return fmt.Errorf("%w: _func %d pcdata out of range", errFormat, f)
		}
		keep[binary.LittleEndian.Uint32(fn[16:])] = true // pcsp
		for k := range npcdata {
			keep[binary.LittleEndian.Uint32(fn[funcSize+4*k:])] = true
		}
		drop[binary.LittleEndian.Uint32(fn[20:])] = true // pcfile
		drop[binary.LittleEndian.Uint32(fn[24:])] = true // pcln
		funcs = append(funcs, fo)
	}
	// Measure every table first, so that a malformed one leaves mem as it
	// was; then zero the dropped ones, except bytes a kept table uses.
	type span struct{ off, n int }
	var kept, dropped []span
	for _, t := range []struct {
		set  map[uint32]bool
		into *[]span
	}{{keep, &kept}, {drop, &dropped}} {
		for off := range t.set {
			if off == 0 {
				continue
			}
			n, err := pcTableLen(pctab, int(off))
			if err != nil {
				return err
			}
			*t.into = append(*t.into, span{int(off), n})
		}
	}
	used := make([]bool, len(pctab))
	for _, s := range kept {
		for i := s.off; i < s.off+s.n; i++ {
			used[i] = true
		}
	}
	for _, s := range dropped {
		for i := s.off; i < s.off+s.n; i++ {
			if !used[i] {
				pctab[i] = 0
			}
		}
	}
	for _, fo := range funcs {
		binary.LittleEndian.PutUint32(pcln[fo+20:], 0)
		binary.LittleEndian.PutUint32(pcln[fo+24:], 0)
	}
	// The file tables: cutab (uint32s) up to filetab, filetab up to pctab.
	cutabLen, filetabLen := h.sliceLen(mem, 1), h.sliceLen(mem, 2)
	if cutabLen < 0 || filetabLen < 0 || h.cutab+4*cutabLen > len(mem) || h.filetab+filetabLen > len(mem) {
		return fmt.Errorf("%w: file tables out of range", errFormat)
	}
	clear(mem[h.cutab : h.cutab+4*cutabLen])
	clear(mem[h.filetab : h.filetab+filetabLen])
	return nil
}
