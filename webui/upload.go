package webui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
)

// Uploads (recordings, from the page's form and through the API) are
// streamed to a temporary file on the data partition as they arrive, never
// held in memory, and never put in /tmp, which on the box is a small RAM
// disk. The file is unlinked as soon as it is made, so nothing is left
// behind whatever happens to the request or the box; it lives as long as
// its descriptor. Converting the audio (decoding, resampling) takes the
// whole file in memory for a moment, so conversions run one at a time
// (Server.imports): parallel uploads then cost each a temporary file and a
// copy buffer, not a decoder's working set.

// spoolUpload copies src (at most limit bytes; more is an
// *http.MaxBytesError) into an unlinked temporary file in dir and returns
// it rewound.
func spoolUpload(dir string, src io.Reader, limit int64) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	n, err := io.Copy(f, io.LimitReader(src, limit+1))
	if err == nil && n > limit {
		err = &http.MaxBytesError{Limit: limit}
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// uploadedFile is a file part of an upload form, spooled to disk.
type uploadedFile struct {
	*os.File
	Filename string
}

type uploadsKey struct{}

// formFile returns the spooled file of an upload form's field, which
// pageAuth read (nil when the form had none).
func formFile(r *http.Request, field string) *uploadedFile {
	files, _ := r.Context().Value(uploadsKey{}).(map[string]*uploadedFile)
	return files[field]
}

// errUploadCSRF: a file part came before the form's CSRF token, or with a
// wrong one; it is not read.
var errUploadCSRF = errors.New("webui: upload form without its CSRF token first")

// readUploadForm reads a multipart form part by part: its fields (at most
// maxBody bytes in all) into r.PostForm, each file part into a spooled
// file (at most maxUploadBody bytes in all). A file is read only after the
// form's "csrf" field matched want, which the box's forms send first. The
// returned request carries the files (formFile); close them with
// closeUploads.
func (s *Server) readUploadForm(r *http.Request, want string) (*http.Request, map[string]*uploadedFile, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return r, nil, err
	}
	form := url.Values{}
	files := map[string]*uploadedFile{}
	fieldBudget, fileBudget := int64(maxBody), int64(maxUploadBody)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			closeUploads(files)
			return r, nil, err
		}
		name := part.FormName()
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, fieldBudget+1))
			fieldBudget -= int64(len(b))
			if err == nil && fieldBudget < 0 {
				err = &http.MaxBytesError{Limit: maxBody}
			}
			if err != nil {
				closeUploads(files)
				return r, nil, err
			}
			form.Add(name, string(b))
			continue
		}
		if !tokensEqual(form.Get("csrf"), want) {
			closeUploads(files)
			return r, nil, errUploadCSRF
		}
		f, err := spoolUpload(s.dataDir, part, fileBudget)
		if err != nil {
			closeUploads(files)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				err = &http.MaxBytesError{Limit: maxUploadBody}
			}
			return r, nil, fmt.Errorf("webui: upload %q: %w", name, err)
		}
		if old := files[name]; old != nil {
			old.Close()
		}
		st, _ := f.Stat()
		fileBudget -= st.Size()
		files[name] = &uploadedFile{File: f, Filename: part.FileName()}
	}
	r.PostForm, r.Form = form, form
	return r.WithContext(context.WithValue(r.Context(), uploadsKey{}, files)), files, nil
}

func closeUploads(files map[string]*uploadedFile) {
	for _, f := range files {
		f.Close()
	}
}

// importGate runs fn when no other audio conversion runs, or gives up when
// ctx ends (the client went away). After each conversion the memory it
// used (tens of MB for a 10 MB WAV: the file, its samples, the resampled
// audio) is collected and returned to the kernel at once, so that the
// next one starts from the idle heap instead of stacking on top of it:
// one collection per upload, a few milliseconds against the conversion's
// second or two.
func (s *Server) importGate(ctx context.Context, fn func()) error {
	select {
	case s.imports <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.imports }()
	fn()
	debug.FreeOSMemory()
	return nil
}
