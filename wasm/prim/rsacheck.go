// RSA private key consistency without crypto/rsa (summary): the checks of
// crypto/rsa's PrivateKey.Precompute and Validate (Go 1.26,
// crypto/internal/fips140/rsa checkPrivateKey) on a parsed two-prime key,
// with math/big. Missing CRT values are computed as crypto/rsa does (dP =
// d mod (p-1), dQ = d mod (q-1), qInv = q^(p-2) mod p); then p·q ≡ 0 mod N,
// e·dP ≡ 1 mod (p-1), e·dQ ≡ 1 mod (q-1), qInv·q ≡ 1 mod p, d agrees with
// dP and dQ, |p-q| and d are large enough, every value in its range. The
// tests compare acceptance with crypto/x509 and crypto/rsa on valid,
// inconsistent and mutated keys. These checks are not secret-independent in
// time (math/big): they run once per key import, on a key the caller holds.

package prim

import (
	"errors"
	"math/big"
)

// rsaKey is a parsed two-prime RSA private key. dp, dq and qinv are nil
// when the encoding leaves them out (check computes them).
type rsaKey struct {
	n, d, p, q, dp, dq, qinv *big.Int
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
	one := big.NewInt(1)
	n, p, q, d := k.n, k.p, k.q, k.d
	// Moduli > 1, N odd, d < N (bigmod.NewModulus, SetBytes).
	if n.Cmp(one) <= 0 || p.Cmp(one) <= 0 || q.Cmp(one) <= 0 || n.Bit(0) == 0 || d.Cmp(n) >= 0 {
		return errRSAInconsistent
	}
	if k.e < 2 || k.e&1 == 0 {
		return errRSAInconsistent
	}
	pm1 := new(big.Int).Sub(p, one)
	qm1 := new(big.Int).Sub(q, one)
	if k.dp == nil || k.dq == nil || k.qinv == nil {
		// crypto/rsa's NewPrivateKey: p-1 and q-1 > 1, p odd.
		if pm1.Cmp(one) <= 0 || qm1.Cmp(one) <= 0 || p.Bit(0) == 0 {
			return errRSAPrime
		}
		k.dp = new(big.Int).Mod(d, pm1)
		k.dq = new(big.Int).Mod(d, qm1)
		// Fermat's q^(p-2) mod p, not an inverse: for a p that is not
		// prime, the check below then fails as it does in crypto/rsa.
		k.qinv = new(big.Int).Exp(new(big.Int).Mod(q, p), new(big.Int).Sub(pm1, one), p)
	} else if k.qinv.Cmp(p) >= 0 {
		return errRSAInconsistent
	}
	// p < N, q < N, p·q ≡ 0 mod N.
	if p.Cmp(n) >= 0 || q.Cmp(n) >= 0 {
		return errRSAPrime
	}
	if new(big.Int).Mod(new(big.Int).Mul(p, q), n).Sign() != 0 {
		return errRSAInconsistent
	}
	// e·dP ≡ 1 mod (p-1), e·dQ ≡ 1 mod (q-1), with dP < p-1, dQ < q-1.
	e := big.NewInt(int64(k.e))
	for _, c := range []struct{ m, dx *big.Int }{{pm1, k.dp}, {qm1, k.dq}} {
		if c.m.Cmp(one) <= 0 {
			return errRSAPrime
		}
		if c.dx.Cmp(c.m) >= 0 {
			return errRSAInconsistent
		}
		if new(big.Int).Mod(new(big.Int).Mul(new(big.Int).Mod(e, c.m), c.dx), c.m).Cmp(one) != 0 {
			return errRSAInconsistent
		}
	}
	// qInv·q ≡ 1 mod p.
	if new(big.Int).Mod(new(big.Int).Mul(k.qinv, new(big.Int).Mod(q, p)), p).Cmp(one) != 0 {
		return errRSAInconsistent
	}
	// d mod (p-1) = dP, d mod (q-1) = dQ.
	if new(big.Int).Mod(d, pm1).Cmp(k.dp) != 0 || new(big.Int).Mod(d, qm1).Cmp(k.dq) != 0 {
		return errRSAInconsistent
	}
	// |p-q| > 2^(nlen/2-100) (Fermat factoring), d > 2^(nlen/2).
	diff := new(big.Int).Sub(p, q)
	if diff.Sign() == 0 {
		return errRSAPrime
	}
	if diff.Abs(diff).BitLen() <= n.BitLen()/2-100 {
		return errRSAInconsistent
	}
	if d.BitLen() <= n.BitLen()/2 {
		return errRSAInconsistent
	}
	return nil
}
