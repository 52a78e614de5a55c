package primtest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
)

// WycheproofEnv names the environment variable that holds the folder of
// Project Wycheproof vectors (C2SP/wycheproof testvectors_v1).
const WycheproofEnv = "ZKVAULT_WYCHEPROOF"

// TestWycheproof runs the Wycheproof vectors for every primitive against p:
// aes_gcm_test.json, hmac_sha256_test.json, hkdf_sha256_test.json,
// pbkdf2_hmacsha256_test.json and rsa_oaep_4096_sha256_mgf1sha256_test.json,
// read from the folder named by ZKVAULT_WYCHEPROOF (a relative path is
// resolved from the test's working directory, the package folder).
//
// It skips when the variable is unset or empty, and fails when a file is
// missing or unreadable. Each case is a subtest named by its tcId: a valid
// case must give exactly the expected output, an invalid one must fail, and
// an acceptable one may do either (the outcome is logged). Cases that
// zkvault's interface cannot express (another AES key, nonce or tag size,
// an output length outside the provider's range) are counted and logged as
// "not applicable", and a file with no applicable case fails.
func TestWycheproof(t *testing.T, p prim.Provider) {
	dir := os.Getenv(WycheproofEnv)
	if dir == "" {
		t.Skipf("Wycheproof vectors not run: set %s to the folder holding aes_gcm_test.json and the other vector files, "+
			"e.g. %s=/path/to/shared/vectors/wycheproof go test ./... (.ci/run sets it)", WycheproofEnv, WycheproofEnv)
	}
	t.Run("aes_gcm", func(t *testing.T) { wycheproofAEAD(t, p, dir) })
	t.Run("hmac_sha256", func(t *testing.T) { wycheproofMAC(t, p, dir) })
	t.Run("hkdf_sha256", func(t *testing.T) { wycheproofHKDF(t, p, dir) })
	t.Run("pbkdf2_hmacsha256", func(t *testing.T) { wycheproofPBKDF2(t, p, dir) })
	t.Run("rsa_oaep_4096_sha256_mgf1sha256", func(t *testing.T) { wycheproofRSA(t, p, dir) })
}

// hexBytes is a JSON string of hex digits.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = d
	return nil
}

type wpCase struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Result  string   `json:"result"`
}

type wpFile[G any] struct {
	Algorithm     string `json:"algorithm"`
	NumberOfTests int    `json:"numberOfTests"`
	TestGroups    []G    `json:"testGroups"`
}

func loadWycheproof[G any](t *testing.T, dir, name string) wpFile[G] {
	t.Helper()
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s is set but the vectors cannot be read: %v", WycheproofEnv, err)
	}
	var f wpFile[G]
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// tally counts what a file's cases did.
type tally struct {
	total, applicable int
	notApplicable     map[string]int // reason → count
	acceptable        []string       // "tcId N accepted|rejected"
	notes             []string
}

func newTally() *tally { return &tally{notApplicable: map[string]int{}} }

func (c *tally) skip(reason string) {
	c.total++
	c.notApplicable[reason]++
}

func (c *tally) report(t *testing.T, numberOfTests int) {
	t.Helper()
	na := 0
	var reasons []string
	for r, n := range c.notApplicable {
		na += n
		reasons = append(reasons, fmt.Sprintf("%s: %d", r, n))
	}
	sort.Strings(reasons)
	msg := fmt.Sprintf("%d cases: applicable: %d, not applicable: %d", c.total, c.applicable, na)
	if len(reasons) > 0 {
		msg += " (" + strings.Join(reasons, "; ") + ")"
	}
	if len(c.acceptable) > 0 {
		msg += "; acceptable cases: " + strings.Join(c.acceptable, ", ")
	}
	for _, n := range c.notes {
		msg += "; " + n
	}
	t.Log(msg)
	if c.total != numberOfTests {
		t.Errorf("saw %d cases, the file says numberOfTests = %d", c.total, numberOfTests)
	}
	if c.applicable == 0 {
		t.Errorf("no applicable case: the provider was not tested")
	}
}

// run runs one applicable case as a subtest named by its tcId. f reports
// whether the provider accepted the input and produced the expected output
// (accepted), and for an accepted case that is not valid, or a rejected one
// that is, a description of what happened.
func (c *tally) run(t *testing.T, tc wpCase, f func(t *testing.T) (accepted bool, detail string)) {
	t.Helper()
	c.total++
	c.applicable++
	t.Run(strconv.Itoa(tc.TcID), func(t *testing.T) {
		accepted, detail := f(t)
		switch tc.Result {
		case "valid":
			if !accepted {
				t.Errorf("valid case (%s; flags %v) rejected: %s", tc.Comment, tc.Flags, detail)
			}
		case "invalid":
			if accepted {
				t.Errorf("invalid case (%s; flags %v) accepted: %s", tc.Comment, tc.Flags, detail)
			}
		case "acceptable":
			outcome := "rejected"
			if accepted {
				outcome = "accepted"
			}
			c.acceptable = append(c.acceptable, fmt.Sprintf("tcId %d %s", tc.TcID, outcome))
			t.Logf("acceptable case (%s; flags %v) %s: %s", tc.Comment, tc.Flags, outcome, detail)
		default:
			t.Errorf("unknown result %q", tc.Result)
		}
	})
}

func wycheproofAEAD(t *testing.T, p prim.Provider, dir string) {
	type test struct {
		wpCase
		Key hexBytes `json:"key"`
		IV  hexBytes `json:"iv"`
		AAD hexBytes `json:"aad"`
		Msg hexBytes `json:"msg"`
		CT  hexBytes `json:"ct"`
		Tag hexBytes `json:"tag"`
	}
	type group struct {
		KeySize int    `json:"keySize"`
		IVSize  int    `json:"ivSize"`
		TagSize int    `json:"tagSize"`
		Tests   []test `json:"tests"`
	}
	f := loadWycheproof[group](t, dir, "aes_gcm_test.json")
	ctx := t.Context()
	c := newTally()
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			switch {
			case g.KeySize != 8*prim.AESKeySize || len(tc.Key) != prim.AESKeySize:
				c.skip("key size ≠ 256 bits")
				continue
			case g.IVSize != 8*prim.GCMNonceSize || len(tc.IV) != prim.GCMNonceSize:
				c.skip("IV size ≠ 96 bits")
				continue
			case g.TagSize != 8*prim.GCMTagSize || len(tc.Tag) != prim.GCMTagSize:
				c.skip("tag size ≠ 128 bits")
				continue
			}
			c.run(t, tc.wpCase, func(t *testing.T) (bool, string) {
				a, err := p.NewAEAD(ctx, tc.Key)
				if err != nil {
					return false, fmt.Sprintf("NewAEAD: %v", err)
				}
				sealed := append(bytes.Clone(tc.CT), tc.Tag...)
				out, err := a.Open(ctx, tc.IV, sealed, tc.AAD)
				if err != nil {
					if err != prim.ErrDecrypt { //nolint:errorlint
						t.Errorf("Open failed with %v, want exactly prim.ErrDecrypt", err)
					}
					return false, fmt.Sprintf("Open: %v", err)
				}
				if !bytes.Equal(out, tc.Msg) {
					return false, fmt.Sprintf("Open = %x, want %x", out, tc.Msg)
				}
				if tc.Result == "valid" {
					s, err := a.Seal(ctx, tc.IV, tc.Msg, tc.AAD)
					if err != nil || !bytes.Equal(s, sealed) {
						return false, fmt.Sprintf("Seal = %x, %v; want %x", s, err, sealed)
					}
				}
				return true, "Open succeeded"
			})
		}
	}
	c.report(t, f.NumberOfTests)
}

func wycheproofMAC(t *testing.T, p prim.Provider, dir string) {
	type test struct {
		wpCase
		Key hexBytes `json:"key"`
		Msg hexBytes `json:"msg"`
		Tag hexBytes `json:"tag"`
	}
	type group struct {
		KeySize int    `json:"keySize"`
		TagSize int    `json:"tagSize"`
		Tests   []test `json:"tests"`
	}
	f := loadWycheproof[group](t, dir, "hmac_sha256_test.json")
	ctx := t.Context()
	c := newTally()
	truncated := 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			// A truncated tag is the prefix of the full tag: compare it.
			n := g.TagSize / 8
			switch {
			case len(tc.Key) == 0:
				c.skip("empty key")
				continue
			case g.TagSize%8 != 0 || n < 1 || n > 32 || len(tc.Tag) != n:
				c.skip("tag size not a whole number of bytes in 1..32")
				continue
			}
			if n < 32 {
				truncated++
			}
			c.run(t, tc.wpCase, func(t *testing.T) (bool, string) {
				m, err := p.NewMAC(ctx, tc.Key)
				if err != nil {
					return false, fmt.Sprintf("NewMAC: %v", err)
				}
				sum, err := m.Sum(ctx, tc.Msg)
				if err != nil {
					return false, fmt.Sprintf("Sum: %v", err)
				}
				if len(sum) != 32 {
					t.Errorf("Sum returned %d bytes, want 32", len(sum))
					return false, "short Sum"
				}
				if !bytes.Equal(sum[:n], tc.Tag) {
					return false, fmt.Sprintf("tag %x, expected %x", sum[:n], tc.Tag)
				}
				return true, "tag matched"
			})
		}
	}
	c.notes = append(c.notes, fmt.Sprintf("truncated tags compared as prefixes: %d", truncated))
	c.report(t, f.NumberOfTests)
}

func wycheproofHKDF(t *testing.T, p prim.Provider, dir string) {
	type test struct {
		wpCase
		IKM  hexBytes `json:"ikm"`
		Salt hexBytes `json:"salt"`
		Info hexBytes `json:"info"`
		Size int      `json:"size"`
		OKM  hexBytes `json:"okm"`
	}
	type group struct {
		Tests []test `json:"tests"`
	}
	f := loadWycheproof[group](t, dir, "hkdf_sha256_test.json")
	ctx := t.Context()
	c := newTally()
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			inRange := tc.Size >= 1 && tc.Size <= prim.MaxDeriveLength
			// An invalid case outside the range is applicable: the
			// provider must refuse it, as RFC 5869 does.
			if !inRange && tc.Result != "invalid" {
				c.skip("output size outside 1..MaxDeriveLength")
				continue
			}
			c.run(t, tc.wpCase, func(t *testing.T) (bool, string) {
				out, err := p.HKDF(ctx, tc.IKM, tc.Salt, tc.Info, tc.Size)
				if err != nil {
					return false, fmt.Sprintf("HKDF: %v", err)
				}
				if !bytes.Equal(out, tc.OKM) {
					return false, fmt.Sprintf("HKDF = %x, want %x", out, tc.OKM)
				}
				return true, fmt.Sprintf("HKDF returned %d bytes", len(out))
			})
		}
	}
	c.report(t, f.NumberOfTests)
}

func wycheproofPBKDF2(t *testing.T, p prim.Provider, dir string) {
	type test struct {
		wpCase
		Password       hexBytes `json:"password"`
		Salt           hexBytes `json:"salt"`
		IterationCount int64    `json:"iterationCount"`
		DKLen          int      `json:"dkLen"`
		DK             hexBytes `json:"dk"`
	}
	type group struct {
		Tests []test `json:"tests"`
	}
	f := loadWycheproof[group](t, dir, "pbkdf2_hmacsha256_test.json")
	ctx := t.Context()
	c := newTally()
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			inRange := tc.DKLen >= 1 && tc.DKLen <= prim.MaxDeriveLength &&
				tc.IterationCount >= 1 && tc.IterationCount <= prim.MaxPBKDF2Iterations &&
				int64(int(tc.IterationCount)) == tc.IterationCount
			if !inRange && tc.Result != "invalid" {
				c.skip("key length or iteration count outside the provider's range")
				continue
			}
			c.run(t, tc.wpCase, func(t *testing.T) (bool, string) {
				out, err := p.PBKDF2(ctx, tc.Password, tc.Salt, int(tc.IterationCount), tc.DKLen)
				if err != nil {
					return false, fmt.Sprintf("PBKDF2: %v", err)
				}
				if !bytes.Equal(out, tc.DK) {
					return false, fmt.Sprintf("PBKDF2 = %x, want %x", out, tc.DK)
				}
				return true, "PBKDF2 matched"
			})
		}
	}
	c.report(t, f.NumberOfTests)
}

func wycheproofRSA(t *testing.T, p prim.Provider, dir string) {
	type test struct {
		wpCase
		Msg   hexBytes `json:"msg"`
		CT    hexBytes `json:"ct"`
		Label hexBytes `json:"label"`
	}
	type group struct {
		KeySize         int      `json:"keySize"`
		SHA             string   `json:"sha"`
		MGF             string   `json:"mgf"`
		MGFSHA          string   `json:"mgfSha"`
		PrivateKeyPKCS8 hexBytes `json:"privateKeyPkcs8"`
		Tests           []test   `json:"tests"`
	}
	f := loadWycheproof[group](t, dir, "rsa_oaep_4096_sha256_mgf1sha256_test.json")
	ctx := t.Context()
	c := newTally()
	for gi, g := range f.TestGroups {
		if g.KeySize != prim.RSABits || g.SHA != "SHA-256" || g.MGF != "MGF1" || g.MGFSHA != "SHA-256" {
			for range g.Tests {
				c.skip(fmt.Sprintf("not RSA-4096 OAEP SHA-256/MGF1-SHA-256 (%d bits, %s, %s-%s)", g.KeySize, g.SHA, g.MGF, g.MGFSHA))
			}
			continue
		}
		// Imported as a long-term key is: not extractable.
		key, err := p.ImportRSAPrivate(ctx, g.PrivateKeyPKCS8, false)
		if err != nil {
			t.Errorf("group %d: ImportRSAPrivate of the vectors' RSA-4096 key: %v", gi, err)
			c.total += len(g.Tests)
			continue
		}
		for _, tc := range g.Tests {
			c.run(t, tc.wpCase, func(t *testing.T) (bool, string) {
				out, err := key.Decrypt(ctx, tc.CT, tc.Label)
				if err != nil {
					if err != prim.ErrDecrypt { //nolint:errorlint
						t.Errorf("Decrypt failed with %v, want exactly prim.ErrDecrypt", err)
					}
					return false, fmt.Sprintf("Decrypt: %v", err)
				}
				if !bytes.Equal(out, tc.Msg) {
					return false, fmt.Sprintf("Decrypt = %x, want %x", out, tc.Msg)
				}
				if tc.Result == "valid" {
					// The encryption side, as a round trip (OAEP is
					// randomised, so there is no expected ciphertext).
					ct, err := key.Public().Encrypt(ctx, tc.Msg, tc.Label)
					if err != nil {
						return false, fmt.Sprintf("Encrypt: %v", err)
					}
					back, err := key.Decrypt(ctx, ct, tc.Label)
					if err != nil || !bytes.Equal(back, tc.Msg) {
						return false, fmt.Sprintf("Decrypt(Encrypt(msg)) = %x, %v", back, err)
					}
				}
				return true, "Decrypt matched"
			})
		}
	}
	c.report(t, f.NumberOfTests)
}
