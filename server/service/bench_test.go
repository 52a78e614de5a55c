package service_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"syscall"
	"testing"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/internal/benchdata"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store/memstore"
)

// BenchmarkUpsertBatch is the server's CPU work on a batch of 500 records
// of 1 KiB without HTTP and without a disk: decoding the body, validating
// and canonicalising each record, deriving its entries, and the store's
// preparation and writes, into the in-memory store (each batch inserts
// new records; the store is replaced, clock stopped, every 32 batches).
// server.BenchmarkIngestHTTP measures the same work with HTTP and bbolt.
func BenchmarkUpsertBatch(b *testing.B) {
	const batch, bodies = benchdata.Batch, 32
	var body [bodies][]byte
	for k := range body {
		body[k], _ = benchdata.Body(k * batch)
	}
	ctx := context.Background()
	admin := service.Caller{Admin: true}
	var s *service.Service
	fresh := func() {
		if s != nil {
			s.Close()
		}
		var err error
		if s, err = service.New(service.Config{Store: memstore.New(), AdminSecret: "zka_test-secret-of-some-length"}); err != nil {
			b.Fatal(err)
		}
		sp := api.Space{ID: "bench", Kind: api.KindVault, Encrypted: true, SecretVersion: 1,
			Envelopes: []api.Envelope{{Kind: api.RecipientPassphrase, SecretVersion: 1, Data: envelopeData()}}, Schemas: []api.Schema{benchdata.Schema}}
		if _, err := s.CreateSpace(ctx, admin, sp); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(body[0])))
	b.ReportAllocs()
	var cpu time.Duration
	c0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%bodies == 0 {
			b.StopTimer()
			cpu += cpuTime() - c0
			fresh()
			c0 = cpuTime()
			b.StartTimer()
		}
		items, err := service.DecodeRecords(body[i%bodies])
		if err != nil {
			b.Fatal(err)
		}
		res, err := s.UpsertRecords(ctx, admin, "bench", "messages", items)
		if err != nil || res.Inserted != batch {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.StopTimer()
	cpu += cpuTime() - c0
	b.ReportMetric(float64(cpu)/1e6/float64(b.N), "cpu-ms/op")
	s.Close()
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// envelopeData is the base64url of a passphrase envelope with a valid
// header and random contents.
func envelopeData() string {
	b := make([]byte, 64)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(append([]byte("ZKE\x02\x02"), b...))
}
