package prim_test

import (
	"context"
	"fmt"

	"github.com/zkvault/zkvault/wasm/prim"
)

// A key derived with HKDF seals a value with AES-256-GCM; the nonce travels
// beside the ciphertext, which carries its 16-byte tag at the end.
func ExampleNative() {
	ctx := context.Background()
	p := prim.Native()

	secret := make([]byte, 32) // a space secret: random in real use
	key, err := p.HKDF(ctx, secret, nil, []byte("zkvault/v2/field"), prim.AESKeySize)
	if err != nil {
		panic(err)
	}
	aead, err := p.NewAEAD(ctx, key)
	if err != nil {
		panic(err)
	}
	nonce := make([]byte, prim.GCMNonceSize) // random in real use
	sealed, err := aead.Seal(ctx, nonce, []byte("hello"), []byte("record 1, field name"))
	if err != nil {
		panic(err)
	}
	fmt.Println(len(sealed))

	opened, err := aead.Open(ctx, nonce, sealed, []byte("record 2, field name"))
	fmt.Println(opened, err == prim.ErrDecrypt)
	opened, _ = aead.Open(ctx, nonce, sealed, []byte("record 1, field name"))
	fmt.Printf("%s\n", opened)
	// Output:
	// 21
	// [] true
	// hello
}
