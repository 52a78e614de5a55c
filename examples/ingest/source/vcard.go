package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"slices"
	"strings"
	"unicode/utf8"
)

// Field names of the contacts schema.
const (
	ctFirstName    = "firstName"
	ctLastName     = "lastName"
	ctOrganization = "organization"
	ctEmails       = "emails"
	ctPhoneNumbers = "phoneNumbers"
	ctContactID    = "contactId"
)

// maxContactID is the longest UID kept as contactId (the server's limit
// for a filterable value is 1024 bytes of JSON); a longer one is hashed.
const maxContactID = 512

// vcardLine is one unfolded content line.
type vcardLine struct {
	n    int // line number where it starts
	text []byte
	qp   bool // a quoted-printable value that may continue with a soft break
	big  bool // longer than MaxLine: dropped
}

// ReadVCard reads a vCard file (versions 2.1, 3.0 and 4.0, any number of
// cards) and sends one contacts record per card to sink. name is the
// file's name, used in errors.
func ReadVCard(r io.Reader, name string, opts Options, sink Sink) error {
	vr := &vcardReader{file: name, opts: opts, sink: sink, seen: occurrences{}}
	lr := newLineReader(r)
	var pending *vcardLine // the logical line being unfolded
	for {
		b, n, err := lr.next()
		if err == io.EOF {
			break
		}
		tooLong := errors.Is(err, errLineTooLong)
		if err != nil && !tooLong {
			return fmt.Errorf("%s: %w", name, err)
		}
		// Unfolding: a line that starts with a space or a tab continues
		// the previous one (RFC 6350 3.2); a quoted-printable value that
		// ends in "=" continues on the next line (vCard 2.1).
		if pending != nil && !tooLong && len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
			pending.appendText(b[1:])
			continue
		}
		if pending != nil && !tooLong && pending.qp && bytes.HasSuffix(pending.text, []byte("=")) {
			pending.text = pending.text[:len(pending.text)-1]
			pending.appendText(b)
			continue
		}
		if err := vr.handle(pending); err != nil {
			return err
		}
		pending = nil
		switch {
		case tooLong:
			pending = &vcardLine{n: n, big: true}
		case len(bytes.TrimSpace(b)) > 0:
			pending = &vcardLine{n: n, text: append([]byte(nil), b...)}
			pending.qp = isQPLine(pending.text)
		}
	}
	if err := vr.handle(pending); err != nil {
		return err
	}
	if vr.card != nil {
		return sink.reject(name, vr.card.line, errors.New("card without END:VCARD"))
	}
	return nil
}

// vcardReader is the state of ReadVCard between content lines.
type vcardReader struct {
	file string
	opts Options
	sink Sink
	seen occurrences
	card *vcard // the card being read, or nil between cards
}

func (l *vcardLine) appendText(b []byte) {
	if l.big || len(l.text)+len(b) > MaxLine {
		l.big, l.text = true, nil
		return
	}
	l.text = append(l.text, b...)
}

// isQPLine reports whether a content line's parameters say
// quoted-printable.
func isQPLine(b []byte) bool {
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return false
	}
	return bytes.Contains(bytes.ToUpper(b[:i]), []byte("QUOTED-PRINTABLE"))
}

// vcard is a card being read.
type vcard struct {
	line                      int
	lines                     int
	fn, first, last, org, uid string
	hasN                      bool
	tels, emails              []string
	tooMany                   bool
	broken                    error
}

// handle processes one unfolded content line (nil: none).
func (vr *vcardReader) handle(l *vcardLine) error {
	if l == nil {
		return nil
	}
	c, file := vr.card, vr.file
	if l.big {
		if c != nil {
			c.lines++ // a huge PHOTO or the like: dropped
		}
		return nil
	}
	prop, params, value, ok := splitContentLine(l.text)
	if !ok {
		if c == nil {
			return vr.sink.reject(file, l.n, errors.New("not a vCard content line"))
		}
		if c.broken == nil {
			c.broken = fmt.Errorf("line %d: not a vCard content line", l.n)
		}
		return nil
	}
	switch {
	case prop == "BEGIN" && strings.EqualFold(strings.TrimSpace(string(value)), "VCARD"):
		if c != nil {
			if err := vr.sink.reject(file, c.line, errors.New("card without END:VCARD")); err != nil {
				return err
			}
		}
		vr.card = &vcard{line: l.n}
		return nil
	case c == nil:
		if len(prop) > 32 {
			prop = prop[:32] + "…"
		}
		return vr.sink.reject(file, l.n, fmt.Errorf("%s outside a card", prop))
	case prop == "END":
		vr.card = nil
		return c.finish(file, vr.opts, vr.seen, vr.sink)
	}
	c.lines++
	if c.lines > MaxCardLines {
		c.broken = fmt.Errorf("more than %d lines in one card", MaxCardLines)
		return nil
	}
	text := decodeValue(params, value)
	switch prop {
	case "FN":
		c.fn = cleanText(unescape(text))
	case "N":
		parts := splitEscaped(text, ';')
		c.hasN = true
		if len(parts) > 0 {
			c.last = cleanText(unescape(parts[0]))
		}
		if len(parts) > 1 {
			c.first = cleanText(unescape(parts[1]))
		}
	case "ORG":
		var units []string
		for _, p := range splitEscaped(text, ';') {
			if u := cleanText(unescape(p)); u != "" {
				units = append(units, u)
			}
		}
		c.org = strings.Join(units, ", ")
	case "TEL":
		v := cleanText(unescape(text))
		if len(v) > 4 && strings.EqualFold(v[:4], "tel:") {
			v = v[4:]
		}
		c.tels = c.add(c.tels, v)
	case "EMAIL":
		v := cleanText(unescape(text))
		if len(v) > 7 && strings.EqualFold(v[:7], "mailto:") {
			v = v[7:]
		}
		c.emails = c.add(c.emails, v)
	case "UID":
		c.uid = cleanText(unescape(text))
	}
	return nil
}

func (c *vcard) add(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	if len(list) >= MaxValues {
		c.tooMany = true
		return list
	}
	return append(list, v)
}

func (c *vcard) finish(file string, opts Options, seen occurrences, sink Sink) error {
	if c.broken != nil {
		return sink.reject(file, c.line, c.broken)
	}
	if c.tooMany {
		return sink.reject(file, c.line, fmt.Errorf("more than %d phone numbers or e-mail addresses", MaxValues))
	}
	first, last := c.first, c.last
	if !c.hasN || first == "" && last == "" {
		first, last = c.fn, ""
	}
	if first == "" && last == "" && c.org == "" && len(c.tels) == 0 && len(c.emails) == 0 {
		return sink.reject(file, c.line, errors.New("card without a name, organization, phone number or e-mail address"))
	}
	f := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			f[k] = v
		}
	}
	set(ctFirstName, first)
	set(ctLastName, last)
	set(ctOrganization, c.org)
	if len(c.tels) > 0 {
		f[ctPhoneNumbers] = c.tels
	}
	if len(c.emails) > 0 {
		f[ctEmails] = c.emails
	}
	id := c.uid
	if id == "" || len(id) > maxContactID {
		parts := []string{id, c.fn, first, last, c.org, strings.Join(c.tels, "\x00"), strings.Join(c.emails, "\x00")}
		key := strings.Join(parts, "\x01")
		id = opts.deriveID("contacts.content", append(parts, seen.next(key))...)
	}
	f[ctContactID] = id
	return sink.record(Record{Collection: Contacts, ID: opts.deriveID("contacts.record", id), Fields: f})
}

// splitContentLine splits "group.NAME;PARAM=x;PARAM:value" into the upper
// case property name without its group, the parameters, and the value.
func splitContentLine(b []byte) (prop string, params []string, value []byte, ok bool) {
	quoted := false
	colon := -1
	for i, c := range b {
		if c == '"' {
			quoted = !quoted
		} else if c == ':' && !quoted {
			colon = i
			break
		}
	}
	if colon <= 0 {
		return "", nil, nil, false
	}
	head := string(b[:colon])
	fields := strings.Split(head, ";")
	prop = strings.ToUpper(strings.TrimSpace(fields[0]))
	if i := strings.LastIndexByte(prop, '.'); i >= 0 {
		prop = prop[i+1:]
	}
	if prop == "" {
		return "", nil, nil, false
	}
	return prop, fields[1:], b[colon+1:], true
}

// decodeValue applies a value's encoding (QUOTED-PRINTABLE, vCard 2.1)
// and charset (UTF-8 by default; ISO-8859-1 and Windows-1252 decoded), and
// returns valid UTF-8.
func decodeValue(params []string, value []byte) string {
	qp, latin1 := false, false
	for _, p := range params {
		u := strings.ToUpper(strings.TrimSpace(p))
		switch {
		case u == "QUOTED-PRINTABLE" || u == "ENCODING=QUOTED-PRINTABLE":
			qp = true
		case strings.HasPrefix(u, "CHARSET="):
			cs := strings.Trim(u[len("CHARSET="):], `"`)
			latin1 = cs == "ISO-8859-1" || cs == "WINDOWS-1252" || cs == "LATIN1"
		}
	}
	if qp {
		dec, err := io.ReadAll(io.LimitReader(quotedprintable.NewReader(bytes.NewReader(value)), MaxLine))
		if err == nil || len(dec) > 0 {
			value = dec
		}
	}
	if latin1 {
		rs := make([]rune, 0, len(value))
		for _, c := range value {
			rs = append(rs, rune(c))
		}
		return string(rs)
	}
	if !utf8.Valid(value) {
		return strings.ToValidUTF8(string(value), "\uFFFD")
	}
	return string(value)
}

// splitEscaped splits s at every sep not escaped by a backslash.
func splitEscaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unescape resolves the backslash escapes of a vCard text value.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
