// Natural numbers for the RSA private key check (summary): the few
// operations rsacheck.go needs (compare, subtract, multiply, reduce, and a
// Montgomery exponentiation for an odd modulus), on little-endian 32-bit
// limbs. They replace math/big in the module, where math/big was used for
// nothing else and cost about 25 KB brotli. Like math/big they are not
// constant-time: they run once per key import, on a key the caller holds.
// nat_test.go checks every operation against math/big (and fuzzes them).

package prim

import "math/bits"

// nat is a natural number, little-endian base 2^32 limbs without high zero
// limbs (zero is the empty nat).
type nat []uint32

// natFromBytes returns the big-endian unsigned integer b.
func natFromBytes(b []byte) nat {
	z := make(nat, (len(b)+3)/4)
	for i, c := range b {
		k := len(b) - 1 - i
		z[k/4] |= uint32(c) << (8 * (k % 4))
	}
	return z.norm()
}

// natFromUint64 returns x.
func natFromUint64(x uint64) nat {
	return nat{uint32(x), uint32(x >> 32)}.norm()
}

// norm drops high zero limbs.
func (z nat) norm() nat {
	for len(z) > 0 && z[len(z)-1] == 0 {
		z = z[:len(z)-1]
	}
	return z
}

// fillBytes writes z big-endian into all of buf; z must fit.
func (z nat) fillBytes(buf []byte) {
	clear(buf)
	for i := range buf {
		k := len(buf) - 1 - i
		if k/4 < len(z) {
			buf[i] = byte(z[k/4] >> (8 * (k % 4)))
		}
	}
}

// bitLen returns the length of z in bits (0 for zero).
func (z nat) bitLen() int {
	if len(z) == 0 {
		return 0
	}
	return 32*(len(z)-1) + bits.Len32(z[len(z)-1])
}

// bit returns bit i of z.
func (z nat) bit(i int) uint32 {
	if i/32 >= len(z) {
		return 0
	}
	return z[i/32] >> (i % 32) & 1
}

// isOne reports whether z = 1.
func (z nat) isOne() bool { return len(z) == 1 && z[0] == 1 }

// cmp returns -1, 0 or +1 as x < y, x = y or x > y. x and y may have high
// zero limbs.
func (x nat) cmp(y nat) int {
	x, y = x.norm(), y.norm()
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	for i := len(x) - 1; i >= 0; i-- {
		if x[i] != y[i] {
			if x[i] < y[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// subFrom sets z = z - y in place and returns the borrow (z and y may have
// high zero limbs; len(y) <= len(z)).
func (z nat) subFrom(y nat) uint32 {
	var borrow uint32
	for i := range z {
		var yi uint32
		if i < len(y) {
			yi = y[i]
		}
		z[i], borrow = bits.Sub32(z[i], yi, borrow)
	}
	return borrow
}

// sub returns x - y for x >= y.
func (x nat) sub(y nat) nat {
	z := append(nat(nil), x...)
	z.subFrom(y)
	return z.norm()
}

// absDiff returns |x - y|.
func absDiff(x, y nat) nat {
	if x.cmp(y) < 0 {
		return y.sub(x)
	}
	return x.sub(y)
}

// mul returns x·y.
func (x nat) mul(y nat) nat {
	z := make(nat, len(x)+len(y))
	for i, xi := range x {
		var carry uint32
		for j, yj := range y {
			hi, lo := bits.Mul32(xi, yj)
			var c uint32
			lo, c = bits.Add32(lo, z[i+j], 0)
			hi += c
			lo, c = bits.Add32(lo, carry, 0)
			hi += c
			z[i+j], carry = lo, hi
		}
		z[i+len(y)] = carry
	}
	return z.norm()
}

// mod returns x mod m for m > 0 (Knuth's long division, TAOCP vol. 2,
// 4.3.1, algorithm D, keeping only the remainder).
func (x nat) mod(m nat) nat {
	x, m = x.norm(), m.norm()
	if x.cmp(m) < 0 {
		return append(nat(nil), x...)
	}
	n := len(m)
	if n == 1 {
		var r uint64
		for i := len(x) - 1; i >= 0; i-- {
			r = (r<<32 | uint64(x[i])) % uint64(m[0])
		}
		return nat{uint32(r)}.norm()
	}
	// Normalise: shift both left so that v's top bit is set.
	s := uint(bits.LeadingZeros32(m[n-1]))
	v := m.shl(s, n)
	u := x.shl(s, len(x)+1)
	for j := len(u) - n - 1; j >= 0; j-- {
		// Estimate the quotient digit from the top two limbs of u and the
		// top limb of v; it is then at most 2 too large (at most 1 after
		// this correction with v's second limb).
		num := uint64(u[j+n])<<32 | uint64(u[j+n-1])
		qhat, rhat := num/uint64(v[n-1]), num%uint64(v[n-1])
		for qhat >= 1<<32 || qhat*uint64(v[n-2]) > rhat<<32|uint64(u[j+n-2]) {
			qhat--
			rhat += uint64(v[n-1])
			if rhat >= 1<<32 {
				break
			}
		}
		// u[j:j+n+1] -= qhat·v
		var carry, borrow uint64
		for i := range n {
			p := qhat*uint64(v[i]) + carry
			carry = p >> 32
			t := uint64(u[i+j]) - p&0xffffffff - borrow
			u[i+j] = uint32(t)
			borrow = t >> 63
		}
		t := uint64(u[j+n]) - carry - borrow
		u[j+n] = uint32(t)
		if t>>63 != 0 { // qhat was one too large: add v back
			var c uint64
			for i := range n {
				sum := uint64(u[i+j]) + uint64(v[i]) + c
				u[i+j] = uint32(sum)
				c = sum >> 32
			}
			u[j+n] += uint32(c)
		}
	}
	return u[:n].shr(s).norm()
}

// shl returns z·2^s (s < 32) in a new nat of size limbs (enough to hold it).
func (z nat) shl(s uint, size int) nat {
	r := make(nat, size)
	var carry uint32
	for i, w := range z {
		r[i] = w<<s | carry
		carry = uint32(uint64(w) >> (32 - s))
	}
	if len(z) < size {
		r[len(z)] = carry
	}
	return r
}

// shr shifts z right by s < 32 bits in place and returns it.
func (z nat) shr(s uint) nat {
	for i := range z {
		z[i] >>= s
		if i+1 < len(z) {
			z[i] |= uint32(uint64(z[i+1]) << (32 - s))
		}
	}
	return z
}

// expOdd returns x^y mod m for an odd m > 1, by Montgomery multiplication
// (square and multiply, left to right).
func (x nat) expOdd(y, m nat) nat {
	n := len(m)
	// m0inv = -m^-1 mod 2^32 by Newton's iteration (each step doubles the
	// correct low bits; m[0] is odd, so inv = m[0] is right mod 2^3).
	inv := m[0]
	for range 4 {
		inv *= 2 - m[0]*inv
	}
	m0inv := -inv
	// montMul returns a·b·2^(-32n) mod m for a, b < m (n limbs each).
	montMul := func(a, b nat) nat {
		t := make(nat, n+2)
		for i := range n {
			// t += a[i]·b
			var carry uint32
			for j := range n {
				hi, lo := bits.Mul32(a[i], b[j])
				var c uint32
				lo, c = bits.Add32(lo, t[j], 0)
				hi += c
				lo, c = bits.Add32(lo, carry, 0)
				hi += c
				t[j], carry = lo, hi
			}
			var c uint32
			t[n], c = bits.Add32(t[n], carry, 0)
			t[n+1] += c
			// t = (t + u·m) / 2^32 with u making the low limb zero
			u := t[0] * m0inv
			hi, lo := bits.Mul32(u, m[0])
			_, c = bits.Add32(lo, t[0], 0)
			carry = hi + c
			for j := 1; j < n; j++ {
				hi, lo := bits.Mul32(u, m[j])
				lo, c = bits.Add32(lo, t[j], 0)
				hi += c
				lo, c = bits.Add32(lo, carry, 0)
				hi += c
				t[j-1], carry = lo, hi
			}
			t[n-1], c = bits.Add32(t[n], carry, 0)
			t[n] = t[n+1] + c
			t[n+1] = 0
		}
		// t < 2m: one subtraction at most.
		if t[n] != 0 || t[:n].cmp(m) >= 0 {
			t.subFrom(m)
		}
		return t[:n]
	}
	// widen returns a < m as n limbs.
	widen := func(a nat) nat { return append(append(nat(nil), a...), make(nat, n-len(a))...) }
	// rr = 2^(64n) mod m converts into Montgomery form.
	big := make(nat, 2*n+1)
	big[2*n] = 1
	rr := widen(big.mod(m))
	xm := montMul(widen(x.mod(m)), rr)
	z := montMul(widen(nat{1}), rr) // 1 in Montgomery form
	for i := y.bitLen() - 1; i >= 0; i-- {
		z = montMul(z, z)
		if y.bit(i) == 1 {
			z = montMul(z, xm)
		}
	}
	return montMul(z, widen(nat{1})).norm()
}
