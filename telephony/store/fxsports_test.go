package store

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// An FXS port's flash window: set, kept across a restart, removed when
// it is back to the defaults; bad values are refused by field and change
// nothing.
func TestFXSPortSettings(t *testing.T) {
	db, path := openTemp(t)
	if ports, err := db.FXSPorts(); err != nil || len(ports) != 0 {
		t.Fatalf("a new box has port settings %+v, %v", ports, err)
	}
	p := FXSPort{Port: 2, FlashMinMS: 250, FlashMaxMS: 1100}
	if _, err := db.UpdateFXSPort(p); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p     FXSPort
		field string
	}{
		{FXSPort{Port: 3, FlashMinMS: 200}, "port"},
		{FXSPort{Port: 1, FlashMinMS: 20}, "flash_min_ms"},
		{FXSPort{Port: 1, FlashMinMS: 2000}, "flash_min_ms"},
		{FXSPort{Port: 1, FlashMaxMS: 90}, "flash_max_ms"},
		{FXSPort{Port: 1, FlashMaxMS: 5000}, "flash_max_ms"},
		{FXSPort{Port: 1, FlashMinMS: 500, FlashMaxMS: 520}, "flash_max_ms"},
		{FXSPort{Port: 1, FlashMinMS: 780}, "flash_min_ms"}, // the default maximum is 800
	} {
		_, err := db.UpdateFXSPort(c.p)
		if err == nil {
			t.Errorf("%+v accepted", c.p)
			continue
		}
		if f := fieldsOf(t, err); !slices.Contains(f, c.field) {
			t.Errorf("%+v: fields %v, want %s", c.p, f, c.field)
		}
	}
	db.Close()
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ports, err := db.FXSPorts(); err != nil || len(ports) != 1 || ports[0] != p {
		t.Fatalf("after a restart: %+v, %v; want only %+v", ports, err, p)
	}
	if lo, hi := ports0(t, db).FlashWindow(); lo != 250 || hi != 1100 {
		t.Fatalf("window %d-%d", lo, hi)
	}
	if _, err := db.UpdateFXSPort(FXSPort{Port: 2}); err != nil {
		t.Fatal(err)
	}
	if ports, _ := db.FXSPorts(); len(ports) != 0 {
		t.Fatalf("defaults kept as an entry: %+v", ports)
	}
	if lo, hi := (FXSPort{Port: 1}).FlashWindow(); lo != DefaultFlashMinMS || hi != DefaultFlashMaxMS {
		t.Fatalf("default window %d-%d", lo, hi)
	}
}

func ports0(t *testing.T, db *DB) FXSPort {
	t.Helper()
	ports, err := db.FXSPorts()
	if err != nil || len(ports) == 0 {
		t.Fatalf("ports %+v, %v", ports, err)
	}
	return ports[0]
}

// The document carries fxs_ports: an import sets them (errors name the
// element), an export gives them back, and a board with fewer FXS ports
// drops the settings of the ports it lacks.
func TestFXSPortsDocument(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.db")
	o := testOptions()
	o.Limits = &Limits{FXSPorts: 4, FXOPorts: 2}
	db, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.ExportConfig()
	if err != nil {
		t.Fatal(err)
	}
	var doc strings.Builder
	if err := EncodeConfig(&doc, c); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(doc.String(), "fxs_ports") {
		t.Fatal("an export without port settings mentions fxs_ports")
	}
	withPorts := strings.Replace(doc.String(), `"fxo_lines"`,
		`"fxs_ports": [{"port": 4, "flash_max_ms": 1200}, {"port": 1, "flash_min_ms": 90}], "fxo_lines"`, 1)
	c2, err := DecodeConfig(strings.NewReader(withPorts))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ImportConfig(c2); err != nil {
		t.Fatal(err)
	}
	got, _ := db.FXSPorts()
	want := []FXSPort{{Port: 1, FlashMinMS: 90}, {Port: 4, FlashMaxMS: 1200}}
	if !slices.Equal(got, want) {
		t.Fatalf("imported %+v, want %+v", got, want)
	}
	bad := strings.Replace(doc.String(), `"fxo_lines"`,
		`"fxs_ports": [{"port": 1}, {"port": 1, "flash_min_ms": "x"}, {"port": 9}], "fxo_lines"`, 1)
	if c3, err := DecodeConfig(strings.NewReader(bad)); err == nil {
		err = db.ImportConfig(c3)
		t.Fatalf("a bad fxs_ports imported: %v", err)
	} else if f := fieldsOf(t, err); !slices.Contains(f, "fxs_ports[1].flash_min_ms") {
		t.Fatalf("fields %v", f)
	}
	dup := strings.Replace(doc.String(), `"fxo_lines"`, `"fxs_ports": [{"port": 1}, {"port": 1}, {"port": 9}], "fxo_lines"`, 1)
	c4, err := DecodeConfig(strings.NewReader(dup))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ImportConfig(c4); err == nil {
		t.Fatal("duplicate and missing ports imported")
	} else if f := fieldsOf(t, err); !slices.Contains(f, "fxs_ports[1].port") || !slices.Contains(f, "fxs_ports[2].port") {
		t.Fatalf("fields %v", f)
	}
	if got2, _ := db.FXSPorts(); !slices.Equal(got2, want) {
		t.Fatalf("a refused import changed the settings: %+v", got2)
	}
	db.Close()

	o.Limits = &Limits{FXSPorts: 2, FXOPorts: 2}
	db, err = Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, _ := db.FXSPorts(); !slices.Equal(got, want[:1]) {
		t.Fatalf("on a 2-port board: %+v, want %+v", got, want[:1])
	}
}
