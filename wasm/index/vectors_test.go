package index

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
)

// errorNames are the outcome names the known-answer vectors use.
var errorNames = map[string]error{
	"unknown-normalizer":         ErrUnknownNormalizer,
	"invalid-utf8":               ErrInvalidUTF8,
	"input-too-long":             ErrInputTooLong,
	"unknown-region":             ErrUnknownRegion,
	"phone-character":            ErrPhoneCharacter,
	"phone-letters":              ErrPhoneLetters,
	"phone-no-country-code":      ErrPhoneCountryCode,
	"phone-unknown-country-code": ErrPhoneUnknownCode,
	"phone-too-short":            ErrPhoneTooShort,
	"phone-too-long":             ErrPhoneTooLong,
	"phone-length":               ErrPhoneLength,
	"phone-trunk-prefix":         ErrPhoneTrunk,
	"email-at":                   ErrEmailAt,
	"email-empty-part":           ErrEmailEmptyPart,
	"email-character":            ErrEmailCharacter,
	"invalid-bits":               ErrInvalidBits,
	"no-parts":                   ErrNoParts,
	"empty-value":                ErrEmptyValue,
	"too-many-parts":             ErrTooManyParts,
}

// normVector is one entry of testdata/normalize.json. Input is given as
// InputHex instead when it is not valid UTF-8 (JSON cannot carry it).
type normVector struct {
	Normalizer string `json:"normalizer"`
	Region     string `json:"region,omitempty"`
	Input      string `json:"input"`
	InputHex   string `json:"input_hex,omitempty"`
	Output     string `json:"output"`
	Error      string `json:"error,omitempty"`
}

func (v normVector) input() (string, error) {
	if v.InputHex == "" {
		return v.Input, nil
	}
	b, err := hex.DecodeString(v.InputHex)
	return string(b), err
}

// computeVector is one entry of testdata/compute.json. HMAC is the full
// HMAC-SHA256 before truncation.
type computeVector struct {
	Key   string   `json:"key"`
	Bits  int      `json:"bits"`
	Parts []string `json:"parts"`
	HMAC  string   `json:"hmac,omitempty"`
	Value string   `json:"value"`
	Error string   `json:"error,omitempty"`
}

type vectorFile[T any] struct {
	Comment []string `json:"comment"`
	Vectors []T      `json:"vectors"`
}

func loadVectors[T any](t testing.TB, name string) []T {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile[T]
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(f.Vectors) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return f.Vectors
}

func checkOutcome(t *testing.T, wantName string, err error) {
	t.Helper()
	want, ok := errorNames[wantName]
	if !ok {
		t.Fatalf("vector names unknown error %q", wantName)
	}
	if !errors.Is(err, want) {
		t.Errorf("error = %v, want %s", err, wantName)
	}
}

func TestNormalizeVectors(t *testing.T) {
	for i, v := range loadVectors[normVector](t, "normalize.json") {
		t.Run(fmt.Sprintf("%03d-%s", i, v.Normalizer), func(t *testing.T) {
			in, err := v.input()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Normalize(v.Normalizer, in, Options{Region: v.Region})
			if v.Error != "" {
				checkOutcome(t, v.Error, err)
				return
			}
			if err != nil || got != v.Output {
				t.Errorf("Normalize(%q, %q, %q) = %q, %v; want %q", v.Normalizer, in, v.Region, got, err, v.Output)
			}
		})
	}
}

func TestComputeVectors(t *testing.T) {
	ctx := context.Background()
	for i, v := range loadVectors[computeVector](t, "compute.json") {
		t.Run(fmt.Sprintf("%03d-%d", i, v.Bits), func(t *testing.T) {
			key, err := hex.DecodeString(v.Key)
			if err != nil {
				t.Fatal(err)
			}
			mac, err := testProvider.NewMAC(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Compute(ctx, mac, v.Bits, v.Parts...)
			if v.Error != "" {
				checkOutcome(t, v.Error, err)
				return
			}
			if err != nil || got != v.Value {
				t.Fatalf("Compute = %q, %v; want %q", got, err, v.Value)
			}
			if v.HMAC != "" {
				full, err := Compute(ctx, mac, 256, v.Parts...)
				if err != nil || full != v.HMAC {
					t.Errorf("full HMAC = %q, %v; want %q", full, err, v.HMAC)
				}
			}
			if err := ValidValue(got, v.Bits); err != nil {
				t.Errorf("ValidValue(%q, %d) = %v", got, v.Bits, err)
			}
		})
	}
}
