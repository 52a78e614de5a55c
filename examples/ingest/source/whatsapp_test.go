package source

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWhatsAppDateFormats(t *testing.T) {
	utc := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	tests := []struct {
		name, line, order string
		want              string // RFC 3339, UTC
		sender, text      string
	}{
		{"android US", "12/31/23, 9:41 PM - Alice: hi", "", "2023-12-31T21:41:00Z", "Alice", "hi"},
		{"android day first", "31/12/2023, 21:41 - Alice: hi", "", "2023-12-31T21:41:00Z", "Alice", "hi"},
		{"ios day first", "[31/12/2023, 21:41:05] Alice: hi", "", "2023-12-31T21:41:05Z", "Alice", "hi"},
		{"ios US", "[12/31/23, 9:41:05 PM] Alice: hi", "", "2023-12-31T21:41:05Z", "Alice", "hi"},
		{"narrow no-break space", "12/31/23, 9:41\u202fPM - Alice: hi", "", "2023-12-31T21:41:00Z", "Alice", "hi"},
		{"no-break space", "12/31/23, 9:41\u00a0PM - Alice: hi", "", "2023-12-31T21:41:00Z", "Alice", "hi"},
		{"ios left-to-right marks", "\u200e[31/12/2023, 21:41:05] Alice: \u200eimage omitted", "", "2023-12-31T21:41:05Z", "Alice", "image omitted"},
		{"ios mark and narrow space", "\u200e[12/31/23, 9:41:05\u202fPM] Alice: hi", "", "2023-12-31T21:41:05Z", "Alice", "hi"},
		{"dotted", "31.12.23, 21:41 - Alice: hi", "", "2023-12-31T21:41:00Z", "Alice", "hi"},
		{"dotted no comma", "31.12.23 21:41 - Alice: hi", "", "2023-12-31T21:41:00Z", "Alice", "hi"},
		{"year first", "2023-12-31, 21:41 - Alice: hi", "", "2023-12-31T21:41:00Z", "Alice", "hi"},
		{"midnight AM", "1/2/24, 12:05 AM - Alice: hi", MDY, "2024-01-02T00:05:00Z", "Alice", "hi"},
		{"noon PM", "1/2/24, 12:05 PM - Alice: hi", MDY, "2024-01-02T12:05:00Z", "Alice", "hi"},
		{"p.m. with dots", "31/12/2023, 9:41 p.\u00a0m. - Alice: hi", "", "2023-12-31T21:41:00Z", "Alice", "hi"},
		{"ambiguous defaults to day first", "01/02/2024, 10:00 - Alice: hi", "", "2024-02-01T10:00:00Z", "Alice", "hi"},
		{"ambiguous US style defaults to month first", "1/2/24, 10:00 AM - Alice: hi", "", "2024-01-02T10:00:00Z", "Alice", "hi"},
		{"override month first", "01/02/2024, 10:00 - Alice: hi", MDY, "2024-01-02T10:00:00Z", "Alice", "hi"},
		{"override day first", "1/2/24, 10:00 AM - Alice: hi", DMY, "2024-02-01T10:00:00Z", "Alice", "hi"},
		{"colon in text", "31/12/2023, 21:41 - Alice: note: 3:30 works", "", "2023-12-31T21:41:00Z", "Alice", "note: 3:30 works"},
		{"media omitted", "12/31/23, 9:41 PM - Alice: <Media omitted>", "", "2023-12-31T21:41:00Z", "Alice", "<Media omitted>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := readWA(t, tt.line+"\n", Options{DateOrder: tt.order})
			if len(r.recs) != 1 || len(r.rejects) != 0 {
				t.Fatalf("got %d records, rejects %v", len(r.recs), r.rejects)
			}
			f := r.recs[0].Fields
			if got := f["timestamp"]; got != utc(tt.want) {
				t.Errorf("timestamp = %v (%s), want %s", got, time.UnixMilli(got.(int64)).UTC(), tt.want)
			}
			if f["senderName"] != tt.sender || f["text"] != tt.text {
				t.Errorf("sender, text = %q, %q; want %q, %q", f["senderName"], f["text"], tt.sender, tt.text)
			}
		})
	}
}

func TestWhatsAppDateOrderFromWholeFile(t *testing.T) {
	// The first line is ambiguous; a later one (13 > 12 in first place)
	// shows the file is day first.
	in := "01/02/2024, 10:00 - A: one\n13/02/2024, 10:00 - B: two\n"
	r := readWA(t, in, Options{})
	if got := time.UnixMilli(r.recs[0].Fields["timestamp"].(int64)).UTC(); got.Month() != time.February || got.Day() != 1 {
		t.Errorf("first message on %s, want 1 February", got)
	}
	in = "01/02/24, 10:00 - A: one\n02/13/24, 10:00 - B: two\n"
	r = readWA(t, in, Options{})
	if got := time.UnixMilli(r.recs[0].Fields["timestamp"].(int64)).UTC(); got.Month() != time.January || got.Day() != 2 {
		t.Errorf("first message on %s, want 2 January", got)
	}
}

func TestWhatsAppTimeZone(t *testing.T) {
	r := readWA(t, "31/12/2023, 21:41 - Alice: hi\n", Options{Location: time.FixedZone("UTC+1", 3600)})
	if got, want := r.recs[0].Fields["timestamp"], time.Date(2023, 12, 31, 20, 41, 0, 0, time.UTC).UnixMilli(); got != want {
		t.Errorf("timestamp = %v, want %v", got, want)
	}
	// The zone changes the time, not the id: a re-import with the right
	// zone updates the records instead of duplicating them.
	r2 := readWA(t, "31/12/2023, 21:41 - Alice: hi\n", Options{})
	if r.recs[0].ID != r2.recs[0].ID {
		t.Error("id depends on the time zone")
	}
}

func TestWhatsAppMultiline(t *testing.T) {
	in := "stray text before any message\n" +
		"\u200e[31/12/2023, 21:41:05] Alice: first line\n" +
		"second line\n" +
		"\n" +
		"fourth line after a blank one\n" +
		"[31/12/2023, 21:42:00] Bob: next\n"
	r := readWA(t, in, Options{})
	if len(r.recs) != 2 {
		t.Fatalf("%d records, want 2", len(r.recs))
	}
	if got, want := r.recs[0].Fields["text"], "first line\nsecond line\n\nfourth line after a blank one"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if len(r.rejects) != 1 || r.rejects[0].Line != 1 || r.rejects[0].File != "chat.txt" {
		t.Errorf("rejects = %v, want one at chat.txt:1", r.rejects)
	}
}

func TestWhatsAppBadDate(t *testing.T) {
	in := "31/01/2024, 10:00 - A: fine\n30/02/2024, 10:00 - A: no such day\ncontinued\n01/03/2024, 25:00 - A: no such hour\n02/03/2024, 10:00 - A: fine too\n"
	r := readWA(t, in, Options{})
	if len(r.recs) != 2 {
		t.Errorf("%d records, want 2", len(r.recs))
	}
	var lines []int
	for _, e := range r.rejects {
		lines = append(lines, e.Line)
	}
	if len(lines) != 2 || lines[0] != 2 || lines[1] != 4 {
		t.Errorf("rejected lines %v, want [2 4]", lines)
	}
}

func TestWhatsAppSample(t *testing.T) {
	r := readSample(t, sampleChat, Options{})
	if len(r.rejected()) != 0 {
		t.Fatalf("rejected: %v", r.rejected())
	}
	if len(r.recs) != 29 || len(r.rejects) != 2 {
		t.Fatalf("%d records and %d skipped, want 29 and 2", len(r.recs), len(r.rejects))
	}
	for _, e := range r.rejects {
		if !errors.Is(e, ErrSkipped) || e.Line > 2 {
			t.Errorf("unexpected %v", e)
		}
	}
	senders := map[any]int{}
	ids := map[string]bool{}
	for _, rec := range r.recs {
		f := rec.Fields
		if rec.Collection != WhatsAppMessages || f["chatName"] != "Lighthouse Hikers" || f["isGroupChat"] != true {
			t.Fatalf("bad record %v", rec)
		}
		if rec.ID != f["messageId"] || ids[rec.ID] {
			t.Fatalf("id %q, messageId %q (duplicate %v)", rec.ID, f["messageId"], ids[rec.ID])
		}
		ids[rec.ID] = true
		senders[f["senderName"]]++
		if (f["senderName"] == "Alice Zephyrine") != (f["isFromMe"] == true) {
			t.Errorf("isFromMe = %v for %v", f["isFromMe"], f["senderName"])
		}
		if f["senderName"] == "+1 415 555 0100" {
			if f["senderPhoneNumber"] != "+1 415 555 0100" || f["senderJid"] != "14155550100@s.whatsapp.net" {
				t.Errorf("phone sender: %v", f)
			}
		} else if _, ok := f["senderPhoneNumber"]; ok {
			t.Errorf("senderPhoneNumber for %v", f["senderName"])
		}
	}
	if len(senders) != 3 {
		t.Errorf("senders %v, want 3", senders)
	}
	if got := r.recs[4].Fields["text"]; got != "Packing list:\n- water (2L)\n- marzipan-octopus-5519 snacks\n- headlamp" {
		t.Errorf("multi-line message = %q", got)
	}

	kept := readSample(t, sampleChat, Options{KeepSystem: true})
	if len(kept.recs) != 31 || len(kept.rejects) != 0 {
		t.Errorf("KeepSystem: %d records, %d rejects; want 31, 0", len(kept.recs), len(kept.rejects))
	}
	if _, ok := kept.recs[0].Fields["senderName"]; ok {
		t.Error("system message has a sender")
	}
}

func TestWhatsAppOneToOne(t *testing.T) {
	in := "[01/02/2024, 10:00:00] Alice: hi\n[01/02/2024, 10:01:00] +41 79 555 01 23: hello\n[01/02/2024, 10:02:00] alice: bye\n"
	r := readWA(t, in, Options{Me: "+41795550123"})
	for _, rec := range r.recs {
		if rec.Fields["isGroupChat"] != false {
			t.Error("two senders make a group")
		}
		if got, want := rec.Fields["isFromMe"], rec.Fields["senderPhoneNumber"] != nil; got != want {
			t.Errorf("isFromMe = %v for %v", got, rec.Fields["senderName"])
		}
	}
}

func TestChatNameFromFileName(t *testing.T) {
	for name, want := range map[string]string{
		"WhatsApp Chat with Alice.txt":                  "Alice",
		"/x/y/WhatsApp Chat with Lighthouse Hikers.txt": "Lighthouse Hikers",
		"WhatsApp Chat - Bob.txt":                       "Bob",
		"WhatsApp-Chat mit Jürgen.txt":                  "Jürgen",
		"_chat.txt":                                     "",
		"holiday.txt":                                   "holiday",
	} {
		if got := ChatNameFromFileName(name); got != want {
			t.Errorf("ChatNameFromFileName(%q) = %q, want %q", name, got, want)
		}
	}
	var r result
	err := ReadWhatsApp(strings.NewReader("31/12/2023, 21:41 - A: b\n"), "_chat.txt", Options{}, r.sink())
	if err == nil {
		t.Error("no error without a chat name")
	}
}

func FuzzWhatsApp(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(sampleDir, "*.txt"))
	n := 0
	for _, p := range seeds {
		if p == filepath.Join(sampleDir, "PLAINTEXTS.txt") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), "")
		n++
	}
	if n == 0 {
		f.Fatal("no seeds")
	}
	f.Add("\u200e[12/31/23, 9:41:05\u202fPM] \u202a+1 415 555 0100\u202c: \u200eimage omitted\nmore\n", MDY)
	f.Add("31.12.23, 21:41 - A: x\n29/02/2023, 1:00 - B: y", DMY)
	f.Fuzz(func(t *testing.T, in, order string) {
		var r result
		_ = ReadWhatsApp(strings.NewReader(in), "fuzz.txt", Options{ChatName: "c", Me: "A", DateOrder: order}, r.sink())
		for _, rec := range r.recs {
			if rec.ID == "" || rec.Fields["messageId"] != rec.ID {
				t.Fatalf("bad record %v", rec)
			}
		}
	})
}

func TestWhatsAppIOSNotices(t *testing.T) {
	in := "[01/02/2024, 10:00:00] Hikers: \u200eMessages and calls are end-to-end encrypted. No one outside of this chat can read them.\n" +
		"[01/02/2024, 10:00:00] Hikers: \u200eAlice created group \u201cHikers\u201d\n" +
		"[01/02/2024, 10:00:01] Hikers: \u200eAlice added Bob\n" +
		"[01/02/2024, 10:01:00] Alice: \u200eimage omitted\n" +
		"[01/02/2024, 10:02:00] Bob: nice, Alice added Bob to the list\n"
	r := readWA(t, in, Options{})
	if len(r.recs) != 2 || len(r.rejects) != 3 {
		t.Fatalf("%d records, rejects %v", len(r.recs), r.rejects)
	}
	if r.recs[0].Fields["text"] != "image omitted" || r.recs[1].Fields["text"] != "nice, Alice added Bob to the list" {
		t.Errorf("texts %q, %q", r.recs[0].Fields["text"], r.recs[1].Fields["text"])
	}
	if r.recs[0].Fields["isGroupChat"] != true {
		t.Error("a created group is not a group chat")
	}
}
