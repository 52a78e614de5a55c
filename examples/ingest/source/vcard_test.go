package source

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readVCard(t testing.TB, in string) *result {
	t.Helper()
	var r result
	if err := ReadVCard(strings.NewReader(in), "c.vcf", Options{}, r.sink()); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestVCardSample(t *testing.T) {
	r := readSample(t, "contacts.vcf", Options{})
	if len(r.recs) != 5 || len(r.rejects) != 0 {
		t.Fatalf("%d records, rejects %v; want 5, none", len(r.recs), r.rejects)
	}
	want := []map[string]any{
		{
			"firstName": "Priya", "lastName": "Nightingale-Okafor",
			"organization": "Okafor, Lind & Partners, Trail Running Division",
			"phoneNumbers": []string{"4155550100", "+1 (415) 555-0199"},
			"emails":       []string{"priya.nightingale@example.org", "p.okafor@okafor-lind.example"},
			"contactId":    "6c1f6d2e-2b0c-4f5e-9c53-0a7e2f9b1d01",
		},
		{
			"firstName": "Jürgen", "lastName": "Müller-Brightwater", "organization": "Bäckerei Sonnenflügel",
			"phoneNumbers": []string{"+49 30 5550 1234", "+49 30 5550 9876"},
			"emails":       []string{"juergen.brightwater@example.de"},
		},
		{
			"firstName": "Bob", "lastName": "Quillfeather",
			"phoneNumbers": []string{"+41-44-555-0123"},
			"emails":       []string{"bob.quillfeather@example.ch"},
			"contactId":    "urn:uuid:0e7a3c44-91d2-4b8e-a6f1-7d5c2b9e8f02",
		},
		{
			"firstName": "Alice", "lastName": "Zephyrine",
			"phoneNumbers": []string{"+44 7700 900123"},
			"emails":       []string{"alice.zephyrine@example.net"},
		},
		{
			"firstName": "Saffron Kettle Bistro", "organization": "Saffron Kettle Bistro",
			"phoneNumbers": []string{"+1 212 555 0147", "+1 212 555 0148", "+1 212 555 0149"},
		},
	}
	for i, rec := range r.recs {
		got := rec.Fields
		if _, ok := want[i]["contactId"]; !ok {
			if id, _ := got["contactId"].(string); len(id) != 32 {
				t.Errorf("card %d: derived contactId %q", i, id)
			}
			want[i]["contactId"] = got["contactId"]
		}
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("card %d:\n got %v\nwant %v", i, got, want[i])
		}
	}
}

func TestVCardFoldingAndEscapes(t *testing.T) {
	in := "BEGIN:VCARD\nVERSION:3.0\nFN:Very Long\n  Name\nN:Long;Very\\, Really;;;\nORG:A\\;B\\\\C\nTEL;TYPE=\"cell,voice\":+1 415\n\t555 0100\nEMAIL:a@\n b.example\nEND:VCARD\n"
	r := readVCard(t, in)
	if len(r.recs) != 1 {
		t.Fatalf("rejects %v", r.rejects)
	}
	f := r.recs[0].Fields
	if f["firstName"] != "Very, Really" || f["lastName"] != "Long" || f["organization"] != `A;B\C` {
		t.Errorf("fields %v", f)
	}
	if !reflect.DeepEqual(f["phoneNumbers"], []string{"+1 415555 0100"}) || !reflect.DeepEqual(f["emails"], []string{"a@b.example"}) {
		t.Errorf("fields %v", f)
	}
}

func TestVCardQuotedPrintable(t *testing.T) {
	in := "BEGIN:VCARD\r\nVERSION:2.1\r\n" +
		"N;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:M=FCller;J=FCrgen\r\n" +
		"ORG;CHARSET=UTF-8;QUOTED-PRINTABLE:Caf=C3=A9 de la =\r\nGare\r\n" +
		"TEL;CELL;PREF:+33 1 55 55 01 00\r\nTEL;HOME:+33 1 55 55 01 01\r\nTEL;WORK:+33 1 55 55 01 00\r\n" +
		"END:VCARD\r\n"
	r := readVCard(t, in)
	if len(r.recs) != 1 {
		t.Fatalf("rejects %v", r.rejects)
	}
	f := r.recs[0].Fields
	if f["firstName"] != "Jürgen" || f["lastName"] != "Müller" || f["organization"] != "Café de la Gare" {
		t.Errorf("fields %v", f)
	}
	if !reflect.DeepEqual(f["phoneNumbers"], []string{"+33 1 55 55 01 00", "+33 1 55 55 01 01"}) {
		t.Errorf("phone numbers %v (duplicates are dropped)", f["phoneNumbers"])
	}
}

func TestVCardErrors(t *testing.T) {
	in := "FN:outside\n" + // 1
		"BEGIN:VCARD\nFN:Fine\nEND:VCARD\n" + // 2-4
		"BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n" + // 5-7: empty
		"BEGIN:VCARD\nFN:Broken\nthis is not a property\nEND:VCARD\n" + // 8-11
		"BEGIN:VCARD\nFN:Unfinished\n" + // 12-13: BEGIN inside a card
		"BEGIN:VCARD\nFN:Last\nTEL:+1 212 555 0100\n" // 14-16: no END
	r := readVCard(t, in)
	if len(r.recs) != 1 || r.recs[0].Fields["firstName"] != "Fine" {
		t.Errorf("records %v", r.recs)
	}
	var lines []int
	for _, e := range r.rejects {
		lines = append(lines, e.Line)
	}
	if !reflect.DeepEqual(lines, []int{1, 5, 8, 12, 14}) {
		t.Errorf("rejected lines %v, want [1 5 8 12 14]: %v", lines, r.rejects)
	}
}

func TestVCardContactIDStable(t *testing.T) {
	in := "BEGIN:VCARD\nFN:Same\nEND:VCARD\nBEGIN:VCARD\nFN:Same\nEND:VCARD\n"
	a, b := readVCard(t, in), readVCard(t, in)
	if a.recs[0].ID == a.recs[1].ID {
		t.Error("two identical cards share an id")
	}
	for i := range a.recs {
		if a.recs[i].ID != b.recs[i].ID || a.recs[i].Fields["contactId"] != b.recs[i].Fields["contactId"] {
			t.Error("ids differ between runs")
		}
	}
}

func FuzzVCard(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(sampleDir, "*.vcf"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	f.Add("BEGIN:VCARD\nN;QUOTED-PRINTABLE:=\n=C3=\n\nTEL:\\\nEND:VCARD")
	f.Fuzz(func(t *testing.T, in string) {
		var r result
		if err := ReadVCard(strings.NewReader(in), "fuzz.vcf", Options{}, r.sink()); err != nil {
			t.Fatal(err)
		}
		for _, rec := range r.recs {
			if rec.ID == "" || rec.Fields["contactId"] == "" {
				t.Fatalf("bad record %v", rec)
			}
		}
	})
}
