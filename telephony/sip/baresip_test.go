package sip

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/internal/testutil"
	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// baresip runs the baresip softphone (Debian's baresip) headless for a
// test: SIP over TLS trusting the box's CA, SRTP mandatory (srtp-mand:
// RTP/SAVP with SDES keys), a 1 kHz sine as its microphone, what it hears
// dumped to WAV files (sndfile), driven over ctrl_tcp.
type baresip struct {
	t      *testing.T
	dir    string
	cmd    *exec.Cmd
	ctrl   net.Conn
	events chan map[string]any
	log    *syncBuffer
}

// freePort is a TCP port free on 127.0.0.1 now (and its UDP twin and the
// next one up, which baresip takes for TLS, are most likely free too).
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if l2, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", p+1)); err == nil {
			l2.Close()
			return p
		}
	}
	t.Fatal("no free port pair")
	return 0
}

func startBaresip(t *testing.T, box *Server, caPEM []byte, ext, secret string) *baresip {
	t.Helper()
	bin := testutil.Tool(t, "baresip")
	dir := t.TempDir()
	sipPort, ctrlPort := freePort(t), freePort(t)
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.pem", string(caPEM))
	write("config", fmt.Sprintf(`poll_method		epoll
sip_listen		127.0.0.1:%d
sip_cafile		%s
call_local_timeout	30
audio_player		aubridge,nowhere
audio_alert		aubridge,nowhere
audio_source		ausine,1000
ausrc_srate		48000
ausrc_channels		2
rtp_ports		40000-40999
jitter_buffer_delay	1-10
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aubridge.so
module			sndfile.so
module			srtp.so
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:%d
snd_path		%s
`, sipPort, filepath.Join(dir, "ca.pem"), ctrlPort, dir))
	tlsAddr := box.TLSAddr()
	write("accounts", fmt.Sprintf("<sip:%s@127.0.0.1:%d;transport=tls>;auth_pass=%s;mediaenc=srtp-mand;answermode=auto;regint=600\n",
		ext, tlsAddr.Port(), secret))
	b := &baresip{t: t, dir: dir, events: make(chan map[string]any, 64), log: &syncBuffer{}}
	b.cmd = exec.Command(bin, "-f", dir, "-v")
	b.cmd.Stdout, b.cmd.Stderr = b.log, b.log
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b.ctrl != nil {
			b.command("quit", "")
			b.ctrl.Close()
		}
		done := make(chan struct{})
		go func() { _ = b.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = b.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("baresip's log:\n%s", b.log.String())
		}
	})
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ctrlPort))
		if err == nil {
			b.ctrl = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip's ctrl_tcp did not come up: %v\n%s", err, b.log.String())
		}
	}
	go b.readEvents()
	return b
}

// command sends a ctrl_tcp command (a netstring of JSON).
func (b *baresip) command(cmd, params string) {
	msg, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": cmd})
	_, _ = fmt.Fprintf(b.ctrl, "%d:%s,", len(msg), msg)
}

// readEvents reads ctrl_tcp's netstrings and passes on the events.
func (b *baresip) readEvents() {
	r := bufio.NewReader(b.ctrl)
	for {
		n, err := r.ReadString(':')
		if err != nil {
			close(b.events)
			return
		}
		size, err := strconv.Atoi(strings.TrimSuffix(n, ":"))
		if err != nil || size > 1<<20 {
			close(b.events)
			return
		}
		buf := make([]byte, size+1)
		if _, err := io.ReadFull(r, buf); err != nil {
			close(b.events)
			return
		}
		var m map[string]any
		if json.Unmarshal(buf[:size], &m) == nil && m["event"] == true {
			b.events <- m
		}
	}
}

// waitEvent waits for a ctrl_tcp event of the given type.
func (b *baresip) waitEvent(typ string, within time.Duration) map[string]any {
	b.t.Helper()
	timeout := time.After(within)
	for {
		select {
		case ev, ok := <-b.events:
			if !ok {
				b.t.Fatalf("baresip's control connection closed waiting for %s\n%s", typ, b.log.String())
			}
			if ev["type"] == typ {
				return ev
			}
		case <-timeout:
			b.t.Fatalf("no %s from baresip within %v\n%s", typ, within, b.log.String())
		}
	}
}

// heard is the audio baresip decoded in its calls (sndfile's dumps).
func (b *baresip) heard() []int16 {
	b.t.Helper()
	files, _ := filepath.Glob(filepath.Join(b.dir, "dump-*-dec.wav"))
	var out []int16
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.t.Fatal(err)
		}
		i := strings.Index(string(data), "data")
		if i < 0 || len(data) < i+8 {
			continue
		}
		pcm := data[i+8:]
		for j := 0; j+1 < len(pcm); j += 2 {
			out = append(out, int16(binary.LittleEndian.Uint16(pcm[j:])))
		}
	}
	return out
}

// TestBaresipTLSAndSRTP: a real softphone, baresip, whose extension
// requires encryption, registers over TLS with the box's certificate and
// calls in with SRTP (RTP/SAVP, SDES); then the box calls it. Each way
// the call is answered, its media is SRTP, and a tone crosses in both
// directions through the encryption.
func TestBaresipTLSAndSRTP(t *testing.T) {
	ca := newTestCA(t, "box CA")
	cert := ca.issue(t, nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	calls := make(chan channel.Channel, 2)
	s := startServer(t, Config{
		TLSAddr: "127.0.0.1:0",
		TLS:     &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		// 201 is baresip: it may use nothing but TLS and SRTP.
		RequireEncryption: func(ext string) bool { return ext == "201" },
		OnCall:            func(ch channel.Channel) { calls <- ch },
	})
	b := startBaresip(t, s, ca.pem, "201", "secret201")
	b.waitEvent("REGISTER_OK", 10*time.Second)
	if regs := s.Registrations(); len(regs) != 1 || regs[0].Transport != "TLS" {
		t.Fatalf("registrations %+v, want one over TLS", regs)
	}

	// The phone calls the box.
	b.command("dial", fmt.Sprintf("sip:900@127.0.0.1:%d;transport=tls", s.TLSAddr().Port()))
	var in channel.Channel
	select {
	case in = <-calls:
	case <-time.After(10 * time.Second):
		t.Fatalf("baresip's call did not arrive\n%s", b.log.String())
	}
	if err := in.Answer(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.waitEvent("CALL_ESTABLISHED", 5*time.Second)
	talk(t, "baresip calls", in, 440)

	// The box calls the phone; it answers by itself.
	out, err := s.Dialer().Dial(context.Background(), channel.Request{Target: "201", Caller: channel.CallerID{Number: "202"}})
	if err != nil {
		t.Fatal(err)
	}
	nextEvent(t, out, channel.EventAnswer)
	talk(t, "the box calls", out, 600)

	// What baresip heard, decrypted by it: both tones.
	heard := b.heard()
	for _, f := range []float64{440, 600} {
		if len(heard) < 8000 {
			t.Fatalf("baresip decoded %d samples", len(heard))
		}
		best := 0.0
		for i := 0; i+4000 <= len(heard); i += 2000 {
			r, _ := toneAnalysis(heard[i:i+4000], f)
			best = max(best, r)
		}
		if best < 0.9 {
			t.Errorf("baresip did not hear the box's %.0f Hz (best ratio %.2f)", f, best)
		}
	}
}

// talk plays freq to the phone over ch for a second and a half, checks
// the phone's 1 kHz came back through SRTP, and hangs up.
func talk(t *testing.T, what string, ch channel.Channel, freq float64) {
	t.Helper()
	sess, ok := ch.Media().(*media.Session)
	if !ok {
		t.Fatalf("%s: media is %T", what, ch.Media())
	}
	rec := &recorder{}
	sess.SetSink(rec)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); toneSource(ctx, sess, freq, 0.3*32767) }()
	time.Sleep(1500 * time.Millisecond)
	stop()
	wg.Wait()
	st := sess.Stats()
	if !sess.Encrypted() || st.SRTP == "" {
		t.Fatalf("%s: the call's media is not SRTP (%+v)", what, st)
	}
	got := rec.snapshot()
	if len(got) < 4000 {
		t.Fatalf("%s: %d samples from the phone (stats %+v)", what, len(got), st)
	}
	ratio, db := toneAnalysis(got[len(got)-4000:], 1000)
	if ratio < 0.9 {
		t.Errorf("%s: the phone's 1 kHz holds %.2f of what arrived (%.1f dBFS)", what, ratio, db)
	}
	t.Logf("%s: %s, %d packets in, %d out, 1 kHz ratio %.3f", what, st.SRTP, st.PacketsReceived, st.PacketsSent, ratio)
	if err := ch.Hangup(channel.CauseNormal); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, ch, channel.EventHangup)
}
