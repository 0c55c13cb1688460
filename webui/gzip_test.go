package webui

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestGzip: pages, static assets and API answers are compressed for a
// client that accepts gzip, and only for it; the compressed body is the
// same page.
func TestGzip(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	c := f.client()
	for _, tc := range []struct {
		path, want string
	}{
		{"/login", `id="login-form"`},
		{"/static/app.css", ".topbar"},
		{"/static/app.js", "function"},
	} {
		plain := c.get(tc.path)
		if plain.Code != http.StatusOK || plain.Header().Get("Content-Encoding") != "" {
			t.Fatalf("%s without Accept-Encoding: %d, Content-Encoding %q", tc.path, plain.Code, plain.Header().Get("Content-Encoding"))
		}
		w := c.do("GET", tc.path, nil, map[string]string{"Accept-Encoding": "br;q=1, gzip;q=0.8"})
		if w.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: Content-Encoding %q, want gzip", tc.path, w.Header().Get("Content-Encoding"))
		}
		if !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Vary %q lacks Accept-Encoding", tc.path, w.Header().Get("Vary"))
		}
		n := w.Body.Len()
		zr, err := gzip.NewReader(w.Body)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: the decompressed body lacks %q", tc.path, tc.want)
		}
		if n >= len(body) {
			t.Errorf("%s: %d bytes compressed from %d", tc.path, n, len(body))
		}
		t.Logf("%s: %d bytes, %d gzipped", tc.path, len(body), n)
	}
	// gzip;q=0 refuses it.
	if w := c.do("GET", "/login", nil, map[string]string{"Accept-Encoding": "gzip;q=0, identity"}); w.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0: Content-Encoding %q", w.Header().Get("Content-Encoding"))
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip;q=0.5": true, "gzip;q=0": false,
		"*": true, "*;q=0": false, "br": false, "gzip;q=x": false, "identity;q=1": false,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestCompressible(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/html; charset=utf-8": true, "text/css; charset=utf-8": true, "application/json": true,
		"image/svg+xml": true, "text/event-stream": false, "audio/wav": false, "application/gzip": false, "": false,
	} {
		if got := compressible(ct); got != want {
			t.Errorf("compressible(%q) = %v, want %v", ct, got, want)
		}
	}
}
