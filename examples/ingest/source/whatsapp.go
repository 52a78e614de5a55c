package source

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Date orders of WhatsApp exports (Options.DateOrder).
const (
	DMY = "DMY" // 31/12/2023
	MDY = "MDY" // 12/31/23
)

// Field names of the whatsapp_messages schema.
const (
	waText        = "text"
	waChatName    = "chatName"
	waSenderName  = "senderName"
	waSenderPhone = "senderPhoneNumber"
	waSenderJid   = "senderJid"
	waChatID      = "chatId"
	waMessageID   = "messageId"
	waTimestamp   = "timestamp"
	waIsFromMe    = "isFromMe"
	waIsGroupChat = "isGroupChat"
)

// A message header: the date and time that start a message, on Android
// ("31/12/2023, 21:41 - Name: text") and on iOS ("[31/12/2023, 21:41:05]
// Name: text"). Separators may be '/', '.' or '-'; the year has 2 or 4
// digits, or comes first (2023-12-31); seconds and AM/PM are optional.
var (
	androidHeader = regexp.MustCompile(`^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4}),? ?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))? ?([AaPp]\.? ?[Mm]\.?)? [-–] (.*)$`)
	iosHeader     = regexp.MustCompile(`^\[(\d{1,4})[./-](\d{1,2})[./-](\d{1,4}),? ?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))? ?([AaPp]\.? ?[Mm]\.?)?\] ?(.*)$`)
	phoneSender   = regexp.MustCompile(`^\+?[0-9][0-9 ()\-.]*$`)
)

// maxSender is the longest sender name: a longer "name" before ": " is
// taken as part of a system message.
const maxSender = 256

// waHeader is a parsed message header, before the date order is known.
type waHeader struct {
	f               [3]string // the date's three numbers, as written
	hour, min, sec  int
	ampm            byte // 'a', 'p' or 0
	slash2DigitAMPM bool // 12/31/23 with AM/PM: the US app's format
	rest            string
	iosLeadingMark  bool // the text starts with U+200E (iOS)
	sender, text    string
	hasSender       bool
	system          bool // a notice of WhatsApp's, not a message
}

func parseWAHeader(line string) (h waHeader, ok bool) {
	raw := line
	if i := strings.IndexFunc(raw, func(r rune) bool { return !isInvisible(r) }); i < 0 || raw[i] != '[' && (raw[i] < '0' || raw[i] > '9') {
		return h, false // not a header: the common case of a continuation line
	}
	clean := strings.Map(func(r rune) rune {
		switch {
		case isInvisible(r):
			return -1
		case isOddSpace(r):
			return ' '
		}
		return r
	}, raw)
	var m []string
	ios := strings.HasPrefix(clean, "[")
	switch {
	case ios:
		m = iosHeader.FindStringSubmatch(clean)
	case clean != "" && clean[0] >= '0' && clean[0] <= '9':
		m = androidHeader.FindStringSubmatch(clean)
	}
	if m == nil {
		return h, false
	}
	h.f = [3]string{m[1], m[2], m[3]}
	h.hour, _ = strconv.Atoi(m[4])
	h.min, _ = strconv.Atoi(m[5])
	if m[6] != "" {
		h.sec, _ = strconv.Atoi(m[6])
	}
	if m[7] != "" {
		h.ampm = m[7][0] | 0x20
		h.slash2DigitAMPM = len(m[3]) == 2 && strings.Contains(clean[:len(m[1])+2], "/")
	}
	// iOS marks its own notices (and media notes) with a left-to-right
	// mark before the text, which the cleaned line no longer shows.
	if i := strings.Index(raw, "] "); ios && i >= 0 {
		h.iosLeadingMark = strings.HasPrefix(afterSender(raw[i+2:]), "\u200e")
	}
	h.rest = m[8]
	if i := strings.Index(h.rest, ": "); i > 0 && i <= maxSender {
		h.sender = cleanText(h.rest[:i])
		h.text = h.rest[i+2:]
		h.hasSender = h.sender != ""
	} else {
		h.text = h.rest
	}
	h.system = !h.hasSender || isSystemText(cleanText(h.text), h.iosLeadingMark)
	return h, true
}

func afterSender(s string) string {
	if i := strings.Index(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// isSystemText reports whether a message's text is one of WhatsApp's own
// notices. iOS exports attribute those to the chat and start them with a
// left-to-right mark; so do their media notes ("‎image omitted"), which are
// kept.
func isSystemText(text string, iosMark bool) bool {
	if strings.HasPrefix(text, "Messages and calls are end-to-end encrypted") ||
		strings.HasPrefix(text, "Messages to this group are now secured with end-to-end encryption") {
		return true
	}
	if !iosMark {
		return false
	}
	for _, p := range []string{"created group", "changed the subject", "changed this group's icon",
		"changed the group description", " added ", " removed ", " left", "joined using this group's invite link",
		"security code changed", "Your security code with", "You're now an admin", "deleted this group's icon",
		"changed their phone number", "Disappearing messages"} {
		if strings.Contains(text, p) {
			return true
		}
	}
	return false
}

// waMessage is one message being assembled from its header and its
// continuation lines.
type waMessage struct {
	line    int
	h       waHeader
	text    strings.Builder
	tooLong bool
}

// scanWhatsApp reads an export and calls msg for every message, and bad
// for every line that belongs to no message.
func scanWhatsApp(r io.Reader, name string, msg func(*waMessage) error, bad func(line int, err error) error) error {
	lr := newLineReader(r)
	var cur *waMessage
	flush := func() error {
		if cur == nil {
			return nil
		}
		m := cur
		cur = nil
		return msg(m)
	}
	for {
		b, n, err := lr.next()
		if err == io.EOF {
			return flush()
		}
		if errors.Is(err, errLineTooLong) {
			if cur != nil {
				cur.tooLong = true
			} else if err := bad(n, err); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		line := string(b)
		if !utf8.ValidString(line) {
			line = strings.ToValidUTF8(line, "\uFFFD")
		}
		if h, ok := parseWAHeader(line); ok {
			if err := flush(); err != nil {
				return err
			}
			cur = &waMessage{line: n, h: h}
			cur.text.WriteString(h.text)
			continue
		}
		if cur == nil {
			if strings.TrimSpace(line) == "" {
				continue
			}
			if err := bad(n, errors.New("text before the first message header")); err != nil {
				return err
			}
			continue
		}
		if cur.text.Len()+len(line)+1 > MaxText {
			cur.tooLong = true
			continue
		}
		cur.text.WriteByte('\n')
		cur.text.WriteString(line)
	}
}

// ChatNameFromFileName returns the chat's name from the name of a
// WhatsApp export: "WhatsApp Chat with Alice.txt" and "WhatsApp Chat -
// Alice.txt" give "Alice"; an iOS "_chat.txt" gives "".
func ChatNameFromFileName(name string) string {
	base := filepath.Base(name)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	base = cleanText(base)
	if base == "_chat" || base == "" {
		return ""
	}
	for _, p := range []string{"WhatsApp Chat with ", "WhatsApp Chat - ", "WhatsApp-Chat mit ",
		"Chat de WhatsApp con ", "Conversa do WhatsApp com ", "Discussion WhatsApp avec ", "WhatsApp-chat met "} {
		if strings.HasPrefix(base, p) && len(base) > len(p) {
			return strings.TrimSpace(base[len(p):])
		}
	}
	return base
}

// ReadWhatsApp reads a WhatsApp chat export (the .txt file "Export chat"
// writes) and sends one whatsapp_messages record per message to sink.
// The input is read twice (once to learn the date order and the number of
// senders), hence the io.ReadSeeker. name is the file's name, used in
// errors and for the chat name when opts.ChatName is empty.
//
// Without opts.DateOrder, a date whose first number is above 12 makes the
// file day first, one whose second number is above 12 month first; if no
// date tells, the US app's format (slashes, two-digit year, AM/PM) is
// month first and any other day first. System messages are reported as
// skipped unless opts.KeepSystem. A file with text but no message line is
// refused with an error.
func ReadWhatsApp(r io.ReadSeeker, name string, opts Options, sink Sink) error {
	chat := cleanText(opts.ChatName)
	if chat == "" {
		chat = ChatNameFromFileName(name)
	}
	if chat == "" {
		return fmt.Errorf("%s: cannot tell the chat's name from the file name: give it", name)
	}
	order := strings.ToUpper(opts.DateOrder)
	if order != "" && order != DMY && order != MDY {
		return fmt.Errorf("date order %q: want %s or %s", opts.DateOrder, DMY, MDY)
	}

	// Pass 1: date order evidence and distinct senders.
	var dayFirst, monthFirst, usStyle, others, messages, stray int
	senders := map[string]bool{}
	group := false
	err := scanWhatsApp(r, name, func(m *waMessage) error {
		messages++
		h := &m.h
		if len(h.f[0]) != 4 {
			a, _ := strconv.Atoi(h.f[0])
			b, _ := strconv.Atoi(h.f[1])
			switch {
			case a > 12 && b <= 12:
				dayFirst++
			case b > 12 && a <= 12:
				monthFirst++
			}
			if h.slash2DigitAMPM {
				usStyle++
			} else {
				others++
			}
		}
		if h.system {
			if t := cleanText(h.text); strings.Contains(t, "created group") || strings.Contains(t, " added ") {
				group = true
			}
		} else if len(senders) <= 2 {
			senders[strings.ToLower(h.sender)] = true
		}
		return nil
	}, func(int, error) error { stray++; return nil })
	if err != nil {
		return err
	}
	if messages == 0 && stray > 0 {
		return fmt.Errorf("%s: not a WhatsApp chat export: no line starts with a date and time", name)
	}
	if order == "" {
		switch {
		case dayFirst > monthFirst:
			order = DMY
		case monthFirst > dayFirst:
			order = MDY
		case usStyle > others:
			order = MDY
		default:
			order = DMY
		}
	}
	group = group || len(senders) > 2
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}

	// Pass 2: records.
	loc := opts.location()
	chatID := opts.deriveID("whatsapp.chat", chat)
	seen := occurrences{}
	me := cleanText(opts.Me)
	err = scanWhatsApp(r, name, func(m *waMessage) error {
		h := &m.h
		if m.tooLong {
			return sink.reject(name, m.line, fmt.Errorf("message longer than %d bytes", MaxText))
		}
		wall, err := h.time(order, loc)
		if err != nil {
			return sink.reject(name, m.line, err)
		}
		if h.system && !opts.KeepSystem {
			return sink.reject(name, m.line, fmt.Errorf("system message: %w", ErrSkipped))
		}
		text := cleanMessage(m.text.String())
		f := map[string]any{
			waText:        text,
			waChatName:    chat,
			waChatID:      chatID,
			waTimestamp:   millis(wall),
			waIsGroupChat: group,
			waIsFromMe:    false,
		}
		sender := ""
		if !h.system {
			sender = h.sender
			f[waSenderName] = sender
			if isPhone(sender) {
				f[waSenderPhone] = sender
				if strings.HasPrefix(sender, "+") {
					f[waSenderJid] = digitsOf(sender) + "@s.whatsapp.net"
				}
			}
			f[waIsFromMe] = me != "" && sameSender(me, sender)
		}
		key := wall.Format("2006-01-02T15:04:05") + "\x00" + sender + "\x00" + text
		id := opts.deriveID("whatsapp.message", chatID, wall.Format("2006-01-02T15:04:05"), sender, text, seen.next(key))
		f[waMessageID] = id
		return sink.record(Record{Collection: WhatsAppMessages, ID: id, Fields: f})
	}, func(line int, err error) error { return sink.reject(name, line, err) })
	return err
}

// time resolves the header's date in the given order and zone.
func (h *waHeader) time(order string, loc *time.Location) (time.Time, error) {
	a, _ := strconv.Atoi(h.f[0])
	b, _ := strconv.Atoi(h.f[1])
	c, _ := strconv.Atoi(h.f[2])
	var y, mo, d int
	yearText := h.f[2]
	switch {
	case len(h.f[0]) == 4:
		y, mo, d, yearText = a, b, c, h.f[0]
	case order == MDY:
		mo, d, y = a, b, c
	default:
		d, mo, y = a, b, c
	}
	switch len(yearText) {
	case 2:
		y += 2000
	case 4:
	default:
		return time.Time{}, fmt.Errorf("bad year %q", yearText)
	}
	hour := h.hour
	switch h.ampm {
	case 'a', 'p':
		if hour < 1 || hour > 12 {
			return time.Time{}, fmt.Errorf("bad hour %d with AM/PM", hour)
		}
		hour %= 12
		if h.ampm == 'p' {
			hour += 12
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 || hour > 23 || h.min > 59 || h.sec > 59 {
		return time.Time{}, fmt.Errorf("bad date or time %s/%s/%s %d:%02d:%02d (order %s)", h.f[0], h.f[1], h.f[2], h.hour, h.min, h.sec, order)
	}
	t := time.Date(y, time.Month(mo), d, hour, h.min, h.sec, 0, loc)
	if t.Day() != d {
		return time.Time{}, fmt.Errorf("no day %d in month %d of %d (order %s)", d, mo, y, order)
	}
	return t, nil
}

// cleanMessage removes the direction marks of a message's text, turns
// no-break spaces into spaces, and trims trailing white space.
func cleanMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case isInvisible(r):
			return -1
		case isOddSpace(r):
			return ' '
		}
		return r
	}, s)
	return strings.TrimRight(s, " \t\r\n")
}

// isPhone reports whether a sender is a phone number ("+1 415 555 0100",
// "+41 79 123 45 67"): digits and separators only, 7 to 15 digits.
func isPhone(s string) bool {
	if !phoneSender.MatchString(s) {
		return false
	}
	n := len(digitsOf(s))
	return n >= 7 && n <= 15
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// sameSender compares --me with a sender: names case-insensitively, phone
// numbers by their digits.
func sameSender(me, sender string) bool {
	if isPhone(me) && isPhone(sender) {
		return digitsOf(me) == digitsOf(sender)
	}
	return strings.EqualFold(me, sender)
}
