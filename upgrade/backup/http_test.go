package backup

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"minipbx/telephony/store"
	"minipbx/upgrade/datadir"
)

func TestHTTPBackupRestoreReset(t *testing.T) {
	src := newDataDir(t)
	db := openDB(t, src)
	defer db.Close()
	if _, err := db.CreateExtension(store.Extension{Number: "160", Name: "Lab", Secret: "Lab-secret-160x"}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(src, datadir.PromptsDir), 0o755)
	os.WriteFile(filepath.Join(src, datadir.PromptsDir, "hold.wav"), []byte("RIFF hold"), 0o644)
	dst := newDataDir(t)
	db2 := openDB(t, dst)
	defer db2.Close()
	resets := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.Handle("/backup", Handler(db, BackupOptions{Firmware: "1.0.0", DataDir: src}))
	mux.Handle("/restore", RestoreHandler(db2, RestoreOptions{DataDir: dst}))
	mux.Handle("/factory-reset", FactoryResetHandler(dst, func() { resets <- struct{}{} }))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/backup?prompts=1")
	if err != nil {
		t.Fatal(err)
	}
	file, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/gzip" || !strings.Contains(resp.Header.Get("Content-Disposition"), "minipbx-backup-") {
		t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
	}

	// Restore through the web UI's form.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("backup", "b.tar.gz")
	fw.Write(file)
	mw.Close()
	resp, err = http.Post(srv.URL+"/restore", mw.FormDataContentType(), &form)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != 200 || m["firmware"] != "1.0.0" || len(m["prompts"].([]any)) != 1 {
		t.Fatalf("restore: %d %v", resp.StatusCode, m)
	}
	if e, err := db2.Extension("160"); err != nil || e.Secret != "Lab-secret-160x" {
		t.Fatalf("restored: %+v %v", e, err)
	}

	// An invalid configuration: 422 with the field errors.
	bad := archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, strings.Replace(v0Document, `"destination": "21"`, `"destination": "99"`, 1)})
	resp, _ = http.Post(srv.URL+"/restore", "application/octet-stream", bytes.NewReader(bad))
	m = nil
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != 422 || m["fields"] == nil {
		t.Fatalf("invalid restore: %d %v", resp.StatusCode, m)
	}
	resp, _ = http.Post(srv.URL+"/restore", "application/octet-stream", strings.NewReader("junk"))
	resp.Body.Close()
	if resp.StatusCode != 422 {
		t.Fatalf("junk restore: %d", resp.StatusCode)
	}

	// Factory reset needs its confirmation, then asks for a reboot.
	resp, _ = http.Post(srv.URL+"/factory-reset", "application/x-www-form-urlencoded", strings.NewReader(""))
	resp.Body.Close()
	if resp.StatusCode != 400 || len(resets) != 0 {
		t.Fatalf("unconfirmed reset: %d", resp.StatusCode)
	}
	resp, _ = http.Post(srv.URL+"/factory-reset", "application/x-www-form-urlencoded", strings.NewReader("confirm=erase"))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	<-resets
	if did, err := datadir.ResetIfRequested(dst); !did || err != nil {
		t.Fatalf("the requested reset did not run at boot: %v %v", did, err)
	}
}
