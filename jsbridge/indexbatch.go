//go:build js && wasm

// Index batches (indexValues): the parts of their path that are not the
// HMAC, kept cheap. See docs/spec/10-browser-provider.md, 10.5.

package main

import (
	"sync"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/api"
)

// shippedSchemas holds the shipped schemas index batches have named, parsed
// once: parsing one cost 2–3 % of a batch of 10,000 queries. A cached
// schema is only ever read (an IndexQuerier does not change its schema).
var shippedSchemas sync.Map // name → api.Schema

// indexSchemaArg is schemaArg with the shipped schemas cached.
func indexSchemaArg(args []safejs.Value, i int) (api.Schema, error) {
	name, err := argString(args, i, "schema")
	if err != nil || len(name) > 0 && name[0] == '{' {
		return schemaArg(args, i)
	}
	if sc, ok := shippedSchemas.Load(name); ok {
		return sc.(api.Schema), nil
	}
	sc, err := schemaArg(args, i)
	if err == nil {
		shippedSchemas.Store(name, sc)
	}
	return sc, err
}
