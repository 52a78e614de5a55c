//go:build ignore

// gen_block_wasm writes block_wasm.s: block and blockOuter (see hmac256.go)
// in Go's WebAssembly assembly, for GOARCH=wasm.
//
// The Go compiler keeps every integer in an i64 local and masks 32-bit
// arithmetic; here the words are computed with I32 operations on the wasm
// operand stack. The eight working variables live in the i64 locals R0 … R7
// (zero-extended words: Go's wasm assembly has no i32 local, so each use is
// wrapped in I32WrapI64/I64ExtendI32U, conversions an optimizing compiler
// can drop), renamed round by round as gen_block.go does; the message
// schedule is a ring of 16 words in the function's 64-byte frame on the Go
// stack. The message words are loaded big-endian with one I32Load and a byte
// swap each. In blockOuter the padding words are constants, folded into the
// rounds and the schedule here, as the compiler folds them in the Go
// version.
//
// Measured in Node 20 against variants of this generator: the schedule in
// the f32 locals F0 … F15 (I32ReinterpretF32) instead of the frame, and the
// message words from four I32Load8U and shifts instead of the byte swap,
// were no faster, within the noise of a shared machine.
//
// It is run with gen_block.go, which writes both files (and holds the round
// constants k):
//
//	go run gen_block.go gen_block_wasm.go [OUT_GO [OUT_S]]
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
)

// Locals: R0 … R7 the working variables, R8 the pointer to the message (or
// the inner hash), R9 T1 of the round, R10 and R11 the schedule's operands,
// R12 the new schedule word.
const (
	regMsg = "R8"
	regT1  = "R9"
	regX   = "R10"
	regY   = "R11"
	regW   = "R12"
)

type gen struct {
	b bytes.Buffer
	// known[j] says whether the schedule word in slot j (w[i] for i ≡ j mod
	// 16) is a constant known here, and val[j] is it; otherwise it is in
	// the frame at 4*j(SP).
	known [16]bool
	val   [16]uint32
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.b, "\t"+format+"\n", args...) }

// c32 pushes a 32-bit constant (I32Const takes a signed 32-bit value).
func (g *gen) c32(v uint32) { g.p("I32Const $%d", int32(v)) }

// get pushes the word in local r.
func (g *gen) get(r string) { g.p("Get %s", r); g.p("I32WrapI64") }

// set pops a word into local r.
func (g *gen) set(r string) { g.p("I64ExtendI32U"); g.p("Set %s", r) }

// rotx pushes rotr(x, a) ^ rotr(x, b) ^ (rotr(x, c) or x >> c) for the word
// in local r.
func (g *gen) rotx(r string, a, b, c int, shift bool) {
	g.get(r)
	g.p("I32Const $%d", a)
	g.p("I32Rotr")
	g.get(r)
	g.p("I32Const $%d", b)
	g.p("I32Rotr")
	g.p("I32Xor")
	g.get(r)
	g.p("I32Const $%d", c)
	if shift {
		g.p("I32ShrU")
	} else {
		g.p("I32Rotr")
	}
	g.p("I32Xor")
}

// loadSlot pushes schedule slot j (which must not be a known constant).
func (g *gen) loadSlot(j int) {
	g.p("Get SP")
	g.p("I32Load $%d", 4*j)
}

// storeSlot stores the word that push pushes in schedule slot j.
func (g *gen) storeSlot(j int, push func()) {
	g.p("Get SP")
	push()
	g.p("I32Store $%d", 4*j)
}

// schedule computes w[i] (i ≥ 16) into R12 and slot i%16 and reports false,
// or, if it is a constant, records it and reports true.
func (g *gen) schedule(i int) bool {
	s16, s15, s7, s2 := (i-16)%16, (i-15)%16, (i-7)%16, (i-2)%16
	sig0 := func(x uint32) uint32 { return rotr(x, 7) ^ rotr(x, 18) ^ x>>3 }
	sig1 := func(x uint32) uint32 { return rotr(x, 17) ^ rotr(x, 19) ^ x>>10 }
	if g.known[s16] && g.known[s15] && g.known[s7] && g.known[s2] {
		g.val[s16] = sig1(g.val[s2]) + g.val[s7] + sig0(g.val[s15]) + g.val[s16]
		return true
	}
	var c uint32 // the sum of the constant terms
	terms := 0
	add := func() {
		if terms > 0 {
			g.p("I32Add")
		}
		terms++
	}
	if g.known[s2] {
		c += sig1(g.val[s2])
	} else {
		g.loadSlot(s2)
		g.set(regX)
		g.rotx(regX, 17, 19, 10, true)
		add()
	}
	if g.known[s7] {
		c += g.val[s7]
	} else {
		g.loadSlot(s7)
		add()
	}
	if g.known[s15] {
		c += sig0(g.val[s15])
	} else {
		g.loadSlot(s15)
		g.set(regY)
		g.rotx(regY, 7, 18, 3, true)
		add()
	}
	if g.known[s16] {
		c += g.val[s16]
	} else {
		g.loadSlot(s16)
		add()
	}
	if c != 0 {
		g.c32(c)
		add()
	}
	g.set(regW)
	g.storeSlot(s16, func() { g.get(regW) })
	g.known[s16] = false
	return false
}

func rotr(x uint32, n int) uint32 { return x>>n | x<<(32-n) }

// rounds writes the 64 rounds and the final additions to the state at h.
func (g *gen) rounds() {
	for i := range 64 {
		kw := k[i] // K[i], plus w[i] if it is a constant
		wInReg := false
		wKnown := false
		if i >= 16 {
			wKnown = g.schedule(i)
			wInReg = !wKnown
		} else {
			wKnown = g.known[i]
		}
		if wKnown {
			kw += g.val[i%16]
		}
		r := func(j int) string { return fmt.Sprintf("R%d", ((j-i)%8+8)%8) }
		a, b, c, d, e, f, gg, h := r(0), r(1), r(2), r(3), r(4), r(5), r(6), r(7)
		g.p("// round %d", i)
		// T1 = h + Σ1(e) + Ch(e, f, g) + K[i] + w[i]
		g.get(h)
		g.rotx(e, 6, 11, 25, false)
		g.p("I32Add")
		g.get(gg)
		g.get(e)
		g.get(f)
		g.get(gg)
		g.p("I32Xor")
		g.p("I32And")
		g.p("I32Xor")
		g.p("I32Add")
		if kw != 0 {
			g.c32(kw)
			g.p("I32Add")
		}
		switch {
		case wKnown:
		case wInReg:
			g.get(regW)
			g.p("I32Add")
		default:
			g.loadSlot(i)
			g.p("I32Add")
		}
		g.set(regT1)
		// d += T1
		g.get(d)
		g.get(regT1)
		g.p("I32Add")
		g.set(d)
		// h = T1 + Σ0(a) + Maj(a, b, c)
		g.get(regT1)
		g.rotx(a, 2, 13, 22, false)
		g.p("I32Add")
		g.get(a)
		g.get(b)
		g.p("I32And")
		g.get(c)
		g.get(a)
		g.get(b)
		g.p("I32Or")
		g.p("I32And")
		g.p("I32Or")
		g.p("I32Add")
		g.set(h)
	}
	g.p("// h[i] += v[i]")
	g.p("MOVD h+0(FP), %s", regMsg)
	for j := range 8 {
		g.get(regMsg)
		g.get(regMsg)
		g.p("I32Load $%d", 4*j)
		g.get(fmt.Sprintf("R%d", j))
		g.p("I32Add")
		g.p("I32Store $%d", 4*j)
	}
	g.p("RET")
}

// loadState loads h[0] … h[7] into R0 … R7.
func (g *gen) loadState() {
	g.p("MOVD h+0(FP), %s", regMsg)
	for j := range 8 {
		g.get(regMsg)
		g.p("I32Load $%d", 4*j)
		g.set(fmt.Sprintf("R%d", j))
	}
}

// writeWasm writes block_wasm.s to out.
func writeWasm(out string) {
	var g gen
	g.b.WriteString("// Code generated by gen_block_wasm.go; DO NOT EDIT.\n\n")
	g.b.WriteString("//go:build wasm\n\n")
	g.b.WriteString("#include \"textflag.h\"\n\n")

	g.b.WriteString("// func block(h *[8]uint32, m *[64]byte)\n")
	g.b.WriteString("TEXT ·block(SB), NOSPLIT, $64-16\n")
	g.loadState()
	// The 16 message words, big-endian: an I32Load and a byte swap,
	// rotr(x, 8) & 0xff00ff00 | rotl(x, 8) & 0x00ff00ff, into the frame.
	g.p("MOVD m+8(FP), %s", regMsg)
	for j := range 16 {
		g.storeSlot(j, func() {
			g.get(regMsg)
			g.p("I32Load $%d", 4*j)
			g.set(regX)
			g.get(regX)
			g.p("I32Const $8")
			g.p("I32Rotr")
			g.c32(0xff00ff00)
			g.p("I32And")
			g.get(regX)
			g.p("I32Const $8")
			g.p("I32Rotl")
			g.c32(0x00ff00ff)
			g.p("I32And")
			g.p("I32Or")
		})
	}
	g.rounds()

	g.b.WriteString("\n// func blockOuter(h *[8]uint32, d *[8]uint32)\n")
	g.b.WriteString("TEXT ·blockOuter(SB), NOSPLIT, $64-16\n")
	g.known, g.val = [16]bool{}, [16]uint32{}
	g.loadState()
	// The inner hash d (words in memory order) and the padding of a
	// message of 64 + 32 bytes: 0x80, zeros, the length in bits.
	g.p("MOVD d+8(FP), %s", regMsg)
	for j := range 8 {
		g.storeSlot(j, func() {
			g.get(regMsg)
			g.p("I32Load $%d", 4*j)
		})
	}
	g.known[8], g.val[8] = true, 0x80000000
	for j := 9; j < 15; j++ {
		g.known[j] = true
	}
	g.known[15], g.val[15] = true, (64+32)*8
	g.rounds()

	if err := os.WriteFile(out, g.b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
