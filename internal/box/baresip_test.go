package box

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/internal/testutil"
)

// baresip is a real softphone (Debian's baresip 1.0.0) registered to the
// box, driven over its ctrl_tcp module: commands are the menu module's
// (dial, accept, hold, resume, transfer, line, hangup), events come back
// as JSON in netstrings. It sends a 1 kHz sine (ausine) as its voice.
type baresip struct {
	t    *testing.T
	ext  string
	conn net.Conn
	cmd  *exec.Cmd
	log  *syncBuffer

	mu        sync.Mutex
	events    []baresipEvent
	responses chan baresipResponse
	changed   chan struct{}
}

// baresipEvent is one event baresip reported (CALL_INCOMING,
// CALL_ESTABLISHED, CALL_CLOSED, TRANSFER, REGISTER_OK...).
type baresipEvent struct {
	Type      string `json:"type"`
	Class     string `json:"class"`
	Direction string `json:"direction"`
	PeerURI   string `json:"peeruri"`
	ID        string `json:"id"`
	Param     string `json:"param"`
}

type baresipResponse struct {
	OK    bool   `json:"ok"`
	Data  string `json:"data"`
	Token string `json:"token"`
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test
// reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startBaresip starts baresip as extension ext (created here) and waits
// until it registered. answer is its answermode: "auto" or "manual".
func startBaresip(t *testing.T, b *testBox, ext, answer string) *baresip {
	t.Helper()
	bin := testutil.Tool(t, "baresip")
	secret := b.addSIPExtension(t, ext, "baresip "+ext, false)
	dir := t.TempDir()
	sipPort, ctrlPort := baresipSIPPort(t), freeTCPPort(t)
	config := fmt.Sprintf(`poll_method		epoll
sip_listen		127.0.0.1:%d
sip_trans_def		udp
call_local_timeout	120
audio_player		aubridge,out
audio_source		ausine,1000
ausrc_srate		48000
ausrc_channels		2
audio_alert		aubridge,alert
ctrl_tcp_listen		127.0.0.1:%d
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aubridge.so
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
`, sipPort, ctrlPort)
	account := fmt.Sprintf("<sip:%s@%s;transport=udp>;auth_pass=%s;answermode=%s;regint=300;ptime=20;audio_codecs=PCMU\n",
		ext, b.SIPAddr(), secret, answer)
	for name, body := range map[string]string{"config": config, "accounts": account, "contacts": "", "uuid": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	// -s: its SIP trace, which the attended transfer reads; line-buffered
	// (stdbuf), so that a message is there once baresip acted on it.
	args := []string{bin, "-f", dir, "-s"}
	if sb, err := exec.LookPath("stdbuf"); err == nil {
		args = append([]string{sb, "-oL", "-eL"}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	bs := &baresip{t: t, ext: ext, cmd: cmd, log: &syncBuffer{}, responses: make(chan baresipResponse, 8), changed: make(chan struct{}, 1)}
	cmd.Stdout, cmd.Stderr = bs.log, bs.log
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if bs.conn != nil {
			bs.conn.Close()
		}
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			// Without its status line, redrawn many times a second.
			said := regexp.MustCompile(`\[\d+:\d\d:\d\d\] audio=\S+ \(bit/s\)\s*`).ReplaceAllString(bs.log.String(), "")
			t.Logf("baresip %s said:\n%s", ext, tail(said, 20000))
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(ctrlPort))
		if err == nil {
			bs.conn = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip's control port never opened: %v\n%s", err, bs.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	go bs.read()
	// It registers before its control port opens (the REGISTER_OK event
	// is gone by then): ask the box.
	for !registered(b, ext) {
		if time.Now().After(deadline) {
			t.Fatalf("baresip %s did not register:\n%s", ext, tail(bs.log.String(), 5000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return bs
}

func registered(b *testBox, ext string) bool {
	for _, r := range b.registrations() {
		if r.Extension == ext {
			return true
		}
	}
	return false
}

// baresipSIPPort is a port P free for baresip's SIP: UDP and TCP P, and
// TCP P+1 for its TLS transport, which cannot be turned off.
func baresipSIPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		p := freeUDPPort(t)
		free := true
		for _, q := range []int{p, p + 1} {
			l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return p
		}
	}
	t.Fatal("no free port for baresip")
	return 0
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// read takes netstrings off the control connection.
func (bs *baresip) read() {
	r := bufio.NewReader(bs.conn)
	for {
		lenStr, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(lenStr, ":")))
		if err != nil || n < 0 || n > 1<<20 {
			return
		}
		buf := make([]byte, n+1) // and the ','
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var m struct {
			Event    bool `json:"event"`
			Response bool `json:"response"`
		}
		if json.Unmarshal(buf[:n], &m) != nil {
			continue
		}
		switch {
		case m.Event:
			var ev baresipEvent
			_ = json.Unmarshal(buf[:n], &ev)
			bs.mu.Lock()
			bs.events = append(bs.events, ev)
			bs.mu.Unlock()
			select {
			case bs.changed <- struct{}{}:
			default:
			}
		case m.Response:
			var res baresipResponse
			_ = json.Unmarshal(buf[:n], &res)
			bs.responses <- res
		}
	}
}

// do runs a menu command and returns its output; a command baresip
// refuses fails the test.
func (bs *baresip) do(command, params string) string {
	bs.t.Helper()
	msg, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": command})
	if _, err := fmt.Fprintf(bs.conn, "%d:%s,", len(msg), msg); err != nil {
		bs.t.Fatalf("baresip %s: %v", command, err)
	}
	select {
	case res := <-bs.responses:
		if !res.OK {
			bs.t.Fatalf("baresip refused %s %s: %s", command, params, res.Data)
		}
		return res.Data
	case <-time.After(5 * time.Second):
		bs.t.Fatalf("baresip did not answer %s %s", command, params)
	}
	return ""
}

// waitEvent waits for an event of one of the types given that no earlier
// wait took, and takes it.
func (bs *baresip) waitEvent(within time.Duration, types ...string) baresipEvent {
	bs.t.Helper()
	deadline := time.After(within)
	for {
		bs.mu.Lock()
		for i, ev := range bs.events {
			for _, ty := range types {
				if ev.Type == ty {
					bs.events = append(bs.events[:i:i], bs.events[i+1:]...)
					bs.mu.Unlock()
					return ev
				}
			}
		}
		bs.mu.Unlock()
		select {
		case <-bs.changed:
		case <-deadline:
			bs.mu.Lock()
			seen := fmt.Sprint(bs.events)
			bs.mu.Unlock()
			bs.t.Fatalf("baresip %s: no %v within %v (events since: %s)", bs.ext, types, within, seen)
		}
	}
}
