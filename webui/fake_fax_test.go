package webui

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"

	"minipbx/telephony"
	"minipbx/telephony/faxstore"
	"minipbx/telephony/store"
)

// fakeFaxes is the fake service's fax store: faxes with a small file
// for each format.
type fakeFaxes struct {
	mu    sync.Mutex
	faxes []telephony.Fax
}

// fakeFaxPDF is what every fake fax's PDF holds.
var fakeFaxPDF = []byte("%PDF-1.4\n% fake fax\n%%EOF\n")

func (s *fakeService) Faxes(ctx context.Context) ([]telephony.Fax, error) {
	s.fax.mu.Lock()
	defer s.fax.mu.Unlock()
	return append([]telephony.Fax{}, s.fax.faxes...), nil
}

func (s *fakeService) FaxFile(ctx context.Context, id string, format telephony.FaxFormat) (io.ReadSeekCloser, telephony.Fax, error) {
	s.fax.mu.Lock()
	defer s.fax.mu.Unlock()
	for _, f := range s.fax.faxes {
		if f.ID == id {
			b := fakeFaxPDF
			if format == faxstore.TIFF {
				b = []byte("II*\x00fake")
			}
			return nopSeekCloser{bytes.NewReader(b)}, f, nil
		}
	}
	return nil, telephony.Fax{}, store.ErrNotFound
}

func (s *fakeService) DeleteFax(ctx context.Context, id string) error {
	s.fax.mu.Lock()
	defer s.fax.mu.Unlock()
	for i, f := range s.fax.faxes {
		if f.ID == id {
			s.fax.faxes = slices.Delete(s.fax.faxes, i, i+1)
			return nil
		}
	}
	return store.ErrNotFound
}
