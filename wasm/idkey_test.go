package zkvault

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"testing"
)

type idKeyFile struct {
	Description string `json:"description"`
	vectorSpace
	Vectors []struct {
		Name     string   `json:"name"`
		SpaceID  string   `json:"space_id"`
		Versions []uint32 `json:"versions"` // the keyring's versions (of the file's secrets)
		IDKey    string   `json:"id_key"`   // hex
	} `json:"vectors"`
}

func genIDKeyVectors(t *testing.T) any {
	ctx := context.Background()
	vs := testVectorSpace()
	f := idKeyFile{Description: "id keys (docs/spec/02-spaces-envelopes.md §2.2): HKDF(S_min, none, tuple(\"zkvault/v2/record-id\", space id), 32) from the lowest version in the keyring.", vectorSpace: vs}
	add := func(name, spaceID string, versions ...uint32) {
		secrets := map[uint32][]byte{}
		for _, v := range versions {
			secrets[v] = mustHex(t, vs.Secrets[kid(v)])
		}
		k, err := newSpaceWithSecrets(native, spaceID, secrets).IDKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.Vectors = append(f.Vectors, struct {
			Name     string   `json:"name"`
			SpaceID  string   `json:"space_id"`
			Versions []uint32 `json:"versions"`
			IDKey    string   `json:"id_key"`
		}{name, spaceID, versions, hex.EncodeToString(k)})
	}
	add("versions 1 and 2", "vault-test", 1, 2)
	add("version 2 only", "vault-test", 2)
	add("another space", "vault-other", 1, 2)
	return f
}

func TestVectorsIDKey(t *testing.T) {
	var f idKeyFile
	writeOrRead(t, "idkey.json", func() any { return genIDKeyVectors(t) }, &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	ctx := context.Background()
	for _, p := range providers {
		for _, v := range f.Vectors {
			t.Run(p.Name()+"/"+v.Name, func(t *testing.T) {
				secrets := map[uint32][]byte{}
				for _, ver := range v.Versions {
					secrets[ver] = mustHex(t, f.Secrets[kid(ver)])
				}
				s := newSpaceWithSecrets(p, v.SpaceID, secrets)
				k, err := s.IDKey(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if hex.EncodeToString(k) != v.IDKey {
					t.Fatalf("IDKey = %x, want %s", k, v.IDKey)
				}
			})
		}
	}
}

func TestIDKeyStableAcrossRotation(t *testing.T) {
	ctx := context.Background()
	s := testSpace(t, "vault-1")
	before, err := s.IDKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := s.IDKey(ctx)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("id key changed by a rotation (%v)", err)
	}
	s.Forget()
	if _, err := s.IDKey(ctx); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Fatalf("IDKey of a locked space: %v", err)
	}
}
