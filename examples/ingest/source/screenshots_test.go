package source

import (
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestScreenshotsSample(t *testing.T) {
	r := readSample(t, "screenshots", Options{})
	if len(r.recs) != 3 || len(r.rejects) != 0 {
		t.Fatalf("%d records, rejects %v", len(r.recs), r.rejects)
	}
	want := map[string][2]int64{
		"Screenshot 2024-03-01 at 10.15.32.png": {120, 80},
		"Screenshot_20240302-111213.png":        {96, 96},
		"ocean-quadrants.png":                   {160, 90},
	}
	for _, rec := range r.recs {
		name := filepath.Base(rec.Blob.Path)
		wh, ok := want[name]
		if !ok {
			t.Fatalf("unexpected %s", name)
		}
		f := rec.Fields
		if f["width"] != wh[0] || f["height"] != wh[1] {
			t.Errorf("%s: %v×%v, want %v×%v", name, f["width"], f["height"], wh[0], wh[1])
		}
		info, err := os.Stat(rec.Blob.Path)
		if err != nil {
			t.Fatal(err)
		}
		if f["fileSize"] != info.Size() || rec.Blob.Size != info.Size() || f["image"] != rec.Blob.ID || rec.Blob.Field != "image" {
			t.Errorf("%s: fields %v, blob %+v", name, f, rec.Blob)
		}
	}
	taken := func(i int) time.Time { return time.UnixMilli(r.recs[i].Fields["takenAt"].(int64)).UTC() }
	if got := taken(0); !got.Equal(time.Date(2024, 3, 1, 10, 15, 32, 0, time.UTC)) {
		t.Errorf("takenAt from macOS name = %s", got)
	}
	if got := taken(1); !got.Equal(time.Date(2024, 3, 2, 11, 12, 13, 0, time.UTC)) {
		t.Errorf("takenAt from Android name = %s", got)
	}
}

func TestScreenshotsFolder(t *testing.T) {
	dir := t.TempDir()
	img := image.NewPaletted(image.Rect(0, 0, 33, 17), color.Palette{color.Black, color.White})
	write := func(name string, enc func(*os.File) error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := enc(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	write("a.gif", func(f *os.File) error { return gif.Encode(f, img, nil) })
	write("b.JPG", func(f *os.File) error { return jpeg.Encode(f, img, nil) })
	write("c-copy-of-a.gif", func(f *os.File) error { return gif.Encode(f, img, nil) })
	write("d.png", func(f *os.File) error { _, err := f.WriteString("not a png"); return err })
	write("notes.txt", func(f *os.File) error { return nil })
	write(".DS_Store", func(f *os.File) error { return nil })
	mtime := time.Date(2022, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "a.gif"), mtime, mtime); err != nil {
		t.Fatal(err)
	}

	var r result
	if err := ReadScreenshots(dir, Options{}, r.sink()); err != nil {
		t.Fatal(err)
	}
	if len(r.recs) != 2 {
		t.Fatalf("%d records, want 2 (a.gif, b.JPG)", len(r.recs))
	}
	for _, rec := range r.recs {
		if rec.Fields["width"] != int64(33) || rec.Fields["height"] != int64(17) {
			t.Errorf("%s: %v×%v", rec.Blob.Path, rec.Fields["width"], rec.Fields["height"])
		}
	}
	if got := r.recs[0].Fields["takenAt"]; got != mtime.UnixMilli() {
		t.Errorf("takenAt = %v, want the mtime %v", got, mtime.UnixMilli())
	}
	// c-copy-of-a.gif and notes.txt are skipped, d.png rejected.
	if len(r.rejects) != 3 || len(r.rejected()) != 1 || filepath.Base(r.rejected()[0].File) != "d.png" {
		t.Errorf("rejects %v", r.rejects)
	}

	// A renamed file keeps its id.
	if err := os.Rename(filepath.Join(dir, "a.gif"), filepath.Join(dir, "renamed.gif")); err != nil {
		t.Fatal(err)
	}
	var r2 result
	if err := ReadScreenshots(dir, Options{}, r2.sink()); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rec := range r2.recs {
		found = found || rec.ID == r.recs[0].ID && rec.Blob.ID == r.recs[0].Blob.ID
	}
	if !found {
		t.Error("renamed file got a new id")
	}

	var r3 result
	err := ReadScreenshots(filepath.Join(dir, "missing"), Options{}, r3.sink())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing folder: %v", err)
	}
}

func TestTimeFromFileName(t *testing.T) {
	tests := []struct {
		name string
		want string // "" for none
	}{
		{"Screenshot 2024-03-01 at 10.15.32.png", "2024-03-01T10:15:32Z"},
		{"Screen Shot 2020-01-02 at 9.05.07 PM.png", "2020-01-02T21:05:07Z"},
		{"Screenshot 2024-03-01 at 10.15.32\u202fAM.png", "2024-03-01T10:15:32Z"},
		{"Screen Shot 2020-01-02 at 12.05.07 AM.png", "2020-01-02T00:05:07Z"},
		{"Screenshot_20240301-101532.png", "2024-03-01T10:15:32Z"},
		{"Screenshot_20240301_101532_Chrome.jpg", "2024-03-01T10:15:32Z"},
		{"Screenshot_2024-03-01-10-15-32-123_com.example.app.png", "2024-03-01T10:15:32Z"},
		{"Screenshot 2024-03-01 101532.png", "2024-03-01T10:15:32Z"},
		{"Screenshot 2024-02-30 at 10.15.32.png", ""},
		{"Screenshot_20241301-101532.png", ""},
		{"holiday.png", ""},
	}
	for _, tt := range tests {
		got, ok := TimeFromFileName(tt.name, time.UTC)
		if tt.want == "" {
			if ok {
				t.Errorf("%q: got %s, want none", tt.name, got)
			}
			continue
		}
		if !ok || got.Format(time.RFC3339) != tt.want {
			t.Errorf("%q: got %s %v, want %s", tt.name, got.Format(time.RFC3339), ok, tt.want)
		}
	}
}
