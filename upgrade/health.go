package upgrade

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Check is one named part of the health check.
type Check struct {
	Name string
	Fn   func(context.Context) error
}

// All combines checks into the one health func that Confirm and the
// Watchdog take: every check must pass; the error names the first that
// did not. pbxd's checks are the issue's: the database opens (a read of
// the configuration), SIP is listening (SIPOptions), the board is up, the
// web UI answers (HTTPGet).
func All(checks ...Check) func(context.Context) error {
	return func(ctx context.Context) error {
		for _, c := range checks {
			if err := c.Fn(ctx); err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
		}
		return nil
	}
}

// SIPOptions returns a check that sends a SIP OPTIONS request over UDP to
// addr (e.g. "127.0.0.1:5060") and passes on any SIP response: the
// stack is up and answering, whatever it thinks of an unauthenticated
// OPTIONS.
func SIPOptions(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "udp", addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		deadline, ok := ctx.Deadline()
		if !ok {
			deadline = time.Now().Add(2 * time.Second)
		}
		conn.SetDeadline(deadline)
		var r [8]byte
		rand.Read(r[:])
		tag := hex.EncodeToString(r[:])
		local := conn.LocalAddr().String()
		req := fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\n"+
			"Max-Forwards: 70\r\n"+
			"From: <sip:health@%s>;tag=%s\r\n"+
			"To: <sip:%s>\r\n"+
			"Call-ID: health-%s\r\n"+
			"CSeq: 1 OPTIONS\r\n"+
			"Accept: application/sdp\r\n"+
			"Content-Length: 0\r\n\r\n", addr, local, tag, local, tag, addr, tag)
		buf := make([]byte, 4096)
		// UDP may lose the first request to a socket just bound: retry
		// within the deadline, as a SIP client would.
		for attempt := 0; ; attempt++ {
			if _, err := conn.Write([]byte(req)); err != nil {
				return err
			}
			wait := time.Now().Add(500 * time.Millisecond << min(attempt, 3))
			if wait.After(deadline) {
				wait = deadline
			}
			conn.SetReadDeadline(wait)
			n, err := conn.Read(buf)
			if err == nil {
				if !bytes.HasPrefix(buf[:n], []byte("SIP/2.0 ")) || !bytes.Contains(buf[:n], []byte("health-"+tag)) {
					return errors.New("not a SIP response to our request")
				}
				return nil
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("no SIP response from %s: %w", addr, err)
			}
		}
	}
}

// HTTPGet returns a check that passes when url answers with a status
// below 500. Certificates are not verified: the box checks its own,
// self-signed, web UI over loopback.
func HTTPGet(url string) func(context.Context) error {
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback self-check
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	}
}
