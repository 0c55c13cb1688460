package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"minipbx/telephony/store"
	"minipbx/upgrade/datadir"
)

// connFlags say where the box is: a data directory or an API URL.
type connFlags struct {
	data     string
	url      string
	password string
	insecure bool
	cacert   string
}

// register adds the connection flags to fs; every subcommand's flag set
// has them too, so they may come before or after the command.
func (c *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", c.data, "the box's data directory (pbxd stopped)")
	fs.StringVar(&c.url, "url", c.url, "the running box's API, https://HOST:PORT")
	fs.StringVar(&c.password, "password", c.password, "admin password for -url (or env PBXCTL_PASSWORD)")
	fs.BoolVar(&c.insecure, "insecure", c.insecure, "accept the box's certificate without checking it")
	fs.StringVar(&c.cacert, "cacert", c.cacert, "trust the box certificate in this PEM file")
}

// backend is the box, reached offline or online.
type backend interface {
	// ExportConfig returns the configuration document as the box writes
	// it (indented JSON).
	ExportConfig(ctx context.Context) ([]byte, error)
	ImportConfig(ctx context.Context, c store.Config) error
	// ResetPassword sets a new random admin password and returns it.
	ResetPassword(ctx context.Context) (string, error)
	SetPassword(ctx context.Context, pw string) error
	// Version describes the box's firmware ("" offline).
	Version(ctx context.Context) (string, error)
	Close() error
}

// open connects to the box the flags name. readOnly opens a data
// directory's database without writing anything.
func (e *env) open(usage string, readOnly bool) (backend, error) {
	c := e.conn
	switch {
	case c.data != "" && c.url != "":
		return nil, usagef(usage, "give either -data or -url, not both")
	case c.data != "":
		if c.insecure || c.cacert != "" || c.password != "" {
			return nil, usagef(usage, "-password, -insecure and -cacert go with -url, not -data")
		}
		return openOffline(c.data, readOnly, e.stderr)
	case c.url != "":
		return openOnline(c, e.getenv)
	}
	return nil, usagef(usage, "say where the box is: -data DIR (box stopped) or -url https://HOST:PORT (box running)")
}

// offline works on the database file directly.
type offline struct {
	db *store.DB
}

func openOffline(dir string, readOnly bool, stderr io.Writer) (*offline, error) {
	path := datadir.Of(dir).Database()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no database in %s (expected %s; is this the data directory pbxd runs with?)", dir, store.FileName)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := store.Open(path, store.Options{Timeout: time.Second, ReadOnly: readOnly, Logger: log})
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("the box is running: pbxd holds %s; stop it, or reach the box through its API with -url https://HOST:PORT", path)
	}
	if err != nil {
		return nil, err
	}
	return &offline{db: db}, nil
}

func (o *offline) ExportConfig(ctx context.Context) ([]byte, error) {
	c, err := o.db.ExportConfig()
	if err != nil {
		return nil, err
	}
	return encodeConfig(c)
}

func (o *offline) ImportConfig(ctx context.Context, c store.Config) error {
	return o.db.ImportConfig(c)
}

func (o *offline) ResetPassword(ctx context.Context) (string, error) {
	return o.db.ResetAdminPassword()
}

func (o *offline) SetPassword(ctx context.Context, pw string) error { return o.db.SetAdminPassword(pw) }

func (o *offline) Version(ctx context.Context) (string, error) { return "", nil }

func (o *offline) Close() error { return o.db.Close() }

// openOnline prepares the API client.
func openOnline(c *connFlags, getenv func(string) string) (*apiClient, error) {
	u, err := url.Parse(c.url)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("-url %q: want https://HOST:PORT", c.url)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("-url %q: the admin password would cross the network in clear; use https://", c.url)
	}
	pw := c.password
	if pw == "" {
		pw = getenv("PBXCTL_PASSWORD")
	}
	if pw == "" {
		return nil, errors.New("the box's admin password is needed: set PBXCTL_PASSWORD (or -password)")
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case c.insecure && c.cacert != "":
		return nil, errors.New("give either -insecure or -cacert, not both")
	case c.insecure:
		tc.InsecureSkipVerify = true
	case c.cacert != "":
		if err := pinCertificates(tc, c.cacert, u.Hostname()); err != nil {
			return nil, err
		}
	}
	u.Path, u.RawQuery, u.Fragment = "", "", ""
	return &apiClient{
		base:     u,
		password: pw,
		http: &http.Client{
			Timeout:   60 * time.Second,
			Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment},
			// Never follow a redirect with our credentials elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pinCertificates trusts the certificates in file: a server presenting
// exactly one of them is accepted (a box's self-signed certificate often
// does not name the address it is reached at); otherwise the chain must
// verify against them as roots, for the host name.
func pinCertificates(tc *tls.Config, file, host string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("-cacert: %w", err)
	}
	pool := x509.NewCertPool()
	var pinned [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return fmt.Errorf("-cacert %s: %w", file, err)
		}
		pool.AddCert(cert)
		pinned = append(pinned, b.Bytes)
	}
	if len(pinned) == 0 {
		return fmt.Errorf("-cacert %s: no PEM certificate in the file", file)
	}
	tc.InsecureSkipVerify = true // replaced by VerifyConnection below
	tc.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the box sent no certificate")
		}
		leaf := cs.PeerCertificates[0]
		for _, p := range pinned {
			if string(p) == string(leaf.Raw) {
				return nil
			}
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: host}); err != nil {
			return fmt.Errorf("the box's certificate is not the one in %s: %w", file, err)
		}
		return nil
	}
	return nil
}
