package main

import (
	"bytes"
	"strconv"
	"testing"
)

// readNewc parses a newc archive the way the kernel does (headers of 13
// 8-digit hex fields after "070701", name and data padded to 4 bytes).
func readNewc(t *testing.T, b []byte) map[string][2]int64 {
	t.Helper()
	out := map[string][2]int64{} // name -> mode, size
	for off := 0; ; {
		if off+110 > len(b) || string(b[off:off+6]) != "070701" {
			t.Fatalf("bad header at %d", off)
		}
		field := func(i int) int64 {
			v, err := strconv.ParseInt(string(b[off+6+8*i:off+14+8*i]), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		mode, size, nameLen := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+int(nameLen)-1])
		if b[off+110+int(nameLen)-1] != 0 {
			t.Fatalf("%s: name not NUL-terminated", name)
		}
		off = (off + 110 + int(nameLen) + 3) &^ 3
		off = (off + int(size) + 3) &^ 3
		if name == "TRAILER!!!" {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out[name] = [2]int64{mode, size}
	}
}

func TestCpioNewc(t *testing.T) {
	var buf bytes.Buffer
	w := &cpioWriter{w: &buf, ino: 1}
	w.entry("dev", 0o040755, 0, nil)
	w.entry("dev/console", 0o020600, 5<<8|1, nil)
	w.entry("init", 0o100755, 0, []byte("ELF.."))
	w.entry("etc/modules", 0o100644, 0, []byte("/lib/modules/a.ko\n"))
	w.trailer()
	if w.err != nil {
		t.Fatal(w.err)
	}
	got := readNewc(t, buf.Bytes())
	if got["init"] != [2]int64{0o100755, 5} || got["dev/console"][0] != 0o020600 || got["etc/modules"][1] != 18 || len(got) != 4 {
		t.Fatalf("%v", got)
	}
	// dev/console is character device 5:1.
	i := bytes.Index(buf.Bytes(), []byte("dev/console"))
	hdr := buf.Bytes()[i-110 : i]
	if string(hdr[6+8*9:6+8*11]) != "0000000500000001" {
		t.Fatalf("rdev fields %q", hdr[6+8*9:6+8*11])
	}
}

func TestResolveMissingModule(t *testing.T) {
	if _, _, err := resolve(t.TempDir(), []string{"virtio_blk"}); err == nil {
		t.Fatal("a missing module resolved")
	}
}
