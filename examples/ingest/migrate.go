package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/examples/ingest/source"
	"github.com/zkvault/zkvault/wasm/legacy"
	"github.com/zkvault/zkvault/wasm/prim"
)

const migrateHelp = `Reads the JSON export of an existing vault of the contexter kind (enc:v1
values, CTXE screenshots, hex blind indexes), decrypts it with that vault's
passphrase, and imports it into this vault: every field re-encrypted in
zkvault's format, new blind indexes, images and attachments as encrypted
files. The export's shape is in examples/ingest/README.md ("Migrating").
Like import, it is idempotent and resumable.

The old passphrase is read from --legacy-passphrase-file, or asked on the
terminal; the vault's own from --passphrase-file, or asked.`

// Legacy columns that carry a record's blob.
const (
	legacyImageColumn = "imageData" // screenshots: base64 of the CTXE bytes
	legacyFileColumn  = "fileData"  // imessage_attachments: enc:v1 text of the bytes
	legacyIndexSuffix = "Index"     // <field>Index: hex blind index of <field>
)

// maxLegacyRow bounds one row of the export (a screenshot in base64).
const maxLegacyRow = 256 << 20

func (a *app) cmdMigrate(ctx context.Context, args []string) error {
	var c common
	var pf pipeFlags
	var legacyFile string
	var verify bool
	fs := a.flags("migrate", "[flags] export.json", migrateHelp)
	a.commonFlags(fs, &c)
	pf.define(fs)
	fs.StringVar(&legacyFile, "legacy-passphrase-file", "", "file holding the old vault's passphrase (first line); without it, asked on the terminal")
	fs.BoolVar(&verify, "verify-indexes", true, "check the export's blind indexes against the decrypted values (a mismatch is reported, not fatal)")
	if err := a.parse(fs, args); err != nil {
		return done(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	if err := pf.check(); err != nil {
		return err
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()

	v, err := a.openVault(ctx, &c)
	if err != nil {
		return err
	}
	defer v.space.Forget()
	if err := v.ensureCollections(ctx); err != nil {
		return err
	}
	oldPass, err := a.passphrase(legacyFile, "Passphrase of the old vault: ", false)
	if err != nil {
		return err
	}
	keys, err := legacy.DeriveKeys(ctx, prim.Native(), oldPass)
	if err != nil {
		return err
	}
	idKey, err := v.space.IDKey(ctx)
	if err != nil {
		return err
	}
	p, err := a.newPipeline(v, &pf, &c, "migrate")
	if err != nil {
		return err
	}
	defer p.st.Close()
	m := &migrator{keys: keys, idKey: idKey, verify: verify, name: path}
	sum, err := p.run(ctx, func(s sink) error { return m.read(ctx, f, s) })
	a.last = sum
	if sum != nil {
		sum.Ignored = append(sum.Ignored, m.notes()...)
		sum.print(a.stdout)
		if m.mismatches > 0 {
			fmt.Fprintf(a.stdout, "blind indexes that did not match their decrypted value: %d (the values were migrated; the old indexes are not kept)\n", m.mismatches)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: what was acknowledged is recorded; run the same migration again to carry on")
		}
		return err
	}
	if m.decryptFailures > 0 {
		return fmt.Errorf("%d values did not decrypt with the old passphrase (wrong passphrase, or damaged values): their rows were rejected", m.decryptFailures)
	}
	return nil
}

// topLevel names the export's own members in notes.
const topLevel = ""

// migrator turns the rows of a legacy export into items.
type migrator struct {
	keys   *legacy.Keys
	idKey  []byte
	verify bool
	name   string

	ignored         map[string][]string // collection → columns left out
	mismatches      int
	decryptFailures int
}

func (m *migrator) notes() []string {
	var out []string
	colls := make([]string, 0, len(m.ignored))
	for c := range m.ignored {
		colls = append(colls, c)
	}
	slices.Sort(colls)
	for _, c := range colls {
		if c == topLevel {
			out = append(out, fmt.Sprintf("%s: members not migrated (not a collection): %s", m.name, strings.Join(m.ignored[c], ", ")))
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s columns not migrated (not in the schema): %s", m.name, c, strings.Join(m.ignored[c], ", ")))
	}
	return out
}

// read walks the export: one JSON object whose members are collections,
// each an array of rows, decoded one row at a time.
func (m *migrator) read(ctx context.Context, r io.Reader, s sink) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<16))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		key, _ := tok.(string)
		sc, ok := schemaOf(key)
		if !ok {
			// Another member (a version, the operational tables):
			// skip its value.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("%s: %s: %w", m.name, key, err)
			}
			m.ignore(topLevel, key)
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return fmt.Errorf("%s: %s: %w", m.name, key, err)
		}
		for i := 0; dec.More(); i++ {
			var row map[string]json.RawMessage
			if err := dec.Decode(&row); err != nil {
				return fmt.Errorf("%s: %s[%d]: %w", m.name, key, i, err)
			}
			origin := fmt.Sprintf("%s: %s[%d]", m.name, key, i)
			it, err := m.convert(ctx, sc, row, origin)
			if err != nil {
				s.reject(key, fmt.Sprintf("%s: %v", origin, err))
				continue
			}
			if err := s.add(it); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%s: %s: %w", m.name, key, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("want %q", string(d))
	}
	return nil
}

func (m *migrator) ignore(coll, col string) {
	if m.ignored == nil {
		m.ignored = map[string][]string{}
	}
	if !slices.Contains(m.ignored[coll], col) {
		m.ignored[coll] = append(m.ignored[coll], col)
	}
}

// deriveID is source's id derivation (HMAC-SHA256 under the id key of
// the length-prefixed label, kind and parts, 32 hex digits), so that a
// file migrated here and imported from disk get the same blob id.
func (m *migrator) deriveID(kind string, parts ...string) string {
	var h hash.Hash = hmac.New(sha256.New, m.idKey)
	var n [binary.MaxVarintLen64]byte
	for _, p := range append([]string{"zkvault.ingest.id.v1", kind}, parts...) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// errDecrypt is a value the old passphrase does not open.
var errDecrypt = errors.New("does not decrypt with the old passphrase")

// convert maps one legacy row to an item of collection sc.
func (m *migrator) convert(ctx context.Context, sc api.Schema, row map[string]json.RawMessage, origin string) (*item, error) {
	coll := sc.Collection
	it := &item{coll: coll, fields: map[string]any{}, origin: origin}
	srcID := ""
	indexes := map[string]string{}
	keys := make([]string, 0, len(row))
	for k := range row {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		raw := row[k]
		if string(raw) == "null" {
			continue
		}
		switch {
		case k == source.SourceIDKey:
			var v any
			if err := decodeNumber(raw, &v); err != nil {
				return nil, fmt.Errorf("%q: %v", k, err)
			}
			switch v := v.(type) {
			case string:
				srcID = v
			case json.Number:
				srcID = v.String()
			default:
				return nil, fmt.Errorf("%q: want a string or a number", k)
			}
			continue
		case coll == source.Screenshots && k == legacyImageColumn, coll == source.IMessageAttachments && k == legacyFileColumn:
			data, err := m.blobData(ctx, k, raw)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", k, err)
			}
			field := "image"
			if coll == source.IMessageAttachments {
				field = "file"
			}
			sum := sha256.Sum256(data)
			it.blob = bytesSource(field, m.deriveID("blob", hex.EncodeToString(sum[:])), data)
			it.fields[field] = it.blob.id
			continue
		case strings.HasSuffix(k, legacyIndexSuffix) && len(k) > len(legacyIndexSuffix):
			if _, ok := sc.Fields[strings.TrimSuffix(k, legacyIndexSuffix)]; ok {
				var s string
				if json.Unmarshal(raw, &s) == nil {
					indexes[strings.TrimSuffix(k, legacyIndexSuffix)] = s
				}
				continue
			}
		}
		f, ok := sc.Fields[k]
		if !ok || f.Blob {
			if alt := timeAlias(sc, k); alt != "" {
				if _, given := row[alt]; !given {
					f, k, ok = sc.Fields[alt], alt, true
				}
			}
		}
		if !ok || f.Blob {
			m.ignore(coll, k)
			continue
		}
		v, err := m.value(ctx, f, raw)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", k, err)
		}
		if v != nil {
			it.fields[k] = v
		}
	}
	if m.verify {
		for field, ix := range indexes {
			if err := m.checkIndex(ctx, field, it.fields[field], ix); err != nil {
				m.mismatches++
			}
		}
	}
	if it.blob != nil {
		if f, ok := sc.Fields["fileSize"]; ok && f.Type == api.TypeNumber {
			if _, given := it.fields["fileSize"]; !given {
				it.fields["fileSize"] = it.blob.size
			}
		}
	}
	if len(it.fields) == 0 {
		return nil, errors.New("no fields")
	}
	if coll == source.IMessageAttachments {
		if mid, ok := it.fields["messageId"].(string); ok && mid != "" {
			// The legacy id of the message: stored as the id its
			// imessages row gets here, so that the two link up.
			it.fields["messageId"] = m.deriveID(source.IMessages+".legacy", mid)
		}
	}
	if srcID != "" {
		it.id = m.deriveID(coll+".legacy", srcID)
	} else {
		canon, err := json.Marshal(it.fields)
		if err != nil {
			return nil, err
		}
		it.id = m.deriveID(coll+".legacy-content", string(canon))
	}
	return it, nil
}

// timeAlias maps the usual legacy time columns to the schema's time field
// when the row does not name it.
func timeAlias(sc api.Schema, col string) string {
	if sc.TimeField == "" || col == sc.TimeField {
		return ""
	}
	switch col {
	case "timestamp", "createdAt", "date", "takenAt", "created_at":
		return sc.TimeField
	}
	return ""
}

func decodeNumber(raw json.RawMessage, v *any) error {
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	return d.Decode(v)
}

// blobData decrypts a row's image (base64 of CTXE bytes) or attachment
// (enc:v1 text of the bytes).
func (m *migrator) blobData(ctx context.Context, col string, raw json.RawMessage) ([]byte, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errors.New("want a string")
	}
	if col == legacyFileColumn {
		b, err := m.keys.DecryptBytes(ctx, s)
		if errors.Is(err, legacy.ErrNotEncrypted) {
			return base64.StdEncoding.DecodeString(s) // stored in clear, as base64
		}
		return b, m.decryptErr(err)
	}
	ct, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("want base64 of the encrypted image")
	}
	b, err := m.keys.DecryptBinary(ctx, ct)
	if errors.Is(err, legacy.ErrNotEncrypted) {
		return ct, nil // stored in clear
	}
	return b, m.decryptErr(err)
}

func (m *migrator) decryptErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, legacy.ErrDecrypt):
		m.decryptFailures++
		return errDecrypt
	case errors.Is(err, legacy.ErrMalformed):
		return errors.New("malformed enc:v1 value")
	}
	return err
}

// value converts one legacy column to the plain value of field f: an
// enc:v1 value is decrypted first (its text then read as f's type), a
// value in clear is taken as it is.
func (m *migrator) value(ctx context.Context, f api.Field, raw json.RawMessage) (any, error) {
	var v any
	if err := decodeNumber(raw, &v); err != nil {
		return nil, err
	}
	if s, ok := v.(string); ok && legacy.IsEncrypted(s) {
		text, err := m.keys.DecryptString(ctx, s)
		if err != nil {
			return nil, m.decryptErr(err)
		}
		return fromText(f, text)
	}
	if f.Multi {
		arr, ok := v.([]any)
		if !ok {
			if s, ok := v.(string); ok {
				return fromText(f, s)
			}
			return nil, errors.New("want an array")
		}
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
	if s, ok := v.(string); ok && f.Type != api.TypeString {
		return fromText(f, s)
	}
	switch f.Type {
	case api.TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, errors.New("want a string")
	case api.TypeBool:
		switch v := v.(type) {
		case bool:
			return v, nil
		case json.Number: // SQLite booleans
			if v == "0" || v == "1" {
				return v == "1", nil
			}
		}
		return nil, errors.New("want true or false")
	case api.TypeNumber:
		if n, ok := v.(json.Number); ok {
			return parseNumber(string(n))
		}
		return nil, errors.New("want a number")
	case api.TypeTime:
		if n, ok := v.(json.Number); ok {
			return parseLegacyTime(string(n))
		}
		return nil, errors.New("want a time")
	case api.TypeJSON:
		return v, nil
	}
	return nil, fmt.Errorf("unknown type %s", f.Type)
}

// fromText reads a decrypted (or textual) value as f's type: a multi field
// from a JSON array, or one value; a number, a bool or a time from its
// text.
func fromText(f api.Field, s string) (any, error) {
	if s == "" && f.Type != api.TypeString {
		return nil, nil // the legacy form of an empty value
	}
	if f.Multi {
		var arr []string
		if strings.HasPrefix(strings.TrimSpace(s), "[") {
			if err := json.Unmarshal([]byte(s), &arr); err != nil {
				return nil, errors.New("want a JSON array of strings")
			}
			return arr, nil
		}
		if s == "" {
			return []string{}, nil
		}
		return []string{s}, nil
	}
	switch f.Type {
	case api.TypeString:
		return s, nil
	case api.TypeNumber:
		return parseNumber(strings.TrimSpace(s))
	case api.TypeBool:
		switch strings.TrimSpace(s) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, errors.New("want true or false")
	case api.TypeTime:
		return parseLegacyTime(strings.TrimSpace(s))
	case api.TypeJSON:
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return s, nil
		}
		return v, nil
	}
	return nil, fmt.Errorf("unknown type %s", f.Type)
}

func parseNumber(s string) (any, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return nil, errors.New("want a number")
	}
	return x, nil
}

// parseLegacyTime reads integer milliseconds, RFC 3339, or an SQL
// timestamp ("2024-03-10 18:04:11", UTC).
func parseLegacyTime(s string) (int64, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms > 8.64e15 || ms < -8.64e15 {
			return 0, errors.New("time out of range")
		}
		return ms, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, errors.New("want milliseconds since the epoch or an RFC 3339 time")
}

// checkIndex compares a legacy blind index with the decrypted value,
// normalised as the legacy client did: phone numbers by their digits,
// names by NormalizeName, anything else as a contact.
func (m *migrator) checkIndex(ctx context.Context, field string, v any, ix string) error {
	s, ok := v.(string)
	if !ok {
		return errors.New("no value")
	}
	var n string
	lf := strings.ToLower(field)
	switch {
	case strings.Contains(lf, "phone"):
		n = legacy.NormalizePhone(s)
	case strings.Contains(lf, "name"):
		n = legacy.NormalizeName(s)
	default:
		n = legacy.NormalizeContact(s)
	}
	ok, err := m.keys.VerifyIndex(ctx, n, ix)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("mismatch")
	}
	return nil
}
