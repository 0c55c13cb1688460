package upgrade

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSIPOptionsCheck(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var callID string
			for _, l := range strings.Split(string(buf[:n]), "\r\n") {
				if strings.HasPrefix(l, "Call-ID:") {
					callID = l
				}
			}
			pc.WriteTo([]byte("SIP/2.0 200 OK\r\n"+callID+"\r\nContent-Length: 0\r\n\r\n"), from)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := SIPOptions(pc.LocalAddr().String())(ctx); err != nil {
		t.Fatal(err)
	}
	// Nobody listening: fails within the deadline.
	dead, _ := net.ListenPacket("udp", "127.0.0.1:0")
	addr := dead.LocalAddr().String()
	dead.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if err := SIPOptions(addr)(ctx2); err == nil {
		t.Fatal("no SIP server, yet healthy")
	}
}

func TestHTTPAndAll(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	ctx := context.Background()
	web := HTTPGet(srv.URL + "/login")
	if err := web(ctx); err != nil {
		t.Fatal(err)
	}
	status = http.StatusServiceUnavailable
	if err := web(ctx); err == nil {
		t.Fatal("503 is healthy")
	}
	status = http.StatusFound
	dbErr := errors.New("closed")
	var dbOK bool
	h := All(Check{"web UI", web}, Check{"database", func(context.Context) error {
		if dbOK {
			return nil
		}
		return dbErr
	}})
	if err := h(ctx); !errors.Is(err, dbErr) || !strings.HasPrefix(err.Error(), "database: ") {
		t.Fatalf("combined: %v", err)
	}
	dbOK = true
	if err := h(ctx); err != nil {
		t.Fatal(err)
	}

}
