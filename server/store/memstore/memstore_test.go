package memstore_test

import (
	"testing"

	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/memstore"
	"github.com/zkvault/zkvault/server/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}
