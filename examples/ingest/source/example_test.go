package source_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/zkvault/zkvault/examples/ingest/source"
)

func ExampleReadWhatsApp() {
	export := "12/31/23, 9:41\u202fPM - Alice: Happy new year\n" +
		"from all of us!\n" +
		"12/31/23, 9:42\u202fPM - \u202a+1 415 555 0100\u202c: Same to you\n" +
		"12/31/23, 9:43\u202fPM - this line has no sender\n"
	opts := source.Options{Me: "Alice", Location: time.UTC}
	err := source.ReadWhatsApp(strings.NewReader(export), "WhatsApp Chat with Alice.txt", opts, source.Sink{
		Record: func(r source.Record) error {
			f := r.Fields
			fmt.Printf("%s %q from %v (phone %v, me %v)\n",
				time.UnixMilli(f["timestamp"].(int64)).UTC().Format(time.DateTime), f["text"], f["senderName"], f["senderPhoneNumber"], f["isFromMe"])
			return nil
		},
		Reject: func(e *source.ItemError) error {
			fmt.Println("skipped:", e)
			return nil
		},
	})
	fmt.Println(err)
	// Output:
	// 2023-12-31 21:41:00 "Happy new year\nfrom all of us!" from Alice (phone <nil>, me true)
	// 2023-12-31 21:42:00 "Same to you" from +1 415 555 0100 (phone +1 415 555 0100, me false)
	// skipped: WhatsApp Chat with Alice.txt:4: system message: skipped
	// <nil>
}
