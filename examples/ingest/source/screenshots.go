package source

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // registers GIF for image.DecodeConfig
	_ "image/jpeg" // registers JPEG
	_ "image/png"  // registers PNG
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Field names of the screenshots schema.
const (
	ssImage    = "image"
	ssWidth    = "width"
	ssHeight   = "height"
	ssFileSize = "fileSize"
	ssTakenAt  = "takenAt"
)

// Screenshot file names with the time they were taken, in local time:
// macOS "Screenshot 2024-03-01 at 10.15.32.png" (and the older "Screen
// Shot 2020-01-01 at 10.15.32 AM.png"), Windows "Screenshot 2024-03-01
// 101532.png", Android "Screenshot_2024-03-01-10-15-32-123_com.app.png"
// and "Screenshot_20240301-101532.png".
var (
	dashedName  = regexp.MustCompile(`(\d{4})-(\d{2})-(\d{2})(?: at |[ _T-])(\d{1,2})[.:-]?(\d{2})[.:-]?(\d{2})(?: ?([AaPp][Mm]))?`)
	compactName = regexp.MustCompile(`(\d{4})(\d{2})(\d{2})[-_ T]?(\d{2})(\d{2})(\d{2})`)
)

// imageExt are the file extensions the screenshot reader reads.
var imageExt = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true}

// ReadScreenshots walks the folder dir (and its subfolders, in lexical
// order; hidden files and folders are ignored) and sends one screenshots
// record per PNG, JPEG or GIF image to sink. Other files are reported as
// skipped (ErrSkipped), as is a file with the same content as one read
// before; a file that does not decode is rejected.
func ReadScreenshots(dir string, opts Options, sink Sink) error {
	seen := map[string]string{} // content hash → first path
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return sink.reject(path, 0, err)
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		if !imageExt[strings.ToLower(filepath.Ext(path))] {
			return sink.reject(path, 0, fmt.Errorf("not a PNG, JPEG or GIF file: %w", ErrSkipped))
		}
		rec, err := ReadScreenshot(path, opts)
		if err != nil {
			return sink.reject(path, 0, err)
		}
		if first, dup := seen[rec.Blob.SHA256]; dup {
			return sink.reject(path, 0, fmt.Errorf("same content as %s: %w", first, ErrSkipped))
		}
		seen[rec.Blob.SHA256] = path
		return sink.record(rec)
	})
}

// ReadScreenshot reads one image file: its dimensions (from the header
// only), size, content hash (streaming) and time (from the file name, else
// the file's modification time).
func ReadScreenshot(path string, opts Options) (Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return Record{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Record{}, err
	}
	h := sha256.New()
	br := bufio.NewReader(io.TeeReader(f, h))
	cfg, _, err := image.DecodeConfig(br)
	if err != nil {
		return Record{}, fmt.Errorf("not a readable image: %w", err)
	}
	if _, err := io.Copy(io.Discard, br); err != nil { // the rest of the file, into the hash
		return Record{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	taken, ok := TimeFromFileName(filepath.Base(path), opts.location())
	if !ok {
		taken = info.ModTime()
	}
	blob := &BlobRef{Field: ssImage, ID: opts.deriveID("blob", sum), Path: path, Size: info.Size(), SHA256: sum}
	return Record{
		Collection: Screenshots,
		ID:         opts.deriveID("screenshots.record", sum),
		Fields: map[string]any{
			ssImage:    blob.ID,
			ssWidth:    int64(cfg.Width),
			ssHeight:   int64(cfg.Height),
			ssFileSize: info.Size(),
			ssTakenAt:  millis(taken),
		},
		Blob: blob,
	}, nil
}

// TimeFromFileName returns the time a screenshot's file name records, read
// in loc, and whether it has one.
func TimeFromFileName(name string, loc *time.Location) (time.Time, bool) {
	name = strings.Map(func(r rune) rune {
		switch {
		case isInvisible(r):
			return -1
		case isOddSpace(r):
			return ' '
		}
		return r
	}, name)
	m := dashedName.FindStringSubmatch(name)
	if m == nil {
		m = compactName.FindStringSubmatch(name)
		if m != nil {
			m = append(m, "")
		}
	}
	if m == nil {
		return time.Time{}, false
	}
	var v [6]int
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	if ampm := strings.ToLower(m[7]); ampm != "" {
		if v[3] < 1 || v[3] > 12 {
			return time.Time{}, false
		}
		v[3] %= 12
		if ampm == "pm" {
			v[3] += 12
		}
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, false
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, loc)
	if t.Day() != v[2] {
		return time.Time{}, false
	}
	return t, true
}

// errNotRegular rejects a blob path that is not a regular file.
var errNotRegular = errors.New("not a regular file")
