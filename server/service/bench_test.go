package service_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/zkvault/zkvault/api"
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
	schema := api.Schema{
		Collection: "messages",
		Fields: map[string]api.Field{
			"text":        {Type: api.TypeString, Encrypted: true},
			"senderPhone": {Type: api.TypeString, Encrypted: true},
			"chatId":      {Type: api.TypeString, Filter: true},
			"timestamp":   {Type: api.TypeTime},
		},
		Indexes:   map[string]api.Index{"senderPhoneIndex": {Fields: []string{"senderPhone"}, Normalizer: api.NormPhone, Bits: 32}},
		TimeField: "timestamp",
	}
	const batch, bodies = 500, 32
	enc := func(n int) string {
		raw := make([]byte, n)
		rand.Read(raw)
		return `"enc:v2:1:` + base64.RawURLEncoding.EncodeToString(raw) + `"`
	}
	var body [bodies][]byte
	for k := range body {
		recs := make([]api.Record, batch)
		for i := range recs {
			n := k*batch + i
			recs[i] = api.Record{ID: fmt.Sprintf("msg-%010d", n), Fields: map[string]json.RawMessage{
				"text":        json.RawMessage(enc(573)),
				"senderPhone": json.RawMessage(enc(32)),
				"chatId":      json.RawMessage(fmt.Sprintf(`"chat-%d"`, n%50)),
				"timestamp":   json.RawMessage(strconv.Itoa(1700000000000 + n*1000)),
			}, Index: map[string][]string{"senderPhoneIndex": {fmt.Sprintf("%08x", n*2654435761%(1<<32))}}}
		}
		body[k], _ = json.Marshal(map[string]any{"records": recs})
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
			Envelopes: []api.Envelope{{Kind: api.RecipientPassphrase, SecretVersion: 1, Data: envelopeData()}}, Schemas: []api.Schema{schema}}
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
