// Package faxstore keeps the faxes the box received: for each, a PDF (what
// the web UI shows and e-mail carries) and a multi-page TIFF (what fax
// software archives), beside the database like the call recordings, with
// a small JSON sidecar that says whose fax it was.
//
// A fax is written whole when its call ends: both files first, the
// sidecar last, each by atomic rename, so a crash leaves either a listed
// fax with both files or strays that the next start removes.
package faxstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"minipbx/dsp/fax/faxfile"
	"minipbx/internal/atomicfile"
)

// ErrNotFound: no fax with that ID.
var ErrNotFound = errors.New("faxstore: no such fax")

// Names in the store's directory.
const (
	pdfExt   = ".pdf"
	tiffExt  = ".tif"
	metaExt  = ".json"
	idLayout = "20060102T150405Z"
	// maxMeta bounds a sidecar read at start.
	maxMeta = 64 << 10
)

// Fax describes one received fax.
type Fax struct {
	ID       string    `json:"id"`
	Received time.Time `json:"received"`
	// Receiver is the fax receiver (store.FaxReceiver) that took it.
	Receiver string `json:"receiver"`
	// Caller is the calling number and name as the call gave them;
	// RemoteID the sender's own identity (T.30 TSI).
	Caller     string `json:"caller,omitempty"`
	CallerName string `json:"caller_name,omitempty"`
	RemoteID   string `json:"remote_id,omitempty"`
	Pages      int    `json:"pages"`
	// Complete: every page came and the call was released in order.
	Complete bool   `json:"complete"`
	Cause    string `json:"cause,omitempty"`
	Bps      int    `json:"bps,omitempty"`
	Modem    string `json:"modem,omitempty"`
	ECM      bool   `json:"ecm,omitempty"`
	// PDFSize and TIFFSize are the files' sizes in bytes.
	PDFSize  int64 `json:"pdf_size"`
	TIFFSize int64 `json:"tiff_size"`
}

// Options configure a Store.
type Options struct {
	Logger *slog.Logger
}

// Store is the directory of received faxes. Safe for concurrent use.
type Store struct {
	dir string
	log *slog.Logger

	mu    sync.Mutex
	faxes map[string]*Fax
	seq   int
}

// Open opens the store in dir (created when missing) and indexes it; a
// fax whose sidecar or files are damaged is logged and left alone.
func Open(dir string, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, log: o.Logger, faxes: map[string]*Fax{}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("faxstore: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("faxstore: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			// An atomic write cut short.
			_ = os.Remove(filepath.Join(dir, name))
			continue
		}
		id, ok := strings.CutSuffix(name, metaExt)
		if !ok {
			continue
		}
		f, err := s.load(id)
		if err != nil {
			s.log.Warn("faxstore: fax unreadable; left alone", "id", id, "err", err)
			continue
		}
		s.faxes[id] = f
	}
	return s, nil
}

// ValidID reports whether id has the form of a fax ID (the time it came
// and a counter), so that it can never name a file outside the store.
func ValidID(id string) bool {
	ts, n, ok := strings.Cut(id, "-")
	if !ok || len(n) != 4 || strings.Trim(n, "0123456789") != "" {
		return false
	}
	t, err := time.Parse(idLayout, ts)
	return err == nil && t.Format(idLayout) == ts
}

func (s *Store) load(id string) (*Fax, error) {
	if !ValidID(id) {
		return nil, errors.New("a stray file, not a fax")
	}
	b, err := readBounded(filepath.Join(s.dir, id+metaExt), maxMeta)
	if err != nil {
		return nil, err
	}
	var f Fax
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("sidecar: %w", err)
	}
	if f.ID != id || f.Pages < 0 {
		return nil, errors.New("sidecar: out of range")
	}
	for _, ext := range []string{pdfExt, tiffExt} {
		if _, err := os.Stat(filepath.Join(s.dir, id+ext)); err != nil {
			return nil, err
		}
	}
	return &f, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errors.New("sidecar too large")
	}
	return b, nil
}

// Save keeps a received fax: f describes it (its ID, sizes and page
// count are set here), pages are its pages. It returns the fax as kept.
func (s *Store) Save(f Fax, pages []faxfile.Page) (Fax, error) {
	if len(pages) == 0 {
		return Fax{}, errors.New("faxstore: a fax without pages")
	}
	var pdf, tiff bytes.Buffer
	if err := faxfile.WritePDF(&pdf, pages); err != nil {
		return Fax{}, fmt.Errorf("faxstore: pdf: %w", err)
	}
	if err := faxfile.WriteTIFF(&tiff, pages); err != nil {
		return Fax{}, fmt.Errorf("faxstore: tiff: %w", err)
	}
	s.mu.Lock()
	s.seq = (s.seq + 1) % 10000
	f.ID = fmt.Sprintf("%s-%04d", f.Received.UTC().Format(idLayout), s.seq)
	for s.faxes[f.ID] != nil {
		s.seq = (s.seq + 1) % 10000
		f.ID = fmt.Sprintf("%s-%04d", f.Received.UTC().Format(idLayout), s.seq)
	}
	s.faxes[f.ID] = &Fax{ID: f.ID} // reserved; replaced below
	s.mu.Unlock()
	f.Pages, f.PDFSize, f.TIFFSize = len(pages), int64(pdf.Len()), int64(tiff.Len())
	meta, err := json.Marshal(f)
	if err == nil {
		err = atomicfile.Write(filepath.Join(s.dir, f.ID+pdfExt), pdf.Bytes(), 0o600)
	}
	if err == nil {
		err = atomicfile.Write(filepath.Join(s.dir, f.ID+tiffExt), tiff.Bytes(), 0o600)
	}
	if err == nil {
		err = atomicfile.Write(filepath.Join(s.dir, f.ID+metaExt), meta, 0o600)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		delete(s.faxes, f.ID)
		_ = s.remove(f.ID)
		return Fax{}, fmt.Errorf("faxstore: save: %w", err)
	}
	kept := f
	s.faxes[f.ID] = &kept
	return f, nil
}

// List returns the faxes, newest first.
func (s *Store) List() []Fax {
	s.mu.Lock()
	out := make([]Fax, 0, len(s.faxes))
	for _, f := range s.faxes {
		if f.Received.IsZero() {
			continue // being saved
		}
		out = append(out, *f)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Fax) int { return strings.Compare(b.ID, a.ID) })
	return out
}

// Get returns the fax with that ID.
func (s *Store) Get(id string) (Fax, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.faxes[id]
	if !ok || f.Received.IsZero() {
		return Fax{}, fmt.Errorf("%w: %.40q", ErrNotFound, id)
	}
	return *f, nil
}

// Format is a file format a fax is kept in.
type Format string

// The formats of a fax.
const (
	PDF  Format = "pdf"
	TIFF Format = "tiff"
)

// Open opens a fax's file in format; the caller closes it.
func (s *Store) Open(id string, format Format) (*os.File, Fax, error) {
	f, err := s.Get(id)
	if err != nil {
		return nil, Fax{}, err
	}
	ext := pdfExt
	switch format {
	case PDF:
	case TIFF:
		ext = tiffExt
	default:
		return nil, Fax{}, fmt.Errorf("faxstore: unknown format %.20q", format)
	}
	fh, err := os.Open(filepath.Join(s.dir, id+ext))
	if err != nil {
		return nil, Fax{}, fmt.Errorf("faxstore: %w", err)
	}
	return fh, f, nil
}

// Delete removes a fax.
func (s *Store) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.faxes[id]
	if !ok || f.Received.IsZero() {
		return fmt.Errorf("%w: %.40q", ErrNotFound, id)
	}
	delete(s.faxes, id)
	return s.remove(id)
}

// remove deletes a fax's files, the sidecar first: files without one are
// not listed.
func (s *Store) remove(id string) error {
	var errs []error
	for _, ext := range []string{metaExt, pdfExt, tiffExt} {
		if err := os.Remove(filepath.Join(s.dir, id+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("faxstore: delete %s: %w", id, err)
	}
	return nil
}
