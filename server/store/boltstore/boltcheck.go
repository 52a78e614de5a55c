package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// checkBoltLayout walks a bbolt file's page structure with bounds-checked
// reads before bbolt opens it. bbolt reads a memory map without bounds
// checks, so a damaged page (a key offset past the end of the file) would
// crash the process with SIGBUS or SIGSEGV, which nothing can recover;
// restore reads files it did not write (a database-only backup carries no
// digest). This catches every out-of-bounds reference on the way from the
// valid meta page through every bucket to every key and value, and in the
// freelist; bbolt's own check then judges the contents.
//
// The layout (bbolt's internal/common, native byte order, little-endian on
// the machines zkvault runs on): a page is a 16-byte header (id u64, flags
// u16, count u16, overflow u32) and count elements; a branch element is
// (pos u32, ksize u32, pgid u64), a leaf element (flags u32, pos u32, ksize
// u32, vsize u32), pos counting from the element; a bucket's value is
// (root u64, sequence u64), then, if root is 0, its inline leaf page.
func checkBoltLayout(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	c := &layout{f: f, size: fi.Size()}
	return c.check()
}

const (
	pageHeader   = 16
	elemSize     = 16
	branchFlag   = 0x01
	leafFlag     = 0x02
	freelistFlag = 0x10
	bucketFlag   = 0x01
	noFreelist   = ^uint64(0)
	maxDepth     = 64
)

var le = binary.LittleEndian

type layout struct {
	f        io.ReaderAt
	size     int64
	pageSize int64
	pgid     uint64 // the high-water mark: pages [0, pgid) exist
	seen     []byte // bitset of visited pages
}

type meta struct {
	pageSize       uint32
	root, freelist uint64
	pgid, txid     uint64
}

// readMeta reads and validates the meta page at off.
func (c *layout) readMeta(off int64) (meta, error) {
	var b [pageHeader + 64]byte
	if _, err := c.f.ReadAt(b[:], off); err != nil {
		return meta{}, err
	}
	m := b[pageHeader:]
	if le.Uint32(m[0:]) != boltMagic || le.Uint32(m[4:]) != 2 {
		return meta{}, errors.New("not a meta page")
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return meta{}, errors.New("meta checksum")
	}
	return meta{pageSize: le.Uint32(m[8:]), root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]), pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, nil
}

func (c *layout) check() error {
	m0, err0 := c.readMeta(0)
	var best meta
	switch {
	case err0 == nil:
		best = m0
		if m0.pageSize >= 1024 && m0.pageSize <= 1<<16 {
			if m1, err := c.readMeta(int64(m0.pageSize)); err == nil && m1.txid > m0.txid {
				best = m1
			}
		}
	default:
		// The first meta page is damaged: bbolt tries the second at its
		// default page size.
		m1, err := c.readMeta(int64(os.Getpagesize()))
		if err != nil {
			return fmt.Errorf("no valid meta page")
		}
		best = m1
	}
	if best.pageSize < 1024 || best.pageSize > 1<<16 || best.pageSize&(best.pageSize-1) != 0 {
		return fmt.Errorf("page size %d", best.pageSize)
	}
	c.pageSize = int64(best.pageSize)
	if best.pgid < 3 || best.pgid > uint64(c.size/c.pageSize) {
		return fmt.Errorf("the file (%d bytes) is shorter than its %d pages", c.size, best.pgid)
	}
	c.pgid = best.pgid
	c.seen = make([]byte, (c.pgid+7)/8)
	if best.freelist != noFreelist {
		if err := c.freelist(best.freelist); err != nil {
			return err
		}
	}
	return c.page(best.root, 0)
}

// extent reads page id with its overflow pages.
func (c *layout) extent(id uint64) ([]byte, error) {
	if id < 2 || id >= c.pgid {
		return nil, fmt.Errorf("page %d out of bounds (%d pages)", id, c.pgid)
	}
	var h [pageHeader]byte
	if _, err := c.f.ReadAt(h[:], int64(id)*c.pageSize); err != nil {
		return nil, err
	}
	n := uint64(le.Uint32(h[12:])) + 1
	if n > c.pgid-id {
		return nil, fmt.Errorf("page %d overflows the file", id)
	}
	b := make([]byte, int64(n)*c.pageSize)
	if _, err := c.f.ReadAt(b, int64(id)*c.pageSize); err != nil {
		return nil, err
	}
	return b, nil
}

func (c *layout) freelist(id uint64) error {
	b, err := c.extent(id)
	if err != nil {
		return fmt.Errorf("freelist: %w", err)
	}
	if le.Uint16(b[8:])&freelistFlag == 0 {
		return fmt.Errorf("freelist: page %d is not a freelist page", id)
	}
	count, at := uint64(le.Uint16(b[10:])), uint64(pageHeader)
	if count == 0xFFFF {
		if len(b) < pageHeader+8 {
			return errors.New("freelist: short page")
		}
		count, at = le.Uint64(b[pageHeader:]), pageHeader+8
	}
	if count > (uint64(len(b))-at)/8 {
		return fmt.Errorf("freelist: %d ids do not fit its page", count)
	}
	for i := range count {
		if fid := le.Uint64(b[at+8*i:]); fid < 2 || fid >= c.pgid {
			return fmt.Errorf("freelist: page %d out of bounds", fid)
		}
	}
	return nil
}

// page checks page id, a branch or leaf, and what it leads to.
func (c *layout) page(id uint64, depth int) error {
	if depth > maxDepth {
		return errors.New("the tree is too deep (a cycle?)")
	}
	b, err := c.extent(id)
	if err != nil {
		return err
	}
	if c.seen[id/8]&(1<<(id%8)) != 0 {
		return fmt.Errorf("page %d is reached twice", id)
	}
	c.seen[id/8] |= 1 << (id % 8)
	return c.elements(b, depth)
}

// elements checks the elements of the page in b (a page read from the file,
// or an inline bucket's page).
func (c *layout) elements(b []byte, depth int) error {
	if len(b) < pageHeader {
		return errors.New("short page")
	}
	flags, count := le.Uint16(b[8:]), int(le.Uint16(b[10:]))
	if flags != branchFlag && flags != leafFlag {
		return fmt.Errorf("page of type %#x where a branch or leaf belongs", flags)
	}
	if pageHeader+count*elemSize > len(b) {
		return fmt.Errorf("%d elements do not fit their page", count)
	}
	for i := range count {
		at := pageHeader + i*elemSize
		e := b[at : at+elemSize]
		if flags == branchFlag {
			pos, ksize := uint64(le.Uint32(e[0:])), uint64(le.Uint32(e[4:]))
			if uint64(at)+pos+ksize > uint64(len(b)) {
				return errors.New("a branch key lies outside its page")
			}
			if err := c.page(le.Uint64(e[8:]), depth+1); err != nil {
				return err
			}
			continue
		}
		eflags, pos, ksize, vsize := le.Uint32(e[0:]), uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
		start := uint64(at) + pos + ksize
		if start+vsize > uint64(len(b)) {
			return errors.New("a key or value lies outside its page")
		}
		if eflags&bucketFlag == 0 {
			continue
		}
		v := b[start : start+vsize]
		if len(v) < 16 {
			return errors.New("short bucket header")
		}
		if root := le.Uint64(v); root != 0 {
			if err := c.page(root, depth+1); err != nil {
				return err
			}
		} else if err := c.elements(v[16:], depth+1); err != nil {
			return err
		}
	}
	return nil
}
