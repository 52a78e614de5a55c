package source

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/zkvault/zkvault/api"
)

// SourceIDKey is the JSON key of an item's own id in its source system
// (not a schema field): the record id is derived from it when present.
const SourceIDKey = "id"

// maxTimeMillis is the range of a time value: that of JavaScript's Date.
const maxTimeMillis = 8.64e15

// CollectionFromName infers the collection of a JSON or NDJSON file from
// its name: the base name without extensions is a collection's name
// ("whatsapp_messages.ndjson"), or starts with one followed by '-', '_',
// '.' or ' ' ("locations-2024.json"). The longest match wins; "" if none.
func CollectionFromName(name string) string {
	base := strings.ToLower(filepath.Base(name))
	best := ""
	for _, c := range Collections {
		if !strings.HasPrefix(base, c) || len(c) <= len(best) {
			continue
		}
		if len(base) == len(c) || strings.ContainsRune("-_. ", rune(base[len(c)])) {
			best = c
		}
	}
	return best
}

// ReadJSON reads the records of one collection from a JSON file (one array
// of objects) or an NDJSON file (one object per line), told apart by the
// first non-blank character, and sends them to sink. Every key of an
// object is a field of schema, except SourceIDKey; values are converted
// to the field's type (see the package documentation). name is the file's
// path: used in errors, and relative blob paths are read from its folder.
//
// An object that does not fit the schema is rejected with its line number
// and the others are still read. In a JSON array a syntax error ends the
// file (it is reported as a rejected item, since nothing after it can be
// read reliably); in NDJSON it rejects the line only.
func ReadJSON(r io.Reader, name string, schema api.Schema, opts Options, sink Sink) error {
	if schema.Collection == "" || len(schema.Fields) == 0 {
		return fmt.Errorf("%s: empty schema", name)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstByte(br)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	c := jsonConv{schema: schema, opts: opts, dir: filepath.Dir(name), seen: occurrences{}}
	emit := func(line int, raw []byte) error {
		rec, err := c.record(raw)
		if err != nil {
			return sink.reject(name, line, err)
		}
		return sink.record(rec)
	}
	if first != '[' {
		lr := newLineReader(br)
		for {
			b, n, err := lr.next()
			if err == io.EOF {
				return nil
			}
			if errors.Is(err, errLineTooLong) {
				if err := sink.reject(name, n, err); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if len(bytes.TrimSpace(b)) == 0 {
				continue
			}
			if err := emit(n, b); err != nil {
				return err
			}
		}
	}
	lc := &lineCounter{r: br}
	dec := json.NewDecoder(lc)
	if _, err := dec.Token(); err != nil { // '['
		return sink.reject(name, 1, err)
	}
	for dec.More() {
		var raw json.RawMessage
		start := lc.lineAt(dec.InputOffset())
		if err := dec.Decode(&raw); err != nil {
			return sink.reject(name, start, fmt.Errorf("%w (the rest of the file is not read)", err))
		}
		if err := emit(start, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return sink.reject(name, lc.lineAt(dec.InputOffset()), err)
	}
	return nil
}

// firstByte returns the first byte of the input that is not white space
// or a byte order mark, and leaves it unread.
func firstByte(br *bufio.Reader) (byte, error) {
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\ufeff")) {
		br.Discard(3)
	}
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c, br.UnreadByte()
		}
	}
}

// lineCounter counts the lines of what a json.Decoder has consumed: it
// keeps the bytes read since the last question, so its memory is that of
// the decoder's buffer.
type lineCounter struct {
	r    io.Reader
	buf  []byte
	base int64 // input offset of buf[0]
	line int   // newlines before base
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.buf = append(c.buf, p[:n]...)
	return n, err
}

// lineAt returns the 1-based line of input offset off, which must not be
// before the offset of the previous call.
func (c *lineCounter) lineAt(off int64) int {
	k := off - c.base
	if k < 0 {
		k = 0
	}
	if k > int64(len(c.buf)) {
		k = int64(len(c.buf))
	}
	// Skip the separator and white space the decoder will skip, so the
	// line is that of the item's first byte.
	for k < int64(len(c.buf)) && strings.IndexByte(", \t\r\n", c.buf[k]) >= 0 {
		k++
	}
	c.line += bytes.Count(c.buf[:k], []byte("\n"))
	c.buf = append(c.buf[:0], c.buf[k:]...)
	c.base += k
	return c.line + 1
}

// jsonConv converts JSON objects to records of one schema.
type jsonConv struct {
	schema api.Schema
	opts   Options
	dir    string
	seen   occurrences
}

func (c *jsonConv) record(raw []byte) (Record, error) {
	if len(raw) > MaxText {
		return Record{}, fmt.Errorf("item longer than %d bytes", MaxText)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return Record{}, errors.New("not a JSON object")
		}
		return Record{}, fmt.Errorf("bad JSON: %v", err)
	}
	if dec.More() {
		return Record{}, errors.New("more than one JSON value on the line")
	}
	if obj == nil {
		return Record{}, errors.New("not a JSON object")
	}
	sch := c.schema
	fields := map[string]any{}
	var blob *BlobRef
	srcID := ""
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := obj[k]
		if k == SourceIDKey {
			switch v := v.(type) {
			case string:
				srcID = v
			case json.Number:
				srcID = v.String()
			default:
				return Record{}, fmt.Errorf("%q: want a string or a number", k)
			}
			if srcID == "" {
				return Record{}, fmt.Errorf("%q: empty", k)
			}
			continue
		}
		f, ok := sch.Fields[k]
		if !ok {
			return Record{}, fmt.Errorf("unknown field %q: the %s schema has %s", k, sch.Collection, strings.Join(fieldNames(sch), ", "))
		}
		if v == nil {
			continue
		}
		if f.Blob {
			p, ok := v.(string)
			if !ok || p == "" {
				return Record{}, fmt.Errorf("%q: want the path of a file", k)
			}
			b, err := c.blob(k, p)
			if err != nil {
				return Record{}, fmt.Errorf("%q: %w", k, err)
			}
			if blob != nil {
				return Record{}, fmt.Errorf("%q: only one blob field per record", k)
			}
			blob = b
			fields[k] = b.ID
			continue
		}
		cv, err := convert(f, v)
		if err != nil {
			return Record{}, fmt.Errorf("%q: %w", k, err)
		}
		if !f.Encrypted {
			if err := checkPlainSize(f, cv); err != nil {
				return Record{}, fmt.Errorf("%q: %w", k, err)
			}
		}
		fields[k] = cv
	}
	if len(fields) == 0 {
		return Record{}, errors.New("no fields")
	}
	if blob != nil {
		c.blobDefaults(fields, blob)
	}
	if m, ok := fields["messageId"].(string); ok && sch.Collection == IMessageAttachments {
		// The message's id in its source, as the imessages item's "id":
		// stored as that message's record id, so the two link up.
		fields["messageId"] = c.opts.deriveID(IMessages+".source", m)
	}
	var id string
	if srcID != "" {
		id = c.opts.deriveID(sch.Collection+".source", srcID)
	} else {
		canon, err := json.Marshal(fields)
		if err != nil {
			return Record{}, err
		}
		id = c.opts.deriveID(sch.Collection+".content", string(canon), c.seen.next(string(canon)))
	}
	return Record{Collection: sch.Collection, ID: id, Fields: fields, Blob: blob}, nil
}

func fieldNames(s api.Schema) []string {
	out := make([]string, 0, len(s.Fields))
	for k := range s.Fields {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// convert checks a decoded JSON value against field f and returns its
// plain form.
func convert(f api.Field, v any) (any, error) {
	if !f.Multi {
		return scalar(f.Type, v)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want an array of %s", f.Type)
	}
	if len(arr) > api.MaxMultiValues {
		return nil, fmt.Errorf("more than %d values", api.MaxMultiValues)
	}
	if f.Type == api.TypeString {
		out := make([]string, 0, len(arr))
		for _, e := range arr {
			s, ok := e.(string)
			if !ok {
				return nil, errors.New("want an array of strings")
			}
			out = append(out, s)
		}
		return out, nil
	}
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		x, err := scalar(f.Type, e)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func scalar(typ string, v any) (any, error) {
	switch typ {
	case api.TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, errors.New("want a string")
	case api.TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, errors.New("want true or false")
	case api.TypeNumber:
		n, ok := v.(json.Number)
		if !ok {
			return nil, errors.New("want a number")
		}
		if i, err := n.Int64(); err == nil {
			return i, nil
		}
		x, err := n.Float64()
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, errors.New("number out of range")
		}
		return x, nil
	case api.TypeTime:
		return parseTime(v)
	case api.TypeJSON:
		return v, nil
	}
	return nil, fmt.Errorf("unknown field type %q", typ)
}

// parseTime reads a time: an RFC 3339 string or an integer number of
// milliseconds since the Unix epoch.
func parseTime(v any) (int64, error) {
	var ms int64
	switch v := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return 0, errors.New("want an RFC 3339 time (2024-03-01T10:15:32Z) or integer milliseconds")
		}
		ms = t.UnixMilli()
	case json.Number:
		i, err := v.Int64()
		if err != nil {
			return 0, errors.New("want integer milliseconds since the epoch")
		}
		ms = i
	default:
		return 0, errors.New("want an RFC 3339 time (2024-03-01T10:15:32Z) or integer milliseconds")
	}
	if ms > maxTimeMillis || ms < -maxTimeMillis {
		return 0, errors.New("time out of range")
	}
	return ms, nil
}

// checkPlainSize keeps plaintext values within the server's limits.
func checkPlainSize(f api.Field, v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if f.Filter && len(s) > api.MaxFilterValueLen-16 {
		return fmt.Errorf("filterable value longer than %d bytes", api.MaxFilterValueLen-16)
	}
	if len(s) > api.MaxPlainStringLen {
		return fmt.Errorf("value longer than %d bytes", api.MaxPlainStringLen)
	}
	return nil
}

// blob reads the file at p (relative to the JSON file's folder) for blob
// field k: its size and content hash.
func (c *jsonConv) blob(k, p string) (*BlobRef, error) {
	path := p
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.dir, filepath.FromSlash(p))
	}
	sum, size, err := hashFile(path)
	if err != nil {
		return nil, err
	}
	return &BlobRef{Field: k, ID: c.opts.deriveID("blob", sum), Path: path, Size: size, SHA256: sum}, nil
}

func hashFile(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if !info.Mode().IsRegular() {
		return "", 0, errNotRegular
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// blobDefaults fills the fields a blob describes when the item does not
// give them and the schema has them: fileSize (number), filename and
// mimeType (strings).
func (c *jsonConv) blobDefaults(fields map[string]any, b *BlobRef) {
	has := func(name, typ string) bool {
		f, ok := c.schema.Fields[name]
		_, given := fields[name]
		return ok && !given && f.Type == typ && !f.Multi
	}
	if has("fileSize", api.TypeNumber) {
		fields["fileSize"] = b.Size
	}
	if has("filename", api.TypeString) {
		fields["filename"] = filepath.Base(b.Path)
	}
	if has("mimeType", api.TypeString) {
		fields["mimeType"] = mimeType(b.Path)
	}
}

// mimeTypes is a fixed table, so that the result does not depend on the
// machine's mime.types.
var mimeTypes = map[string]string{
	".pdf": "application/pdf", ".txt": "text/plain", ".png": "image/png", ".jpg": "image/jpeg",
	".jpeg": "image/jpeg", ".gif": "image/gif", ".heic": "image/heic", ".webp": "image/webp",
	".mov": "video/quicktime", ".mp4": "video/mp4", ".m4a": "audio/mp4", ".caf": "audio/x-caf",
	".vcf": "text/vcard", ".zip": "application/zip", ".json": "application/json",
	".doc": "application/msword", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

func mimeType(path string) string {
	if t, ok := mimeTypes[strings.ToLower(filepath.Ext(path))]; ok {
		return t
	}
	return "application/octet-stream"
}
