package main

import (
	"bytes"
	"sync"
)

// Ring keeps the last Max bytes of a log, whole lines only: the newest
// lines stay, the oldest are dropped. It is an io.Writer (pbxd's stdout
// and stderr go into it); a line longer than Max is cut.
type Ring struct {
	mu      sync.Mutex
	max     int
	lines   [][]byte
	size    int
	partial []byte
	seq     uint64 // bumps on every change (the file mirror watches it)
}

// NewRing makes a ring of max bytes.
func NewRing(max int) *Ring { return &Ring{max: max} }

// Write implements io.Writer.
func (r *Ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			r.partial = append(r.partial, p...)
			if len(r.partial) > r.max {
				r.push(r.partial)
				r.partial = nil
			}
			break
		}
		line := append(r.partial, p[:i+1]...)
		r.partial = nil
		r.push(line)
		p = p[i+1:]
	}
	r.seq++
	return n, nil
}

func (r *Ring) push(line []byte) {
	if len(line) > r.max {
		line = append(line[:r.max-1:r.max-1], '\n')
	}
	r.lines = append(r.lines, bytes.Clone(line))
	r.size += len(line)
	drop := 0
	for r.size > r.max {
		r.size -= len(r.lines[drop])
		r.lines[drop] = nil
		drop++
	}
	if drop > 0 {
		r.lines = r.lines[drop:]
		if cap(r.lines) > 4*len(r.lines)+64 { // let the backing array shrink
			r.lines = append([][]byte(nil), r.lines...)
		}
	}
}

// Bytes returns the kept log (and a trailing partial line).
func (r *Ring) Bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]byte, 0, r.size+len(r.partial))
	for _, l := range r.lines {
		out = append(out, l...)
	}
	return append(out, r.partial...)
}

// Seq changes whenever the content does.
func (r *Ring) Seq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq
}
