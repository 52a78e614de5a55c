// RSA private key consistency without crypto/rsa (summary): the checks of
// crypto/rsa's PrivateKey.Precompute and Validate (Go 1.26,
// crypto/internal/fips140/rsa checkPrivateKey) on a parsed two-prime key,
// with nat.go's numbers. Missing CRT values are computed as crypto/rsa does (dP =
// d mod (p-1), dQ = d mod (q-1), qInv = q^(p-2) mod p); then p·q ≡ 0 mod N,
// e·dP ≡ 1 mod (p-1), e·dQ ≡ 1 mod (q-1), qInv·q ≡ 1 mod p, d agrees with
// dP and dQ, |p-q| and d are large enough, every value in its range. The
// tests compare acceptance with crypto/x509 and crypto/rsa on valid,
// inconsistent and mutated keys. These checks are not secret-independent in
// time (nor were they with math/big): they run once per key import, on a key the caller holds.

package prim

import "errors"

// rsaKey is a parsed two-prime RSA private key. dp, dq and qinv are nil
// when the encoding leaves them out (check computes them).
type rsaKey struct {
	n, d, p, q, dp, dq, qinv nat
	e                        int
}

var (
	errRSAInconsistent = errors.New("RSA private key values are inconsistent")
	errRSAPrime        = errors.New("RSA private key has an invalid prime")
)

// check computes missing CRT values and checks the key as crypto/rsa's
// Precompute and Validate do. (With all three CRT values given they are
// checked; with any missing all three are computed again, as crypto/rsa
// ignores partial ones.)
func (k *rsaKey) check() error {
	one := nat{1}
	n, p, q, d := k.n, k.p, k.q, k.d
	// Moduli > 1, N odd, d < N (bigmod.NewModulus, SetBytes).
	if n.cmp(one) <= 0 || p.cmp(one) <= 0 || q.cmp(one) <= 0 || n.bit(0) == 0 || d.cmp(n) >= 0 {
		return errRSAInconsistent
	}
	if k.e < 2 || k.e&1 == 0 {
		return errRSAInconsistent
	}
	pm1 := p.sub(one)
	qm1 := q.sub(one)
	if k.dp == nil || k.dq == nil || k.qinv == nil {
		// crypto/rsa's NewPrivateKey: p-1 and q-1 > 1, p odd.
		if pm1.cmp(one) <= 0 || qm1.cmp(one) <= 0 || p.bit(0) == 0 {
			return errRSAPrime
		}
		k.dp = d.mod(pm1)
		k.dq = d.mod(qm1)
		// Fermat's q^(p-2) mod p, not an inverse: for a p that is not
		// prime, the check below then fails as it does in crypto/rsa.
		k.qinv = q.mod(p).expOdd(pm1.sub(one), p)
	} else if k.qinv.cmp(p) >= 0 {
		return errRSAInconsistent
	}
	// p < N, q < N, p·q ≡ 0 mod N.
	if p.cmp(n) >= 0 || q.cmp(n) >= 0 {
		return errRSAPrime
	}
	if len(p.mul(q).mod(n)) != 0 {
		return errRSAInconsistent
	}
	// e·dP ≡ 1 mod (p-1), e·dQ ≡ 1 mod (q-1), with dP < p-1, dQ < q-1.
	e := natFromUint64(uint64(k.e))
	for _, c := range []struct{ m, dx nat }{{pm1, k.dp}, {qm1, k.dq}} {
		if c.m.cmp(one) <= 0 {
			return errRSAPrime
		}
		if c.dx.cmp(c.m) >= 0 {
			return errRSAInconsistent
		}
		if !e.mod(c.m).mul(c.dx).mod(c.m).isOne() {
			return errRSAInconsistent
		}
	}
	// qInv·q ≡ 1 mod p.
	if !k.qinv.mul(q.mod(p)).mod(p).isOne() {
		return errRSAInconsistent
	}
	// d mod (p-1) = dP, d mod (q-1) = dQ.
	if d.mod(pm1).cmp(k.dp) != 0 || d.mod(qm1).cmp(k.dq) != 0 {
		return errRSAInconsistent
	}
	// |p-q| > 2^(nlen/2-100) (Fermat factoring), d > 2^(nlen/2).
	diff := absDiff(p, q)
	if len(diff) == 0 {
		return errRSAPrime
	}
	if diff.bitLen() <= n.bitLen()/2-100 {
		return errRSAInconsistent
	}
	if d.bitLen() <= n.bitLen()/2 {
		return errRSAInconsistent
	}
	return nil
}
