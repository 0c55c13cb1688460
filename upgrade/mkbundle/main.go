// Command mkbundle makes and inspects minipbx update bundles on the build
// host (`make bundle KEY=path` runs it):
//
//	mkbundle -key KEY -image rootfs.squashfs -version 1.2.3 -board minipbx-ref-armv7 -o out.mpxb
//	mkbundle -genkey NAME -o NAME.key      (writes NAME.key and NAME.pub)
//	mkbundle -verify out.mpxb -pub keys.pub -board B   (checks a bundle as a box would)
//
// The bundle's creation time comes from SOURCE_DATE_EPOCH, so the same
// image, version and key make the same bytes.
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"minipbx/upgrade/bundle"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mkbundle:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mkbundle", flag.ContinueOnError)
	var (
		keyPath = fs.String("key", "", "signing key `file`")
		image   = fs.String("image", "", "root file system image `file`")
		version = fs.String("version", "", "firmware `version` (MAJOR.MINOR.PATCH[-pre])")
		board   = fs.String("board", "", "compatible `board` name")
		out     = fs.String("o", "", "output `file`")
		genkey  = fs.String("genkey", "", "generate a signing key `name` (writes -o and -o with .pub)")
		verify  = fs.String("verify", "", "verify a bundle `file`")
		pubPath = fs.String("pub", "", "trusted public keys `file` for -verify (default: the built-in keys)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *genkey != "":
		if *out == "" {
			return errors.New("-genkey needs -o")
		}
		priv, pub, err := bundle.GenerateKey(rand.Reader, *genkey)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, priv, 0o600); err != nil {
			return err
		}
		return os.WriteFile(strings.TrimSuffix(*out, ".key")+".pub", pub, 0o644)
	case *verify != "":
		keys := bundle.ReleaseKeys()
		if *pubPath != "" {
			f, err := os.Open(*pubPath)
			if err != nil {
				return err
			}
			defer f.Close()
			if keys, err = bundle.ParsePublicKeys(f); err != nil {
				return err
			}
		}
		f, err := os.Open(*verify)
		if err != nil {
			return err
		}
		defer f.Close()
		r, err := bundle.Open(f, bundle.Policy{Keys: keys, Board: *board})
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		m := r.Manifest
		fmt.Fprintf(stdout, "ok: version %s board %s image %d bytes sha256 %s created %s\n",
			m.Version, m.Board, m.ImageSize, m.ImageSHA256, m.Created.Format(time.RFC3339))
		return nil
	}
	if *keyPath == "" || *image == "" || *version == "" || *board == "" || *out == "" {
		return errors.New("need -key, -image, -version, -board and -o")
	}
	kf, err := os.Open(*keyPath)
	if err != nil {
		return err
	}
	priv, err := bundle.ParsePrivateKey(kf)
	kf.Close()
	if err != nil {
		return err
	}
	created, err := sourceDate()
	if err != nil {
		return err
	}
	img, err := os.Open(*image)
	if err != nil {
		return err
	}
	defer img.Close()
	tmp := *out + ".tmp"
	w, err := os.Create(tmp)
	if err != nil {
		return err
	}
	m := bundle.Manifest{Version: strings.TrimPrefix(*version, "v"), Board: *board, Created: created}
	err = bundle.Write(w, m, img, priv)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if !trusted(priv) {
		fmt.Fprintln(os.Stderr, "mkbundle: note: this key is not among the firmware's built-in keys; boxes will refuse the bundle")
	}
	return os.Rename(tmp, *out)
}

// sourceDate is SOURCE_DATE_EPOCH (reproducible builds), or the Unix epoch.
func sourceDate() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
	}
	return time.Unix(n, 0).UTC(), nil
}

func trusted(priv ed25519.PrivateKey) bool {
	pub := bundle.PublicKey(priv)
	for _, k := range bundle.ReleaseKeys() {
		if k.Equal(pub) {
			return true
		}
	}
	return false
}
