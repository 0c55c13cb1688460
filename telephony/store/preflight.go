package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's file header, as far as preflight needs it (see bbolt's
// internal/common/meta.go): each of the first two pages holds a 16-byte
// page header then a meta record whose last field is an FNV-64a checksum
// of the fields before it. Integers are in the machine's byte order; all
// our targets (amd64, arm, arm64) are little-endian.
const (
	boltMagic        = 0xED0CDAED
	boltPageHeader   = 16
	boltMetaSumBytes = 56 // magic .. txid
	boltNoFreelist   = ^uint64(0)
)

type boltMeta struct {
	pageSize uint32
	freelist uint64
	pgid     uint64 // high-water mark: pages the file must hold
	txid     uint64
}

func readBoltMeta(b []byte) (boltMeta, bool) {
	if len(b) < boltPageHeader+boltMetaSumBytes+8 {
		return boltMeta{}, false
	}
	m := b[boltPageHeader:]
	le := binary.LittleEndian
	h := fnv.New64a()
	h.Write(m[:boltMetaSumBytes])
	if le.Uint32(m[0:]) != boltMagic || le.Uint64(m[boltMetaSumBytes:]) != h.Sum64() {
		return boltMeta{}, false
	}
	return boltMeta{pageSize: le.Uint32(m[8:]), freelist: le.Uint64(m[32:]), pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, true
}

// preflight checks, before bbolt maps the file, that the newest valid meta
// page describes a file no larger than the one on disk. bbolt itself
// would fault reading pages past the end of a truncated file. Files whose
// meta pages are both invalid are left for bbolt to reject.
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
	head := make([]byte, 4096+boltPageHeader+boltMetaSumBytes+8)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return &OpenError{Path: path, Err: err}
	}
	head = head[:n]
	best, ok := readBoltMeta(head)
	if ok && best.pageSize >= 512 && best.pageSize <= 1<<16 {
		second := make([]byte, boltPageHeader+boltMetaSumBytes+8)
		if _, err := f.ReadAt(second, int64(best.pageSize)); err == nil {
			if m, ok := readBoltMeta(second); ok && m.txid > best.txid {
				best = m
			}
		}
	} else if len(head) > 4096 {
		if best, ok = readBoltMeta(head[4096:]); !ok {
			return nil
		}
	} else {
		return nil
	}
	need := int64(best.pgid) * int64(best.pageSize)
	if best.pgid > 1<<40 || need > fi.Size() {
		return &OpenError{Path: path, Reason: fmt.Sprintf("the file is truncated (%d bytes, the database needs %d)", fi.Size(), need), Err: ErrCorrupt}
	}
	if best.freelist != boltNoFreelist && best.freelist >= best.pgid {
		return &OpenError{Path: path, Reason: "the meta page points outside the file", Err: ErrCorrupt}
	}
	return nil
}
