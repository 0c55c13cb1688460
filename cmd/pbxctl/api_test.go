package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/telephony/store"
)

// fakeBox implements the four API endpoints pbxctl uses the way the web
// UI does (HTTP Basic as admin; JSON errors with field lists), over a
// real store so that validation is the real one.
type fakeBox struct {
	t        *testing.T
	db       *store.DB
	srv      *httptest.Server
	mu       sync.Mutex
	requests []string
}

func newFakeBox(t *testing.T, password string) *fakeBox {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SetAdminPassword(password); err != nil {
		t.Fatal(err)
	}
	f := &fakeBox{t: t, db: db}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/version", f.auth(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"version": "v9.8.7-test"})
	}))
	mux.HandleFunc("GET /api/v1/config", f.auth(func(w http.ResponseWriter, r *http.Request) {
		c, err := db.ExportConfig()
		if err != nil {
			writeJSON(w, 500, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, 200, c)
	}))
	mux.HandleFunc("PUT /api/v1/config", f.auth(func(w http.ResponseWriter, r *http.Request) {
		c, err := store.DecodeConfig(r.Body)
		if err == nil {
			err = db.ImportConfig(c)
		}
		if err != nil {
			f.refuse(w, err)
			return
		}
		out, _ := db.ExportConfig()
		writeJSON(w, 200, out)
	}))
	mux.HandleFunc("POST /api/v1/admin/password", f.auth(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Password string `json:"password"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, 400, map[string]string{"error": "bad JSON"})
			return
		}
		if err := db.SetAdminPassword(req.Password); err != nil {
			f.refuse(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	f.srv = httptest.NewUnstartedServer(mux)
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeBox) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		user, pass, ok := r.BasicAuth()
		good, must, err := f.db.CheckAdminPassword(pass)
		if !ok || err != nil || !good || subtle.ConstantTimeCompare([]byte(user), []byte("admin")) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="minipbx"`)
			writeJSON(w, 401, map[string]string{"error": "Wrong user name or password."})
			return
		}
		if must && r.URL.Path != "/api/v1/admin/password" {
			writeJSON(w, 403, map[string]string{"error": "The admin password must be changed before anything else (first login)."})
			return
		}
		h(w, r)
	}
}

func (f *fakeBox) refuse(w http.ResponseWriter, err error) {
	if v, ok := store.AsValidationError(err); ok {
		writeJSON(w, 422, map[string]any{"error": "The input is not valid; see the fields.", "fields": v.Fields})
		return
	}
	writeJSON(w, 400, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// certFile writes the fake box's self-signed certificate as PEM.
func (f *fakeBox) certFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "box.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	if err := os.WriteFile(p, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const boxPassword = "the box admin password"

func TestAPIExportImport(t *testing.T) {
	box := newFakeBox(t, boxPassword)
	t.Setenv("PBXCTL_PASSWORD", boxPassword)
	want, _ := box.db.ExportConfig()

	r := pbxctl(t, "", "-url", box.srv.URL, "-insecure", "config", "export")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	got, err := store.DecodeConfig(strings.NewReader(r.stdout))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("export: %v\n%+v\n%+v", err, got, want)
	}

	// Import a changed document through the API.
	got.System.Name = "via api"
	got.Extensions = append(got.Extensions, store.Extension{Number: "160", Name: "API"})
	r = pbxctl(t, "", "-url", box.srv.URL, "-insecure", "config", "import", writeTemp(t, encode(t, got)))
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	after, _ := box.db.Config()
	if after.System.Name != "via api" || len(after.Extensions) != 3 {
		t.Errorf("%+v", after)
	}

	// A document the box refuses: fields one per line, exit 1.
	bad := after
	bad.FXOLines = append([]store.FXOLine{}, after.FXOLines...)
	bad.FXOLines[0].Destination = "999"
	r = pbxctl(t, "", "-url", box.srv.URL, "-insecure", "config", "import", writeTemp(t, encode(t, bad)))
	if r.code != 1 || !strings.Contains(r.stderr, "  fxo_lines[0].destination: extension \"999\" does not exist\n") {
		t.Errorf("%+v", r)
	}
	if now, _ := box.db.Config(); !reflect.DeepEqual(now, after) {
		t.Error("refused import changed the box")
	}
	// A syntax error never reaches the box.
	n := len(box.requests)
	r = pbxctl(t, "", "-url", box.srv.URL, "-insecure", "config", "import", writeTemp(t, "{oops"))
	if r.code != 1 || len(box.requests) != n {
		t.Errorf("%+v, %d requests", r, len(box.requests)-n)
	}
	// An older document is migrated by pbxctl before it is sent.
	v0 := `{"version":0,"system":{"name":"old","country":"de","time_zone":"UTC","extension_length":3,"outside_prefix":"9",
		"inter_digit_timeout_s":4,"no_answer_timeout_s":30,"cdr_retention":100},
		"extensions":[{"number":"101","password":"Old-Secret-123","fxs":1}],
		"fxo_lines":[{"port":1,"enabled":true,"rings":2,"destination":"101"},{"port":2,"rings":2}]}`
	r = pbxctl(t, "", "-url", box.srv.URL, "-insecure", "config", "import", writeTemp(t, v0))
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if s, _ := box.db.System(); s.ToneZone != "de" || s.InterDigitTimeoutMS != 4000 {
		t.Errorf("%+v", s)
	}
}

func TestAPITLSAndAuth(t *testing.T) {
	box := newFakeBox(t, boxPassword)
	// httptest servers all share one certificate: make another.
	otherPEM := filepath.Join(t.TempDir(), "other.pem")
	os.WriteFile(otherPEM, selfSigned(t), 0o600)

	cases := []struct {
		name string
		args []string
		env  string
		code int
		want string
	}{
		{"pinned certificate", []string{"-cacert", box.certFile(t), "-password", boxPassword}, "", 0, "pbxd v9.8.7-test"},
		{"insecure", []string{"-insecure"}, boxPassword, 0, "pbxd v9.8.7-test"},
		{"unknown certificate", []string{"-password", boxPassword}, "", 1, "certificate"},
		{"wrong pinned certificate", []string{"-cacert", otherPEM, "-password", boxPassword}, "", 1, "is not the one in"},
		{"bad cacert file", []string{"-cacert", writeTemp(t, "not pem"), "-password", boxPassword}, "", 1, "no PEM certificate"},
		{"both tls flags", []string{"-cacert", otherPEM, "-insecure", "-password", boxPassword}, "", 1, "not both"},
		{"wrong password", []string{"-insecure", "-password", "nope nope nope"}, "", 1, "HTTP 401"},
		{"no password", []string{"-insecure"}, "", 1, "PBXCTL_PASSWORD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PBXCTL_PASSWORD", tc.env)
			args := append(append([]string{"-url", box.srv.URL}, tc.args...), "version")
			r := pbxctl(t, "", args...)
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Errorf("exit %d (want %d), want %q:\n%s%s", r.code, tc.code, tc.want, r.stdout, r.stderr)
			}
		})
	}
	// Plain HTTP is refused unless the box is on this machine.
	r := pbxctl(t, "", "-url", "http://192.0.2.1:80", "-password", "x", "config", "export")
	if r.code != 1 || !strings.Contains(r.stderr, "in clear") {
		t.Errorf("%+v", r)
	}
	r = pbxctl(t, "", "-url", "ftp://box", "-password", "x", "config", "export")
	if r.code != 1 || !strings.Contains(r.stderr, "want https://") {
		t.Errorf("%+v", r)
	}
}

func TestAPIPasswd(t *testing.T) {
	box := newFakeBox(t, boxPassword)
	t.Setenv("PBXCTL_PASSWORD", boxPassword)
	r := pbxctl(t, "a brand new password\n", "-url", box.srv.URL, "-insecure", "passwd", "-set")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if ok, _, _ := box.db.CheckAdminPassword("a brand new password"); !ok {
		t.Fatal("password not set on the box")
	}
	t.Setenv("PBXCTL_PASSWORD", "a brand new password")
	r = pbxctl(t, "tiny\n", "-url", box.srv.URL, "-insecure", "passwd", "-set")
	if r.code != 1 || !strings.Contains(r.stderr, "  password: must be at least 10 characters") {
		t.Errorf("%+v", r)
	}
	r = pbxctl(t, "", "-url", box.srv.URL, "-insecure", "passwd")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "new admin password: ") {
		t.Fatalf("%+v", r)
	}
	pw := strings.TrimSpace(strings.TrimPrefix(r.stdout, "new admin password: "))
	if ok, _, _ := box.db.CheckAdminPassword(pw); !ok {
		t.Errorf("printed password %q is not the box's", pw)
	}
}

// A box still on its first-start password answers only the password
// change; pbxctl says what to do.
func TestAPIMustChange(t *testing.T) {
	box := newFakeBox(t, boxPassword)
	first, err := box.db.ResetAdminPassword()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PBXCTL_PASSWORD", first)
	r := pbxctl(t, "", "-url", box.srv.URL, "-insecure", "config", "export")
	if r.code != 1 || !strings.Contains(r.stderr, "HTTP 403") || !strings.Contains(r.stderr, "pbxctl passwd -set") {
		t.Fatalf("%+v", r)
	}
	if r := pbxctl(t, "my own admin password\n", "-url", box.srv.URL, "-insecure", "passwd", "-set"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	t.Setenv("PBXCTL_PASSWORD", "my own admin password")
	if r := pbxctl(t, "", "-url", box.srv.URL, "-insecure", "config", "export"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
}

// An unreachable box gives a clear error, not a hang.
func TestAPIUnreachable(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	r := pbxctl(t, "", "-url", url, "-insecure", "-password", "x", "config", "export")
	if r.code != 1 || !strings.Contains(r.stderr, "reaching the box") {
		t.Errorf("%+v", r)
	}
	var ae *apiError
	if errors.As(nil, &ae) {
		t.Fatal()
	}
}

// selfSigned returns a new self-signed certificate for 127.0.0.1 as PEM.
func selfSigned(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "other box"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
