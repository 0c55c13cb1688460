package webui

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipbx/telephony"
)

func TestCertificateLifecycle(t *testing.T) {
	f := newFixture(t)
	certPath, keyPath := f.srv.certFiles()

	c1 := f.srv.certificate()
	leaf, err := x509.ParseCertificate(c1.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("key %T, want ECDSA P-256", leaf.PublicKey)
	}
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	for _, ip := range []string{"127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(ip); err != nil {
			t.Error(err)
		}
	}
	if h, _ := os.Hostname(); h != "" {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("hostname: %v", err)
		}
	}
	if leaf.IsCA || !slicesContainsEKU(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Error("want a server-auth leaf certificate")
	}
	st, err := os.Stat(keyPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v, want mode 0600", err, st)
	}

	// Kept across restarts.
	c2 := f.srv.certificate()
	if string(c2.Certificate[0]) != string(c1.Certificate[0]) {
		t.Fatal("certificate regenerated although valid")
	}

	// Unreadable → replaced, never a crash.
	if err := os.WriteFile(certPath, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	c3 := f.srv.certificate()
	if string(c3.Certificate[0]) == string(c1.Certificate[0]) {
		t.Fatal("garbage certificate not replaced")
	}
	if _, err := loadCertificate(certPath, keyPath, f.clock.Now()); err != nil {
		t.Fatalf("replacement not saved: %v", err)
	}

	// Expiring within the renewal margin → replaced.
	f.clock.Advance(certLifetime - certRenewBefore + time.Hour)
	c4 := f.srv.certificate()
	if string(c4.Certificate[0]) == string(c3.Certificate[0]) {
		t.Fatal("expiring certificate not replaced")
	}

	// A clock far in the past (no RTC) keeps the certificate.
	f.clock.Advance(-20 * 365 * 24 * time.Hour)
	c5 := f.srv.certificate()
	if string(c5.Certificate[0]) != string(c4.Certificate[0]) {
		t.Fatal("a not-yet-valid certificate was replaced (clock in the past)")
	}
}

func slicesContainsEKU(l []x509.ExtKeyUsage, u x509.ExtKeyUsage) bool {
	for _, x := range l {
		if x == u {
			return true
		}
	}
	return false
}

func TestCertificateUnwritableDataDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Service: newFakeService(), DataDir: file})
	if err != nil {
		t.Fatal(err)
	}
	c := srv.certificate()
	if len(c.Certificate) == 0 {
		t.Fatal("no certificate when the data directory is unusable")
	}
}

func TestListenAndServe(t *testing.T) {
	svc := newFakeService()
	type addrs struct{ https, redirect net.Addr }
	ready := make(chan addrs, 1)
	srv, err := New(Options{Service: svc, DataDir: t.TempDir(), Heartbeat: time.Hour,
		Ready: func(h, r net.Addr) { ready <- addrs{h, r} }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx, "127.0.0.1:0", "127.0.0.1:0") }()
	var a addrs
	select {
	case a = <-ready:
	case err := <-done:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}
	_, httpsPort, _ := net.SplitHostPort(a.https.String())

	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + a.https.String() + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("https /login: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if resp.TLS.Version < tls.VersionTLS12 {
		t.Fatal("old TLS")
	}
	// TLS 1.1 is refused.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get("https://" + a.https.String() + "/login"); err == nil {
		t.Error("TLS 1.1 accepted")
	}

	resp, err = client.Get("http://" + a.redirect.String() + "/extensions?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := "https://127.0.0.1:" + httpsPort + "/extensions?x=1"
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Fatalf("redirect: %d %q, want 301 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	// An open event stream does not hold up the shutdown.
	svc.mu.Lock()
	svc.password, svc.mustChange = "stream-password", false
	svc.mu.Unlock()
	req, _ := http.NewRequest("GET", "https://"+a.https.String()+"/api/v1/events", nil)
	req.SetBasicAuth("admin", "stream-password")
	sresp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	line, _ := bufio.NewReader(sresp.Body).ReadString('\n')
	if !strings.HasPrefix(line, "retry:") {
		t.Fatalf("stream start %q", line)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %v with a stream open", d)
	}
}

func TestRedirectHandler(t *testing.T) {
	h := redirectHandler("443")
	for _, tc := range []struct{ host, want string }{
		{"box.local", "https://box.local/p?q"},
		{"box.local:80", "https://box.local/p?q"},
		{"[fe80::1]:80", "https://[fe80::1]/p?q"},
		{"bad host/x", ""},
	} {
		r, _ := http.NewRequest("GET", "http://x/p?q", nil)
		r.Host = tc.host
		w := newRecorder()
		h.ServeHTTP(w, r)
		if got := w.Header().Get("Location"); got != tc.want {
			t.Errorf("Host %q: Location %q, want %q", tc.host, got, tc.want)
		}
	}
}

// TestEventStreamOutlivesTimeouts: an event stream over HTTP/1.1 keeps
// delivering after the server's read and write timeouts have passed.
func TestEventStreamOutlivesTimeouts(t *testing.T) {
	svc := newFakeService()
	svc.password, svc.mustChange = "stream-password", false
	ready := make(chan net.Addr, 1)
	srv, err := New(Options{Service: svc, DataDir: t.TempDir(), Heartbeat: time.Hour,
		Ready: func(h, _ net.Addr) { ready <- h }})
	if err != nil {
		t.Fatal(err)
	}
	srv.readTimeout, srv.writeTimeout = 200*time.Millisecond, 200*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx, "127.0.0.1:0", "") }()
	defer func() { cancel(); <-done }()
	addr := <-ready

	// A Transport with its own TLS config speaks HTTP/1.1.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "https://"+addr.String()+"/api/v1/events", nil)
	req.SetBasicAuth("admin", "stream-password")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 1 {
		t.Fatalf("want HTTP/1.1, got %s", resp.Proto)
	}
	rd := bufio.NewReader(resp.Body)
	readEvent := func() string {
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			if strings.HasPrefix(line, "data: ") {
				return line
			}
		}
	}
	readEvent() // the snapshot
	time.Sleep(600 * time.Millisecond)
	svc.emit("port", func(s *telephony.Status) { s.Ports[1].Hook = "off-hook" })
	if ev := readEvent(); !strings.Contains(ev, `"kind":"port"`) {
		t.Fatalf("event %q", ev)
	}
}
