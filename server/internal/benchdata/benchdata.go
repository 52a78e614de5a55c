// Package benchdata is the ingest workload the server's benchmarks share:
// server.BenchmarkIngestHTTP (HTTP and bbolt) and service.BenchmarkUpsertBatch
// (the service alone, in memory) measure the same batches, and
// server.BenchmarkIndexLookup and the raw bbolt baselines use the same records.
package benchdata

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"strconv"

	"github.com/zkvault/zkvault/api"
)

// Batch is the number of records in one batch request.
const Batch = 500

// Schema is the collection the records belong to: a WhatsApp-like message
// with two encrypted fields, a filter, a time and a 32-bit blind index.
var Schema = api.Schema{
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

// Record is record i of Schema, about size bytes of JSON: random
// ciphertexts, id msg-<i>, one of 50 chats, a random index value.
func Record(i int, size int) api.Record {
	pad := size - 260
	if pad < 29 {
		pad = 29
	}
	raw := make([]byte, pad*3/4)
	rand.Read(raw)
	text := base64.RawURLEncoding.EncodeToString(raw)
	ph := make([]byte, 32)
	rand.Read(ph)
	return api.Record{
		ID: fmt.Sprintf("msg-%010d", i),
		Fields: map[string]json.RawMessage{
			"text":        json.RawMessage(`"enc:v2:1:` + text + `"`),
			"senderPhone": json.RawMessage(`"enc:v2:1:` + base64.RawURLEncoding.EncodeToString(ph) + `"`),
			"chatId":      json.RawMessage(fmt.Sprintf(`"chat-%d"`, i%50)),
			"timestamp":   json.RawMessage(strconv.Itoa(1700000000000 + i*1000)),
		},
		Index: map[string][]string{"senderPhoneIndex": {fmt.Sprintf("%08x", mrand.Uint32())}},
	}
}

// Body returns a batch request of Batch records of 1 KiB starting at id
// first, and the records.
func Body(first int) ([]byte, []api.Record) {
	recs := make([]api.Record, Batch)
	for i := range recs {
		recs[i] = Record(first+i, 1024)
	}
	body, _ := json.Marshal(map[string]any{"records": recs})
	return body, recs
}
