package webui

import (
	"compress/gzip"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Pages, scripts, styles and API answers are text that gzip shrinks to a
// fifth or less, which a box on a slow office link or a phone on Wi-Fi
// feels. withGzip compresses a response when the client accepts gzip
// (Accept-Encoding) and the response is text; audio, recordings, firmware
// images, ranges and event streams pass through as they are.
func withGzip(h http.Handler) http.Handler {
	pool := &sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression); return w }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) || r.Header.Get("Range") != "" || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w, pool: pool}
		defer gw.close()
		h.ServeHTTP(gw, r)
	})
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: named
// (or "*") with a q above zero.
func acceptsGzip(header string) bool {
	for entry := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(entry, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				continue
			}
			q = f
		}
		if q > 0 {
			return true
		}
	}
	return false
}

// compressible reports whether a response of this Content-Type is worth
// compressing: text, JSON, JavaScript, SVG. Event streams are left alone
// (each event must reach the browser when it is written).
func compressible(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case mt == "text/event-stream":
		return false
	case strings.HasPrefix(mt, "text/"):
		return true
	}
	switch mt {
	case "application/json", "application/javascript", "image/svg+xml", "application/xml":
		return true
	}
	return false
}

// gzipWriter decides at the header whether to compress.
type gzipWriter struct {
	http.ResponseWriter
	pool    *sync.Pool
	gz      *gzip.Writer
	decided bool
}

func (g *gzipWriter) WriteHeader(status int) {
	if g.decided {
		g.ResponseWriter.WriteHeader(status)
		return
	}
	g.decided = true
	hd := g.Header()
	if status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified &&
		hd.Get("Content-Encoding") == "" && compressible(hd.Get("Content-Type")) {
		hd.Set("Content-Encoding", "gzip")
		hd.Del("Content-Length")
		hd.Del("Accept-Ranges")
		if etag := hd.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
			hd.Set("ETag", "W/"+etag) // the bytes differ from the plain entity's
		}
		g.gz = g.pool.Get().(*gzip.Writer)
		g.gz.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// Flush sends what is compressed so far (http.ResponseController).
func (g *gzipWriter) Flush() {
	if g.gz != nil {
		_ = g.gz.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) close() {
	if g.gz == nil {
		return
	}
	_ = g.gz.Close()
	g.gz.Reset(nil)
	g.pool.Put(g.gz)
	g.gz = nil
}
