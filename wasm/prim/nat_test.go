package prim

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"
)

// toBig returns z as a big.Int.
func toBig(z nat) *big.Int {
	b := make([]byte, 4*len(z))
	z.fillBytes(b)
	return new(big.Int).SetBytes(b)
}

// randNat returns a random number of up to maxBits bits, often with runs of
// zero or one bits and sometimes a power of two or a small value.
func randNat(r *rand.Rand, maxBits int) *big.Int {
	n := r.IntN(maxBits + 1)
	x := new(big.Int)
	switch r.IntN(5) {
	case 0:
		return x.SetUint64(uint64(r.IntN(5)))
	case 1:
		return x.Lsh(big.NewInt(1), uint(n))
	case 2: // all ones, possibly minus a small value
		x.Sub(x.Lsh(big.NewInt(1), uint(n)), big.NewInt(1))
		return x.Abs(x.Sub(x, big.NewInt(int64(r.IntN(3)))))
	}
	b := make([]byte, (n+7)/8)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	x.SetBytes(b)
	return x.Rsh(x, uint(len(b)*8-n))
}

// checkNatOps checks every nat operation on x, y against math/big.
func checkNatOps(t *testing.T, xb, yb []byte) {
	t.Helper()
	x, y := natFromBytes(xb), natFromBytes(yb)
	bx, by := new(big.Int).SetBytes(xb), new(big.Int).SetBytes(yb)
	eq := func(op string, got nat, want *big.Int) {
		t.Helper()
		if len(got) > 0 && got[len(got)-1] == 0 {
			t.Fatalf("%s(%x, %x): not normalised", op, xb, yb)
		}
		if toBig(got).Cmp(want) != 0 {
			t.Fatalf("%s(%x, %x) = %x, want %x", op, xb, yb, toBig(got), want)
		}
	}
	eq("fromBytes", x, bx)
	if x.bitLen() != bx.BitLen() {
		t.Fatalf("bitLen(%x) = %d, want %d", xb, x.bitLen(), bx.BitLen())
	}
	for _, i := range []int{0, 1, 31, 32, 33, bx.BitLen() - 1, bx.BitLen(), bx.BitLen() + 40} {
		if i >= 0 && x.bit(i) != uint32(bx.Bit(i)) {
			t.Fatalf("bit(%x, %d) = %d", xb, i, x.bit(i))
		}
	}
	if x.cmp(y) != bx.Cmp(by) {
		t.Fatalf("cmp(%x, %x) = %d", xb, yb, x.cmp(y))
	}
	if x.isOne() != (bx.Cmp(big.NewInt(1)) == 0) {
		t.Fatalf("isOne(%x)", xb)
	}
	eq("mul", x.mul(y), new(big.Int).Mul(bx, by))
	eq("absDiff", absDiff(x, y), new(big.Int).Abs(new(big.Int).Sub(bx, by)))
	if bx.Cmp(by) >= 0 {
		eq("sub", x.sub(y), new(big.Int).Sub(bx, by))
	}
	if by.Sign() > 0 {
		eq("mod", x.mod(y), new(big.Int).Mod(bx, by))
		eq("mul mod", x.mul(x).mod(y), new(big.Int).Mod(new(big.Int).Mul(bx, bx), by))
	}
	if by.Bit(0) == 1 && by.Cmp(big.NewInt(1)) > 0 {
		e := x
		if len(e) > 3 { // keep the test quick: a 96-bit exponent at most
			e = e[:3].norm()
		}
		eq("expOdd", x.expOdd(e, y), new(big.Int).Exp(bx, toBig(e), by))
	}
	// fillBytes into a buffer of exactly the length, and a longer one.
	for _, extra := range []int{0, 3} {
		buf := make([]byte, (bx.BitLen()+7)/8+extra)
		for i := range buf {
			buf[i] = 0xaa
		}
		x.fillBytes(buf)
		if !bytes.Equal(buf, bx.FillBytes(make([]byte, len(buf)))) {
			t.Fatalf("fillBytes(%x) = %x", xb, buf)
		}
	}
}

func TestNatAgainstBig(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 3000; iter++ {
		maxBits := 100
		if iter%10 == 0 {
			maxBits = 700
		}
		x, y := randNat(r, maxBits), randNat(r, maxBits)
		checkNatOps(t, x.Bytes(), y.Bytes())
		// With leading zero bytes, as DER never has but bytes may.
		checkNatOps(t, append([]byte{0, 0}, x.Bytes()...), y.Bytes())
	}
}

// TestNatExpRSASize checks expOdd at the size rsacheck.go uses it: a
// 2048-bit odd modulus and exponent (q^(p-2) mod p).
func TestNatExpRSASize(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 3 {
		m := randNat(r, 2048)
		m.SetBit(m, 2047, 1).SetBit(m, 0, 1)
		x, y := randNat(r, 2100), randNat(r, 2048)
		got := natFromBytes(x.Bytes()).expOdd(natFromBytes(y.Bytes()), natFromBytes(m.Bytes()))
		if want := new(big.Int).Exp(x, y, m); toBig(got).Cmp(want) != 0 {
			t.Fatalf("exp mismatch for m = %x", m)
		}
	}
}

func FuzzNat(f *testing.F) {
	f.Add([]byte{1, 2, 3}, []byte{7})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff}, []byte{1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, x, y []byte) {
		if len(x) > 200 || len(y) > 200 {
			return
		}
		checkNatOps(t, x, y)
	})
}
