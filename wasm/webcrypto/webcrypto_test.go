//go:build js && wasm

package webcrypto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/prim/primtest"
)

func newProvider(t testing.TB) prim.Provider {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// randBytes returns n bytes from a seeded generator, so that a failure can
// be replayed.
func randBytes(r *rand.ChaCha8, n int) []byte {
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

func seed(t testing.TB) *rand.ChaCha8 {
	var s [32]byte
	copy(s[:], t.Name())
	return rand.NewChaCha8(s)
}

// lengths are the input sizes the cross-provider tests use: around block
// and buffer boundaries, and some random ones.
func lengths(r *rand.ChaCha8) []int {
	ls := []int{0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 4096, 65536, 65537}
	for range 20 {
		ls = append(ls, int(r.Uint64()%3000))
	}
	return ls
}

func TestCrossProviderSHA256(t *testing.T) {
	ctx := context.Background()
	w, n := newProvider(t), prim.Native()
	r := seed(t)
	for _, l := range lengths(r) {
		data := randBytes(r, l)
		a, err := w.SHA256(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := n.SHA256(ctx, data)
		if a != b {
			t.Fatalf("SHA256 of %d bytes: webcrypto %x, native %x", l, a, b)
		}
	}
}

func TestCrossProviderHMAC(t *testing.T) {
	ctx := context.Background()
	w, n := newProvider(t), prim.Native()
	r := seed(t)
	for i, l := range lengths(r) {
		keyLen := []int{1, 16, 32, 63, 64, 65, 100, 200}[i%8]
		key := randBytes(r, keyLen)
		msg := randBytes(r, l)
		wm, err := w.NewMAC(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		nm, err := n.NewMAC(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		a, err := wm.Sum(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := nm.Sum(ctx, msg)
		if !bytes.Equal(a, b) {
			t.Fatalf("HMAC key %d msg %d bytes: webcrypto %x, native %x", keyLen, l, a, b)
		}
	}
	if _, err := w.NewMAC(ctx, nil); !errors.Is(err, prim.ErrInvalidKey) {
		t.Fatalf("NewMAC(empty) = %v, want ErrInvalidKey", err)
	}
}

func TestCrossProviderHKDF(t *testing.T) {
	ctx := context.Background()
	w, n := newProvider(t), prim.Native()
	r := seed(t)
	for i := range 60 {
		secret := randBytes(r, int(r.Uint64()%100))
		var salt []byte
		switch i % 4 {
		case 0: // nil
		case 1:
			salt = []byte{}
		case 2:
			salt = make([]byte, 32)
		default:
			salt = randBytes(r, 1+int(r.Uint64()%80))
		}
		info := randBytes(r, int(r.Uint64()%200))
		length := []int{1, 16, 32, 33, 64, 100, 255, prim.MaxDeriveLength}[i%8]
		a, err := w.HKDF(ctx, secret, salt, info, length)
		if err != nil {
			t.Fatal(err)
		}
		b, err := n.HKDF(ctx, secret, salt, info, length)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("HKDF case %d differs: webcrypto %x, native %x", i, a[:min(len(a), 32)], b[:min(len(b), 32)])
		}
	}
	// nil salt, empty salt and HashLen zeros are one salt (RFC 5869).
	a, _ := w.HKDF(ctx, []byte("secret"), nil, []byte("info"), 32)
	b, _ := w.HKDF(ctx, []byte("secret"), make([]byte, 32), []byte("info"), 32)
	if !bytes.Equal(a, b) {
		t.Fatal("HKDF: nil salt differs from 32 zero bytes")
	}
	for _, l := range []int{0, -1, prim.MaxDeriveLength + 1} {
		if _, err := w.HKDF(ctx, []byte("s"), nil, nil, l); err == nil {
			t.Errorf("HKDF length %d: no error", l)
		}
	}
}

func TestCrossProviderPBKDF2(t *testing.T) {
	ctx := context.Background()
	w, n := newProvider(t), prim.Native()
	r := seed(t)
	for i := range 40 {
		pw := randBytes(r, int(r.Uint64()%70))
		salt := randBytes(r, int(r.Uint64()%40))
		iter := 1 + int(r.Uint64()%2000)
		keyLen := []int{1, 16, 32, 33, 64, 100}[i%6]
		a, err := w.PBKDF2(ctx, pw, salt, iter, keyLen)
		if err != nil {
			t.Fatal(err)
		}
		b, err := n.PBKDF2(ctx, pw, salt, iter, keyLen)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("PBKDF2 case %d differs", i)
		}
	}
	for _, c := range [][2]int{{0, 32}, {-1, 32}, {1, 0}, {1, prim.MaxDeriveLength + 1}} {
		if _, err := w.PBKDF2(ctx, []byte("pw"), nil, c[0], c[1]); err == nil {
			t.Errorf("PBKDF2 iterations %d keyLen %d: no error", c[0], c[1])
		}
	}
}

func TestCrossProviderAESGCM(t *testing.T) {
	ctx := context.Background()
	w, n := newProvider(t), prim.Native()
	r := seed(t)
	for _, l := range lengths(r) {
		key := randBytes(r, 32)
		nonce := randBytes(r, 12)
		pt := randBytes(r, l)
		ad := randBytes(r, int(r.Uint64()%64))
		wa, err := w.NewAEAD(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		na, err := n.NewAEAD(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		a, err := wa.Seal(ctx, nonce, pt, ad)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := na.Seal(ctx, nonce, pt, ad)
		if !bytes.Equal(a, b) {
			t.Fatalf("AES-GCM seal of %d bytes differs", l)
		}
		// Each opens the other's.
		if got, err := wa.Open(ctx, nonce, b, ad); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("webcrypto Open(native ciphertext of %d bytes) = %v", l, err)
		}
		if got, err := na.Open(ctx, nonce, a, ad); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("native Open(webcrypto ciphertext of %d bytes) = %v", l, err)
		}
		// Tampering is ErrDecrypt itself.
		bad := bytes.Clone(a)
		bad[r.Uint64()%uint64(len(bad))] ^= 1 << (r.Uint64() % 8)
		if _, err := wa.Open(ctx, nonce, bad, ad); err != prim.ErrDecrypt {
			t.Fatalf("Open(tampered) = %v, want ErrDecrypt", err)
		}
		if _, err := wa.Open(ctx, nonce, a, append(ad, 0)); err != prim.ErrDecrypt {
			t.Fatalf("Open(other ad) = %v, want ErrDecrypt", err)
		}
	}
}

func TestAEADErrors(t *testing.T) {
	ctx := context.Background()
	w := newProvider(t)
	for _, l := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := w.NewAEAD(ctx, make([]byte, l)); !errors.Is(err, prim.ErrInvalidKey) {
			t.Errorf("NewAEAD(%d bytes) = %v, want ErrInvalidKey", l, err)
		}
	}
	a, err := w.NewAEAD(ctx, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Seal(ctx, make([]byte, 16), nil, nil); err == nil {
		t.Error("Seal with a 16-byte nonce: no error")
	}
	for _, c := range []struct{ nonce, ct int }{{11, 16}, {16, 32}, {12, 0}, {12, 15}, {12, 16}} {
		if _, err := a.Open(ctx, make([]byte, c.nonce), make([]byte, c.ct), nil); err != prim.ErrDecrypt {
			t.Errorf("Open(nonce %d, ciphertext %d) = %v, want ErrDecrypt", c.nonce, c.ct, err)
		}
	}
}

func TestRandom(t *testing.T) {
	w := newProvider(t)
	for _, l := range []int{0, 1, 32, 65535, 65536, 65537, 3*65536 + 5} {
		b := make([]byte, l)
		if err := w.Random(b); err != nil {
			t.Fatal(err)
		}
		// Every 64-byte window of random bytes holds a non-zero byte.
		for i := 0; i+64 <= l; i += 64 {
			if bytes.Equal(b[i:i+64], make([]byte, 64)) {
				t.Fatalf("Random(%d): zeros at %d", l, i)
			}
		}
	}
	a, b := make([]byte, 32), make([]byte, 32)
	_ = w.Random(a)
	_ = w.Random(b)
	if bytes.Equal(a, b) {
		t.Fatal("Random twice gave the same bytes")
	}
}

// importBoth imports test key i into both providers.
func importBoth(t *testing.T, w prim.Provider, i int, extractable bool) (wk, nk prim.PrivateKey) {
	t.Helper()
	ctx := context.Background()
	der := primtest.Keys(t)[i]
	wk, err := w.ImportRSAPrivate(ctx, der, extractable)
	if err != nil {
		t.Fatalf("webcrypto ImportRSAPrivate(key %d): %v", i, err)
	}
	nk, err = prim.Native().ImportRSAPrivate(ctx, der, true)
	if err != nil {
		t.Fatalf("native ImportRSAPrivate(key %d): %v", i, err)
	}
	return wk, nk
}

func TestCrossProviderRSA(t *testing.T) {
	ctx := context.Background()
	w, n := newProvider(t), prim.Native()
	r := seed(t)
	keys, spkis := primtest.Keys(t), primtest.PublicKeys(t)
	for i := range primtest.NumKeys {
		wk, nk := importBoth(t, w, i, false)
		if !bytes.Equal(wk.Public().SPKI(), nk.Public().SPKI()) || !bytes.Equal(wk.Public().SPKI(), spkis[i]) {
			t.Fatalf("key %d: SPKI differs between providers or from OpenSSL", i)
		}
		wpub, err := w.ImportRSAPublic(ctx, spkis[i])
		if err != nil {
			t.Fatal(err)
		}
		npub, err := n.ImportRSAPublic(ctx, spkis[i])
		if err != nil {
			t.Fatal(err)
		}
		for j, l := range []int{0, 1, 32, 100, prim.RSAOAEPMaxMessage} {
			msg := randBytes(r, l)
			label := randBytes(r, j*7)
			// webcrypto encrypts, native decrypts.
			ct, err := wpub.Encrypt(ctx, msg, label)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := nk.Decrypt(ctx, ct, label); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("key %d: native Decrypt(webcrypto ciphertext) = %v", i, err)
			}
			// native encrypts, webcrypto decrypts.
			ct, err = npub.Encrypt(ctx, msg, label)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := wk.Decrypt(ctx, ct, label); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("key %d: webcrypto Decrypt(native ciphertext) = %v", i, err)
			}
			if _, err := wk.Decrypt(ctx, ct, append(label, 1)); err != prim.ErrDecrypt {
				t.Fatalf("Decrypt with another label = %v, want ErrDecrypt", err)
			}
			ct[len(ct)-1] ^= 1
			if _, err := wk.Decrypt(ctx, ct, label); err != prim.ErrDecrypt {
				t.Fatalf("Decrypt(tampered) = %v, want ErrDecrypt", err)
			}
		}
		if _, err := wpub.Encrypt(ctx, make([]byte, prim.RSAOAEPMaxMessage+1), nil); err == nil {
			t.Fatal("Encrypt of 447 bytes: no error")
		}
		for _, l := range []int{0, 511, 513} {
			if _, err := wk.Decrypt(ctx, make([]byte, l), nil); err != prim.ErrDecrypt {
				t.Fatalf("Decrypt(%d bytes) = %v, want ErrDecrypt", l, err)
			}
		}
		// Non-extractable refuses; extractable gives back the input.
		if _, err := wk.ExportPKCS8(ctx); err != prim.ErrNotExtractable {
			t.Fatalf("non-extractable ExportPKCS8 = %v, want ErrNotExtractable", err)
		}
		xk, err := w.ImportRSAPrivate(ctx, keys[i], true)
		if err != nil {
			t.Fatal(err)
		}
		der, err := xk.ExportPKCS8(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(der, keys[i]) {
			t.Fatalf("key %d: ExportPKCS8 differs from the imported PKCS #8", i)
		}
	}
}

func TestImportRSARejects(t *testing.T) {
	ctx := context.Background()
	w := newProvider(t)
	spki := primtest.PublicKeys(t)[0]
	der := primtest.Keys(t)[0]
	for name, b := range map[string][]byte{
		"empty":          nil,
		"trailing byte":  append(bytes.Clone(spki), 0),
		"truncated":      spki[:len(spki)-1],
		"private as pub": der,
	} {
		if _, err := w.ImportRSAPublic(ctx, b); !errors.Is(err, prim.ErrInvalidKey) {
			t.Errorf("ImportRSAPublic(%s) = %v, want ErrInvalidKey", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"empty":         nil,
		"trailing byte": append(bytes.Clone(der), 0),
		"truncated":     der[:len(der)-1],
		"public":        spki,
	} {
		if _, err := w.ImportRSAPrivate(ctx, b, false); !errors.Is(err, prim.ErrInvalidKey) {
			t.Errorf("ImportRSAPrivate(%s) = %v, want ErrInvalidKey", name, err)
		}
	}
}

func TestCryptoKeysRoundTrip(t *testing.T) {
	ctx := context.Background()
	w := newProvider(t)
	wk, nk := importBoth(t, w, 0, false)
	priv, pub, ok := CryptoKeys(wk)
	if !ok {
		t.Fatal("CryptoKeys: not ok")
	}
	if x, _ := boolean(priv, "extractable"); x {
		t.Fatal("private CryptoKey is extractable")
	}
	if _, _, ok := CryptoKeys(nk); ok {
		t.Fatal("CryptoKeys(native key): ok")
	}
	k, err := PrivateKeyFromCryptoKey(ctx, priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Public().SPKI(), nk.Public().SPKI()) {
		t.Fatal("reloaded key has another SPKI")
	}
	ct, _ := nk.Public().Encrypt(ctx, []byte("hello"), []byte("l"))
	if got, err := k.Decrypt(ctx, ct, []byte("l")); err != nil || string(got) != "hello" {
		t.Fatalf("reloaded key Decrypt = %q, %v", got, err)
	}
	if _, err := k.ExportPKCS8(ctx); err != prim.ErrNotExtractable {
		t.Fatalf("reloaded ExportPKCS8 = %v, want ErrNotExtractable", err)
	}
	// A private key with another key's public half is refused.
	other, _ := importBoth(t, w, 1, false)
	_, otherPub, _ := CryptoKeys(other)
	if _, err := PrivateKeyFromCryptoKey(ctx, priv, otherPub); !errors.Is(err, prim.ErrInvalidKey) {
		t.Fatalf("mismatched pair = %v, want ErrInvalidKey", err)
	}
	// Swapped, and not keys at all.
	for name, c := range map[string][2]safejs.Value{
		"swapped":   {pub, priv},
		"undefined": {safejs.Undefined(), pub},
		"null pub":  {priv, safejs.Null()},
	} {
		if _, err := PrivateKeyFromCryptoKey(ctx, c[0], c[1]); !errors.Is(err, prim.ErrInvalidKey) {
			t.Errorf("%s: %v, want ErrInvalidKey", name, err)
		}
	}
}

func TestContextCanceled(t *testing.T) {
	w := newProvider(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.SHA256(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("SHA256(canceled) = %v", err)
	}
	if _, err := w.PBKDF2(ctx, []byte("pw"), nil, 1, 32); !errors.Is(err, context.Canceled) {
		t.Fatalf("PBKDF2(canceled) = %v", err)
	}
	// Give up while a long PBKDF2 runs (about 0.3 s in Node): the call
	// returns with the context's error, and the module keeps working after
	// the abandoned promise settles. (Were its callbacks released early,
	// syscall/js would only log "call to released function"; the release
	// after settling is checked by reading await.)
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := w.PBKDF2(ctx, []byte("pw"), nil, 1_000_000, 32); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PBKDF2 past deadline = %v", err)
	}
	if _, err := w.PBKDF2(context.Background(), []byte("pw"), nil, 2_000_000, 32); err != nil {
		t.Fatal(err)
	}
	a, _ := w.NewAEAD(context.Background(), make([]byte, 32))
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := a.Open(ctx, make([]byte, 12), make([]byte, 32), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open(canceled) = %v", err)
	}
}

// TestConcurrent runs many operations from many goroutines at once.
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	w := newProvider(t)
	a, err := w.NewAEAD(ctx, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() {
			nonce := make([]byte, 12)
			nonce[0] = byte(i)
			msg := []byte(fmt.Sprint("message ", i))
			ct, err := a.Seal(ctx, nonce, msg, nil)
			if err != nil {
				errs <- err
				return
			}
			pt, err := a.Open(ctx, nonce, ct, nil)
			if err == nil && !bytes.Equal(pt, msg) {
				err = fmt.Errorf("goroutine %d: wrong plaintext", i)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestAwaitRejected(t *testing.T) {
	promise, err := safejs.Global().Get("Promise")
	if err != nil {
		t.Fatal(err)
	}
	errCtor, _ := safejs.Global().Get("TypeError")
	reason, err := errCtor.New("boom")
	if err != nil {
		t.Fatal(err)
	}
	p, err := promise.Call("reject", reason)
	if err != nil {
		t.Fatal(err)
	}
	_, err = await(context.Background(), "test", p)
	var je *jsError
	if !errors.As(err, &je) || je.Name != "TypeError" || je.Message != "boom" || !errors.Is(err, errRejected) {
		t.Fatalf("await(rejected) = %#v", err)
	}
	// A rejection with something that is not an Error.
	p, _ = promise.Call("reject", 7)
	if _, err := await(context.Background(), "test", p); !errors.As(err, &je) {
		t.Fatalf("await(reject(7)) = %v", err)
	}
	// A value that is not a promise.
	if _, err := await(context.Background(), "test", safejs.Undefined()); err == nil {
		t.Fatal("await(undefined): no error")
	}
	v, err := await(context.Background(), "test", safejs.Null())
	if err == nil {
		t.Fatalf("await(null) = %v", v)
	}
}

func TestWipe(t *testing.T) {
	e, err := loadEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, len(zeros), len(zeros) + 1, 70000} {
		src := bytes.Repeat([]byte{0xa5}, n)
		u8, err := e.bytes(src)
		if err != nil {
			t.Fatal(err)
		}
		wipe(u8)
		got := make([]byte, n)
		if _, err := safejs.CopyBytesToGo(got, u8); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, make([]byte, n)) {
			t.Fatalf("wipe left bytes in a %d-byte array", n)
		}
	}
}
