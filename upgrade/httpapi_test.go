package upgrade

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"minipbx/upgrade/boot"
	"minipbx/upgrade/bundle"
)

func TestUploadHandler(t *testing.T) {
	b := newBox(t)
	e := b.engine(t, "1.5.0", nil)
	installed := make(chan Result, 10)
	mux := http.NewServeMux()
	mux.Handle("/upgrade", e.UploadHandler(func(r Result) { installed <- r }))
	mux.Handle("/upgrade/progress", e.ProgressHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	progress := func() Progress {
		resp, err := http.Get(srv.URL + "/upgrade/progress")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p Progress
		json.NewDecoder(resp.Body).Decode(&p)
		return p
	}
	if p := progress(); p.State != "idle" {
		t.Fatalf("before: %+v", p)
	}
	post := func(url, ctype string, body []byte) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(url, ctype, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	img := newImage(50000)
	status, m := post(srv.URL+"/upgrade", "application/octet-stream", b.bundle(t, "1.6.0", img))
	if status != 200 || m["version"] != "1.6.0" || m["slot"] != "b" {
		t.Fatalf("raw upload: %d %v", status, m)
	}
	if r := <-installed; r.Manifest.Version != "1.6.0" {
		t.Fatalf("onInstalled got %+v", r)
	}
	if p := progress(); p.State != "installed" || p.Done != int64(len(img)) || p.Total != int64(len(img)) || p.Version != "1.6.0" {
		t.Fatalf("after: %+v", p)
	}

	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	var wrong bytes.Buffer
	bundle.Write(&wrong, bundle.Manifest{Version: "1.7.0", Board: board, Created: time.Unix(0, 0)}, bytes.NewReader(img), other)
	for name, tc := range map[string]struct {
		body   []byte
		query  string
		status int
		code   string
	}{
		"wrong key": {wrong.Bytes(), "", 422, "signature"},
		"downgrade": {b.bundle(t, "1.4.0", img), "", 409, "downgrade"},
		"garbage":   {[]byte("hello"), "", 422, "format"},
	} {
		status, m := post(srv.URL+"/upgrade"+tc.query, "application/octet-stream", tc.body)
		if status != tc.status || m["code"] != tc.code {
			t.Errorf("%s: %d %v", name, status, m)
		}
	}
	if p := progress(); p.State != "failed" || p.Error == "" {
		t.Fatalf("after a failure: %+v", p)
	}
	// The web UI's form, forcing a downgrade.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("csrf", "x")
	fw, _ := mw.CreateFormFile("bundle", "fw.mpxb")
	fw.Write(b.bundle(t, "1.4.0", img))
	mw.Close()
	status, m = post(srv.URL+"/upgrade?force=1", mw.FormDataContentType(), form.Bytes())
	if status != 200 || m["version"] != "1.4.0" {
		t.Fatalf("multipart forced downgrade: %d %v", status, m)
	}
	if r := <-installed; r.Manifest.Version != "1.4.0" || len(installed) != 0 {
		t.Fatalf("onInstalled got %+v, %d more", r, len(installed))
	}
	if st, _ := b.bl.State(); !st.Trial || st.Next != boot.SlotB {
		t.Fatalf("boot state %+v", st)
	}
	resp, _ := http.Get(srv.URL + "/upgrade")
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET upload: %d", resp.StatusCode)
	}
	if ErrorCode(context.Canceled) != "internal" {
		t.Error("unknown error code")
	}
}
