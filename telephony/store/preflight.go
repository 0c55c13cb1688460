package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// Preflight: a structural check of the bbolt file, done with ordinary
// reads before bbolt maps it. bbolt trusts the file: a page pointer or an
// element offset that points outside the file makes it read unmapped
// memory, which is a fatal fault (not a recoverable panic), even inside
// its own consistency check. So every reachable page, element, key and
// value is bounds-checked here first; bbolt then only ever touches what
// this check has vouched for.
//
// The layout (bbolt's internal/common): a page is a 16-byte header (id
// u64, flags u16, count u16, overflow u32) followed by count 16-byte
// elements; a branch element is (pos u32, ksize u32, pgid u64), a leaf
// element (flags u32, pos u32, ksize u32, vsize u32), pos counting from
// the element itself. Pages 0 and 1 are meta pages; a bucket value is a
// 16-byte header (root pgid, sequence) then, when root is 0, an inline
// leaf page. Integers are in the machine's byte order; all our targets
// (amd64, arm, arm64) are little-endian.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	boltPageHeader   = 16
	boltElemSize     = 16
	boltMetaSumBytes = 56 // magic .. txid
	boltNoFreelist   = ^uint64(0)

	boltBranchPage   = 0x01
	boltLeafPage     = 0x02
	boltFreelistPage = 0x10
	boltBucketLeaf   = 0x01
	boltBucketHeader = 16

	maxTreeDepth = 64
)

var le = binary.LittleEndian

type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high-water mark: pages the file must hold
	txid     uint64
}

func readBoltMeta(b []byte) (boltMeta, bool) {
	if len(b) < boltPageHeader+boltMetaSumBytes+8 {
		return boltMeta{}, false
	}
	m := b[boltPageHeader:]
	h := fnv.New64a()
	h.Write(m[:boltMetaSumBytes])
	if le.Uint32(m[0:]) != boltMagic || le.Uint32(m[4:]) != boltVersion || le.Uint64(m[boltMetaSumBytes:]) != h.Sum64() {
		return boltMeta{}, false
	}
	return boltMeta{pageSize: le.Uint32(m[8:]), root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]),
		pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, true
}

// preflight checks the file at path. Files whose meta pages are both
// invalid are left for bbolt to reject with its own precise error.
func preflight(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &OpenError{Path: path, Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return &OpenError{Path: path, Err: err}
	}
	m, ok, err := chooseMeta(f)
	if err != nil {
		return &OpenError{Path: path, Err: err}
	}
	if !ok {
		return nil
	}
	corrupt := func(format string, args ...any) error {
		return &OpenError{Path: path, Reason: fmt.Sprintf(format, args...), Err: ErrCorrupt}
	}
	if m.pageSize < 512 || m.pageSize > 1<<16 || m.pageSize&(m.pageSize-1) != 0 {
		return corrupt("page size %d in the meta page is not valid", m.pageSize)
	}
	need := int64(m.pgid) * int64(m.pageSize)
	if m.pgid < 3 || m.pgid > 1<<32 || need > fi.Size() {
		return corrupt("the file is truncated (%d bytes, the database needs %d)", fi.Size(), need)
	}
	w := &pageWalker{f: f, meta: m, seen: map[uint64]bool{0: true, 1: true}}
	if err := w.tree(m.root, 0); err != nil {
		return corrupt("damaged pages: %v", err)
	}
	if err := w.freelist(); err != nil {
		return corrupt("damaged free list: %v", err)
	}
	return nil
}

// chooseMeta picks the valid meta page with the highest transaction ID,
// as bbolt does.
func chooseMeta(f *os.File) (boltMeta, bool, error) {
	head := make([]byte, boltPageHeader+boltMetaSumBytes+8)
	var best boltMeta
	found := false
	// The second meta page sits one page in; its size is only known from
	// a valid first meta, so try the usual sizes too.
	offsets := []int64{0, 4096, 512, 1024, 2048, 8192, 16384, 32768, 65536}
	if n, err := f.ReadAt(head, 0); err == nil || (err == io.EOF && n == len(head)) {
		if m, ok := readBoltMeta(head); ok {
			offsets = append([]int64{0, int64(m.pageSize)}, offsets[1:]...)
		}
	}
	tried := map[int64]bool{}
	for _, off := range offsets {
		if tried[off] {
			continue
		}
		tried[off] = true
		n, err := f.ReadAt(head, off)
		if err != nil && !(err == io.EOF && n == len(head)) {
			if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
				continue
			}
			return boltMeta{}, false, err
		}
		m, ok := readBoltMeta(head)
		if !ok || (off != 0 && int64(m.pageSize) != off) {
			continue
		}
		if !found || m.txid > best.txid {
			best, found = m, true
		}
	}
	return best, found, nil
}

// pageWalker reads and checks pages with bounds on everything.
type pageWalker struct {
	f    *os.File
	meta boltMeta
	seen map[uint64]bool // pages reached (a page used twice is damage)
}

// page reads page id with its overflow pages.
func (w *pageWalker) page(id uint64) ([]byte, error) {
	ps := int64(w.meta.pageSize)
	if id < 2 || id >= w.meta.pgid {
		return nil, fmt.Errorf("page %d is outside the file's %d pages", id, w.meta.pgid)
	}
	head := make([]byte, boltPageHeader)
	if _, err := w.f.ReadAt(head, int64(id)*ps); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	if got := le.Uint64(head); got != id {
		return nil, fmt.Errorf("page %d holds the header of page %d", id, got)
	}
	overflow := uint64(le.Uint32(head[12:]))
	if id+overflow >= w.meta.pgid {
		return nil, fmt.Errorf("page %d overflows past the end (%d more pages)", id, overflow)
	}
	for i := id; i <= id+overflow; i++ {
		if w.seen[i] {
			return nil, fmt.Errorf("page %d is used twice", i)
		}
		w.seen[i] = true
	}
	p := make([]byte, int64(overflow+1)*ps)
	if _, err := w.f.ReadAt(p, int64(id)*ps); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	return p, nil
}

// tree checks the B+tree rooted at page id.
func (w *pageWalker) tree(id uint64, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("page %d: tree deeper than %d levels", id, maxTreeDepth)
	}
	p, err := w.page(id)
	if err != nil {
		return err
	}
	return w.node(p, fmt.Sprintf("page %d", id), depth)
}

// node checks one branch or leaf page (or an inline bucket's page).
func (w *pageWalker) node(p []byte, name string, depth int) error {
	if len(p) < boltPageHeader {
		return fmt.Errorf("%s: shorter than a page header", name)
	}
	flags, count := le.Uint16(p[8:]), int(le.Uint16(p[10:]))
	if boltPageHeader+count*boltElemSize > len(p) {
		return fmt.Errorf("%s: %d elements do not fit", name, count)
	}
	var prev []byte
	for i := range count {
		e := boltPageHeader + i*boltElemSize
		var pos, ksize, vsize int
		switch flags {
		case boltBranchPage:
			pos, ksize = int(le.Uint32(p[e:])), int(le.Uint32(p[e+4:]))
		case boltLeafPage:
			pos, ksize, vsize = int(le.Uint32(p[e+4:])), int(le.Uint32(p[e+8:])), int(le.Uint32(p[e+12:]))
		default:
			return fmt.Errorf("%s: neither a branch nor a leaf (flags %#x)", name, flags)
		}
		start := e + pos
		if pos < 0 || ksize < 0 || vsize < 0 || start+ksize+vsize > len(p) || start+ksize+vsize < start {
			return fmt.Errorf("%s: element %d points outside the page", name, i)
		}
		key := p[start : start+ksize]
		if i > 0 && bytes.Compare(prev, key) >= 0 {
			return fmt.Errorf("%s: keys out of order at element %d", name, i)
		}
		prev = key
		if flags == boltBranchPage {
			if err := w.tree(le.Uint64(p[e+8:]), depth+1); err != nil {
				return err
			}
			continue
		}
		if le.Uint32(p[e:])&boltBucketLeaf == 0 {
			continue
		}
		// A nested bucket.
		v := p[start+ksize : start+ksize+vsize]
		if len(v) < boltBucketHeader {
			return fmt.Errorf("%s: bucket %q has a short header", name, key)
		}
		if root := le.Uint64(v); root != 0 {
			if err := w.tree(root, depth+1); err != nil {
				return err
			}
			continue
		}
		inline := v[boltBucketHeader:]
		if len(inline) >= boltPageHeader && le.Uint16(inline[8:]) != boltLeafPage {
			return fmt.Errorf("%s: inline bucket %q is not a leaf", name, key)
		}
		if err := w.node(inline, fmt.Sprintf("%s bucket %q", name, key), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// freelist checks that the free pages are inside the file and not in use.
func (w *pageWalker) freelist() error {
	if w.meta.freelist == boltNoFreelist {
		return nil
	}
	p, err := w.page(w.meta.freelist)
	if err != nil {
		return err
	}
	if le.Uint16(p[8:]) != boltFreelistPage {
		return fmt.Errorf("page %d is not a free list", w.meta.freelist)
	}
	idx, count := 0, uint64(le.Uint16(p[10:]))
	if count == 0xFFFF {
		if len(p) < boltPageHeader+8 {
			return errors.New("short free list")
		}
		idx, count = 1, le.Uint64(p[boltPageHeader:])
	}
	if count > uint64(len(p)-boltPageHeader)/8 {
		return fmt.Errorf("%d free pages do not fit in the list", count)
	}
	for i := range count {
		off := boltPageHeader + (uint64(idx)+i)*8
		if off+8 > uint64(len(p)) {
			return errors.New("free list runs past its page")
		}
		id := le.Uint64(p[off:])
		if id < 2 || id >= w.meta.pgid {
			return fmt.Errorf("free page %d is outside the file", id)
		}
		if w.seen[id] {
			return fmt.Errorf("page %d is both in use and free", id)
		}
	}
	return nil
}
