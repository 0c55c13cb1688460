// Command mkinitramfs builds the small initramfs that a kernel with its
// disk and file system drivers as modules (Debian's armmp kernel) needs
// to mount the squashfs root: pbxinit as /init (it loads the modules
// listed in /etc/modules, in order, mounts root= and switches to it), the
// modules with their dependencies resolved from each module's .modinfo,
// and /dev/console.
//
//	mkinitramfs -init pbxinit-armv7 -modules DIR/lib/modules/VERSION -o initramfs.cpio.gz virtio_blk squashfs ...
package main

import (
	"compress/gzip"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkinitramfs:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("mkinitramfs", flag.ContinueOnError)
	initPath := fl.String("init", "", "the /init binary (pbxinit)")
	modDir := fl.String("modules", "", "the kernel's lib/modules/VERSION directory")
	out := fl.String("o", "", "output .cpio.gz")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *initPath == "" || *out == "" {
		return errors.New("need -init and -o")
	}
	var order []string
	files := map[string]string{}
	if fl.NArg() > 0 {
		if *modDir == "" {
			return errors.New("modules named but no -modules directory")
		}
		var err error
		if order, files, err = resolve(*modDir, fl.Args()); err != nil {
			return err
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	gz := gzip.NewWriter(f)
	w := &cpioWriter{w: gz, ino: 1}
	for _, d := range []string{"dev", "proc", "sys", "newroot", "etc", "lib", "lib/modules"} {
		w.entry(d, 0o040755, 0, nil)
	}
	w.entry("dev/console", 0o020600, 5<<8|1, nil)
	initBin, err := os.ReadFile(*initPath)
	if err != nil {
		return err
	}
	w.entry("init", 0o100755, 0, initBin)
	var list strings.Builder
	for _, name := range order {
		b, err := os.ReadFile(files[name])
		if err != nil {
			return err
		}
		w.entry("lib/modules/"+name+".ko", 0o100644, 0, b)
		fmt.Fprintf(&list, "/lib/modules/%s.ko\n", name)
	}
	w.entry("etc/modules", 0o100644, 0, []byte(list.String()))
	w.trailer()
	if w.err != nil {
		return w.err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("%s: init + %d modules: %s\n", *out, len(order), strings.Join(order, " "))
	return nil
}

func norm(name string) string { return strings.ReplaceAll(name, "-", "_") }

// resolve finds the modules and their dependencies (the "depends=" of
// each .modinfo), in an order where every module follows its dependencies.
func resolve(dir string, want []string) ([]string, map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".ko") {
			files[norm(strings.TrimSuffix(d.Name(), ".ko"))] = p
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(name string) error {
		name = norm(name)
		switch state[name] {
		case 1:
			return fmt.Errorf("dependency cycle at %s", name)
		case 2:
			return nil
		}
		path, ok := files[name]
		if !ok {
			return fmt.Errorf("module %s not found under %s (built in?)", name, dir)
		}
		state[name] = 1
		deps, err := depends(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		sort.Strings(deps)
		for _, d := range deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	for _, m := range want {
		if err := visit(m); err != nil {
			return nil, nil, err
		}
	}
	return order, files, nil
}

func depends(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := f.Section(".modinfo")
	if s == nil {
		return nil, errors.New("no .modinfo")
	}
	b, err := s.Data()
	if err != nil {
		return nil, err
	}
	for _, kv := range strings.Split(string(b), "\x00") {
		if v, ok := strings.CutPrefix(kv, "depends="); ok {
			if v == "" {
				return nil, nil
			}
			return strings.Split(v, ","), nil
		}
	}
	return nil, nil
}

// cpioWriter writes the "newc" format the kernel unpacks.
type cpioWriter struct {
	w   io.Writer
	ino int
	err error
}

func (c *cpioWriter) entry(name string, mode, rdev int, data []byte) {
	if c.err != nil {
		return
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev>>8, rdev&0xff, len(name)+1, 0)
	c.ino++
	buf := append([]byte(hdr), name...)
	buf = append(buf, 0)
	for len(buf)%4 != 0 {
		buf = append(buf, 0)
	}
	buf = append(buf, data...)
	for len(buf)%4 != 0 {
		buf = append(buf, 0)
	}
	_, c.err = c.w.Write(buf)
}

func (c *cpioWriter) trailer() { c.entry("TRAILER!!!", 0, 0, nil) }
