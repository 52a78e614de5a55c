//go:build js && wasm

package webcrypto

// Benchmarks of WebCrypto against the pure-Go provider inside the same
// WebAssembly module, to choose a provider per operation. Run in Node:
//
//	GOOS=js GOARCH=wasm go test -run '^$' -bench . \
//	  -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./wasm/webcrypto
//
// Each benchmark reports ops/s besides ns/op.

import (
	"context"
	"testing"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/prim/primtest"
)

// BenchmarkProvider runs the shared primitive benchmarks (the same
// sub-benchmark names for every provider) on WebCrypto and on the native
// provider inside the same module. The benchmarks below it add what only
// this package measures: more sizes, operations in flight at once, key
// imports and the cost of await itself.
func BenchmarkProvider(b *testing.B) {
	for _, p := range providers(b) {
		b.Run(p.Name(), func(b *testing.B) { primtest.Benchmark(b, p) })
	}
}

func providers(b *testing.B) []prim.Provider {
	return []prim.Provider{newProvider(b), prim.Native()}
}

// run calls f once to warm up (JIT tiers, Node's crypto thread pool), then
// b.N times, and reports ops/s, counting ops calls per f.
func run(b *testing.B, ops int, f func() error) {
	b.Helper()
	if err := f(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b, ops)
}

func reportOps(b *testing.B, opsPerIter int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N*opsPerIter)/s, "ops/s")
	}
}

func benchAEAD(b *testing.B, p prim.Provider) prim.AEAD {
	a, err := p.NewAEAD(context.Background(), make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// sizes brackets the crossover between the providers for AES-GCM.
var sizes = []struct {
	name string
	n    int
}{{"1KiB", 1 << 10}, {"4KiB", 4 << 10}, {"16KiB", 16 << 10}, {"64KiB", 64 << 10}}

// inFlightSizes are the sizes of BenchmarkAESGCMOpenInFlight.
var inFlightSizes = []struct {
	name string
	n    int
}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}}

func BenchmarkAESGCMSeal(b *testing.B) {
	ctx := context.Background()
	for _, s := range sizes {
		for _, p := range providers(b) {
			b.Run(s.name+"/"+p.Name(), func(b *testing.B) {
				a := benchAEAD(b, p)
				nonce, pt, ad := make([]byte, 12), make([]byte, s.n), make([]byte, 32)
				b.SetBytes(int64(s.n))
				run(b, 1, func() error {
					_, err := a.Seal(ctx, nonce, pt, ad)
					return err
				})
			})
		}
	}
}

func BenchmarkAESGCMOpen(b *testing.B) {
	ctx := context.Background()
	for _, s := range sizes {
		for _, p := range providers(b) {
			b.Run(s.name+"/"+p.Name(), func(b *testing.B) {
				a := benchAEAD(b, p)
				nonce, ad := make([]byte, 12), make([]byte, 32)
				ct, err := a.Seal(ctx, nonce, make([]byte, s.n), ad)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(s.n))
				run(b, 1, func() error {
					_, err := a.Open(ctx, nonce, ct, ad)
					return err
				})
			})
		}
	}
}

// BenchmarkAESGCMOpenInFlight opens 64 ciphertexts per iteration, either
// one after the other from one goroutine or all at once from 64 goroutines
// (WebCrypto then has 64 promises pending; the native provider just
// interleaves goroutines on the module's one thread).
func BenchmarkAESGCMOpenInFlight(b *testing.B) {
	const inFlight = 64
	ctx := context.Background()
	for _, s := range inFlightSizes {
		for _, p := range providers(b) {
			a := benchAEAD(b, p)
			nonce, ad := make([]byte, 12), make([]byte, 32)
			ct, err := a.Seal(ctx, nonce, make([]byte, s.n), ad)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(s.name+"/"+p.Name()+"/sequential", func(b *testing.B) {
				b.SetBytes(int64(inFlight * s.n))
				run(b, inFlight, func() error {
					for range inFlight {
						if _, err := a.Open(ctx, nonce, ct, ad); err != nil {
							return err
						}
					}
					return nil
				})
			})
			b.Run(s.name+"/"+p.Name()+"/concurrent", func(b *testing.B) {
				b.SetBytes(int64(inFlight * s.n))
				errs := make(chan error, inFlight)
				run(b, inFlight, func() error {
					for range inFlight {
						go func() {
							_, err := a.Open(ctx, nonce, ct, ad)
							errs <- err
						}()
					}
					var first error
					for range inFlight {
						if err := <-errs; err != nil && first == nil {
							first = err
						}
					}
					return first
				})
			})
		}
	}
}

func BenchmarkHMAC32B(b *testing.B) {
	ctx := context.Background()
	for _, p := range providers(b) {
		b.Run(p.Name(), func(b *testing.B) {
			m, err := p.NewMAC(ctx, make([]byte, 32))
			if err != nil {
				b.Fatal(err)
			}
			msg := make([]byte, 32)
			run(b, 1, func() error {
				_, err := m.Sum(ctx, msg)
				return err
			})
		})
	}
}

// BenchmarkNewMAC is the cost of a fresh key (one importKey on WebCrypto),
// which a blind index per field pays once per space unlock.
func BenchmarkNewMAC(b *testing.B) {
	ctx := context.Background()
	for _, p := range providers(b) {
		b.Run(p.Name(), func(b *testing.B) {
			key := make([]byte, 32)
			run(b, 1, func() error {
				_, err := p.NewMAC(ctx, key)
				return err
			})
		})
	}
}

func BenchmarkHKDF32B(b *testing.B) {
	ctx := context.Background()
	for _, p := range providers(b) {
		b.Run(p.Name(), func(b *testing.B) {
			secret, info := make([]byte, 32), []byte("zkvault/v2/field")
			run(b, 1, func() error {
				_, err := p.HKDF(ctx, secret, nil, info, 32)
				return err
			})
		})
	}
}

func BenchmarkSHA256(b *testing.B) {
	ctx := context.Background()
	for _, p := range providers(b) {
		b.Run("32B/"+p.Name(), func(b *testing.B) {
			data := make([]byte, 32)
			run(b, 1, func() error {
				_, err := p.SHA256(ctx, data)
				return err
			})
		})
	}
}

func BenchmarkPBKDF2600k(b *testing.B) {
	ctx := context.Background()
	for _, p := range providers(b) {
		b.Run(p.Name(), func(b *testing.B) {
			pw, salt := []byte("correct horse battery staple"), make([]byte, 16)
			run(b, 1, func() error {
				_, err := p.PBKDF2(ctx, pw, salt, 600_000, 32)
				return err
			})
		})
	}
}

func BenchmarkRSAEncrypt(b *testing.B) {
	ctx := context.Background()
	spki := primtest.PublicKeys(b)[0]
	for _, p := range providers(b) {
		b.Run(p.Name(), func(b *testing.B) {
			k, err := p.ImportRSAPublic(ctx, spki)
			if err != nil {
				b.Fatal(err)
			}
			msg, label := make([]byte, 32), []byte("zkvault/v2/wrap")
			run(b, 1, func() error {
				_, err := k.Encrypt(ctx, msg, label)
				return err
			})
		})
	}
}

func BenchmarkRSADecrypt(b *testing.B) {
	ctx := context.Background()
	der := primtest.Keys(b)[0]
	for _, p := range providers(b) {
		b.Run(p.Name(), func(b *testing.B) {
			k, err := p.ImportRSAPrivate(ctx, der, false)
			if err != nil {
				b.Fatal(err)
			}
			label := []byte("zkvault/v2/wrap")
			ct, err := k.Public().Encrypt(ctx, make([]byte, 32), label)
			if err != nil {
				b.Fatal(err)
			}
			run(b, 1, func() error {
				_, err := k.Decrypt(ctx, ct, label)
				return err
			})
		})
	}
}

// BenchmarkRSAGenerate takes seconds per key; run it with -benchtime=Nx.
func BenchmarkRSAGenerate(b *testing.B) {
	ctx := context.Background()
	for _, p := range providers(b) {
		b.Run(p.Name(), func(b *testing.B) {
			run(b, 1, func() error {
				_, err := p.GenerateRSA(ctx, false)
				return err
			})
		})
	}
}

// BenchmarkAwait is the cost of the await helper alone: waiting on an
// already resolved promise (two FuncOf, a then, a trip through the event
// loop's microtask queue, two Release). "sync-call" is a plain synchronous
// JavaScript call for comparison.
func BenchmarkAwait(b *testing.B) {
	ctx := context.Background()
	promise, err := safejs.Global().Get("Promise")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("resolved", func(b *testing.B) {
		run(b, 1, func() error {
			pr, err := promise.Call("resolve", 1)
			if err != nil {
				return err
			}
			_, err = await(ctx, "bench", pr)
			return err
		})
	})
	b.Run("sync-call", func(b *testing.B) {
		run(b, 1, func() error {
			_, err := promise.Call("resolve", 1)
			return err
		})
	})
}
