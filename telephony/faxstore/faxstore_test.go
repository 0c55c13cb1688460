package faxstore

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"minipbx/dsp/fax/faxfile"
	"minipbx/dsp/fax/faxtest"
	"minipbx/dsp/fax/t4"
)

func testPages() []faxfile.Page {
	return []faxfile.Page{
		{Image: faxtest.Page(faxtest.Text, t4.WidthA4, 200, 1), XRes: 204, YRes: 196},
		{Image: faxtest.Page(faxtest.Checker, t4.WidthA4, 100, 2), XRes: 204, YRes: 98},
	}
}

// TestSaveListOpenDelete: a saved fax is listed, its files open, it
// survives a restart, and once deleted nothing of it is left.
func TestSaveListOpenDelete(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	f, err := s.Save(Fax{Received: at, Receiver: "office", Caller: "5550100", Complete: true, Bps: 9600, Modem: "V.29 9600"}, testPages())
	if err != nil {
		t.Fatal(err)
	}
	if !ValidID(f.ID) || f.Pages != 2 || f.PDFSize == 0 || f.TIFFSize == 0 {
		t.Fatalf("saved %+v", f)
	}
	g, err := s.Save(Fax{Received: at, Receiver: "office"}, testPages()[:1])
	if err != nil || g.ID == f.ID {
		t.Fatalf("second fax %+v %v: IDs must differ", g, err)
	}
	if l := s.List(); len(l) != 2 || l[0].ID != g.ID {
		t.Fatalf("list %+v, want newest first", l)
	}
	fh, _, err := s.Open(f.ID, PDF)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(fh)
	fh.Close()
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("the PDF starts %q", b[:min(8, len(b))])
	}
	fh, _, err = s.Open(f.ID, TIFF)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(fh)
	fh.Close()
	if !bytes.HasPrefix(b, []byte("II*\x00")) && !bytes.HasPrefix(b, []byte("MM\x00*")) {
		t.Errorf("the TIFF starts %q", b[:min(8, len(b))])
	}

	// A stray temporary file goes at the next start; the faxes stay.
	if err := os.WriteFile(filepath.Join(dir, ".x.pdf.tmp1"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Get(f.ID); err != nil || got != f {
		t.Fatalf("after a restart: %+v %v, want %+v", got, err, f)
	}
	if _, err := os.Stat(filepath.Join(dir, ".x.pdf.tmp1")); !os.IsNotExist(err) {
		t.Error("the stray temporary file is still there")
	}
	if err := s2.Delete(f.ID); err != nil {
		t.Fatal(err)
	}
	if err := s2.Delete(f.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, f.ID+"*"))
	if len(left) != 0 {
		t.Errorf("files left after delete: %v", left)
	}
}

// TestBadIDs: names that are not fax IDs never reach the file system.
func TestBadIDs(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "../pbx.db", "20261207T100000Z-0001/../../x", "20261207T100000Z-1", "x-0001"} {
		if ValidID(id) {
			t.Errorf("ValidID(%q)", id)
		}
		if _, _, err := s.Open(id, PDF); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q): %v", id, err)
		}
		if err := s.Delete(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delete(%q): %v", id, err)
		}
	}
	if _, err := s.Save(Fax{Received: time.Now()}, nil); err == nil {
		t.Error("a fax without pages was saved")
	}
}

// FuzzValidID: no panic, and an accepted ID is a plain file name.
func FuzzValidID(f *testing.F) {
	f.Add("20261207T100000Z-0001")
	f.Add("../x")
	f.Fuzz(func(t *testing.T, id string) {
		if ValidID(id) && (filepath.Base(id) != id || id != filepath.Clean(id)) {
			t.Fatalf("ValidID accepts %q", id)
		}
	})
}
