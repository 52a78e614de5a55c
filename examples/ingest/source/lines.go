package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// errLineTooLong rejects a line longer than MaxLine.
var errLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLine)

// lineReader reads lines of any length in bounded memory: a line longer
// than MaxLine is returned empty with errLineTooLong and the reader goes
// on with the next line. Lines lose their "\n" or "\r\n".
type lineReader struct {
	r    *bufio.Reader
	n    int // number of the line last returned, 1-based
	buf  []byte
	done bool
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line and its number. At the end of the input it
// returns io.EOF; a read error is returned as is.
func (l *lineReader) next() (line []byte, n int, err error) {
	if l.done {
		return nil, l.n, io.EOF
	}
	l.buf = l.buf[:0]
	tooLong := false
	for {
		frag, err := l.r.ReadSlice('\n')
		if !tooLong {
			if len(l.buf)+len(frag) > MaxLine+2 {
				tooLong = true
				l.buf = l.buf[:0]
			} else {
				l.buf = append(l.buf, frag...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			l.done = true
			if len(l.buf) == 0 && !tooLong {
				return nil, l.n, io.EOF
			}
		} else if err != nil {
			return nil, l.n, err
		}
		break
	}
	l.n++
	if tooLong {
		return nil, l.n, errLineTooLong
	}
	line = bytes.TrimSuffix(l.buf, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if l.n == 1 {
		line = bytes.TrimPrefix(line, []byte("\ufeff"))
	}
	return line, l.n, nil
}
