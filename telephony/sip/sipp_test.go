package sip

import (
	"bytes"
	"context"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zaf/g711"

	"minipbx/internal/testutil"
	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// Interoperability with SIPp (Debian's sip-tester): registration with
// digest authentication, and a call from a SIPp caller to an extension
// registered by a SIPp answering phone that echoes RTP, with audio counted
// both ways through the server.

// freeUDPPort returns a port that was free a moment ago (and its TCP twin).
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// sipp runs one SIPp scenario to completion and returns its output.
func sipp(t *testing.T, bin string, ctx context.Context, args ...string) ([]byte, error) {
	return sippIn(t, t.TempDir(), bin, ctx, args...)
}

// sippIn runs SIPp in dir (rtp_stream files are named relative to it).
func sippIn(t *testing.T, dir, bin string, ctx context.Context, args ...string) ([]byte, error) {
	t.Helper()
	base := []string{"-nostdin", "-i", "127.0.0.1", "-timeout", "20s", "-timeout_error"}
	if !slices.Contains(args, "-p") {
		// Never SIPp's default 5060: a running pbxd may hold it.
		base = append(base, "-p", strconv.Itoa(freeUDPPort(t)))
	}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func scenario(name string) string {
	p, _ := filepath.Abs(filepath.Join("testdata", name))
	return p
}

func TestSIPpRegistration(t *testing.T) {
	bin := testutil.Tool(t, "sipp")
	s := startServer(t, Config{})
	pbx := s.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	uasPort := strconv.Itoa(freeUDPPort(t))
	run := func(user, pass, final string) {
		t.Helper()
		file := "register.xml"
		if final != "200" {
			file = "register_refused.xml"
		}
		out, err := sipp(t, bin, ctx, pbx, "-sf", scenario(file), "-m", "1",
			"-s", user, "-au", user, "-ap", pass, "-key", "uas_port", uasPort)
		if err != nil {
			t.Fatalf("sipp register %s/%s expecting %s: %v\n%s", user, pass, final, err, tail(out))
		}
	}
	run("201", "secret201", "200") // right password: 200
	run("201", "wrong", "401")     // wrong password: challenged again
	run("299", "secret201", "401") // unknown user: the same
	regs := s.Registrations()
	if len(regs) != 1 || regs[0].Extension != "201" || regs[0].UserAgent != "SIPp" {
		t.Fatalf("registrations %+v", regs)
	}
	// And the same three cases from sipgo's client: same status, same shape.
	p := newPhone(t, s.Addr(), "201", "")
	good, _ := p.registerErr("secret201", 60, nil)
	bad, _ := p.registerErr("wrong", 60, nil)
	q := newPhone(t, s.Addr(), "299", "")
	unk, _ := q.registerErr("secret201", 60, nil)
	if good == nil || bad == nil || unk == nil {
		t.Fatal("no response")
	}
	if good.StatusCode != 200 || bad.StatusCode != 401 || unk.StatusCode != 401 {
		t.Fatalf("sipgo: right %d, wrong %d, unknown %d", good.StatusCode, bad.StatusCode, unk.StatusCode)
	}
	if a, b := shape(bad), shape(unk); a != b {
		t.Errorf("wrong password and unknown user differ:\n%s\n%s", a, b)
	}
}

// countingSink counts frames on their way from one leg to the other.
type countingSink struct {
	next media.Sink
	n    atomic.Int64
}

func (c *countingSink) WriteFrame(f *media.Frame) {
	c.n.Add(1)
	c.next.WriteFrame(f)
}

func TestSIPpCallWithRTP(t *testing.T) {
	bin := testutil.Tool(t, "sipp")
	var toCallee, toCaller atomic.Pointer[countingSink]
	ended := make(chan channel.Cause, 2)
	var s *Server
	s = startServer(t, Config{OnCall: func(in channel.Channel) {
		out, err := s.Dialer().Dial(context.Background(), channel.Request{Target: in.Info().Dialled, Caller: in.Info().Caller, Timeout: 10 * time.Second})
		if err != nil {
			in.Hangup(channel.CauseUnavailable)
			ended <- channel.CauseUnavailable
			return
		}
		for ev := range out.Events() {
			switch ev.Type {
			case channel.EventProgress:
				in.Progress()
			case channel.EventAnswer:
				a, b := &countingSink{next: out.Media()}, &countingSink{next: in.Media()}
				toCallee.Store(a)
				toCaller.Store(b)
				in.Media().SetSink(a)
				out.Media().SetSink(b)
				in.Answer(context.Background())
				go func() {
					for ev := range in.Events() {
						if ev.Type == channel.EventHangup {
							out.Hangup(ev.Cause)
							ended <- ev.Cause
						}
					}
				}()
			case channel.EventHangup:
				in.Hangup(ev.Cause)
			}
		}
	}})
	pbx := s.Addr().String()

	// Three seconds of 1 kHz in PCMU for SIPp to stream.
	audioDir := t.TempDir()
	audio := filepath.Join(audioDir, "tone.ulaw")
	pcm := make([]byte, 3*8000)
	for i := range pcm {
		pcm[i] = g711.EncodeUlawFrame(int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/8000)))
	}
	if err := os.WriteFile(audio, pcm, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	uasPort, mediaPort := freeUDPPort(t), freeUDPPort(t)
	uasOut := make(chan []byte, 1)
	uasErr := make(chan error, 1)
	go func() {
		out, err := sipp(t, bin, ctx, "-sf", scenario("uas_echo.xml"), "-p", strconv.Itoa(uasPort),
			"-m", "1", "-aa", "-rtp_echo", "-mp", strconv.Itoa(mediaPort)) // -aa: answer our qualify OPTIONS
		uasOut <- out
		uasErr <- err
	}()
	time.Sleep(300 * time.Millisecond) // let the UAS bind
	if out, err := sipp(t, bin, ctx, pbx, "-sf", scenario("register.xml"), "-m", "1",
		"-s", "202", "-au", "202", "-ap", "secret202", "-key", "uas_port", strconv.Itoa(uasPort)); err != nil {
		t.Fatalf("register the SIPp UAS: %v\n%s", err, tail(out))
	}
	out, err := sippIn(t, audioDir, bin, ctx, pbx, "-sf", scenario("uac_call.xml"), "-m", "1",
		"-s", "202", "-au", "201", "-ap", "secret201", "-key", "caller", "201")
	if err != nil {
		t.Fatalf("sipp caller: %v\n%s", err, tail(out))
	}
	if err := <-uasErr; err != nil {
		t.Fatalf("sipp answering phone: %v\n%s", err, tail(<-uasOut))
	}
	select {
	case c := <-ended:
		if c != channel.CauseNormal {
			t.Errorf("call ended with %v", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("call did not end")
	}
	a, b := toCallee.Load(), toCaller.Load()
	if a == nil || b == nil {
		t.Fatal("call was never answered")
	}
	// 2 s of streaming at 50 frames/s; the echo comes back the other way.
	if na, nb := a.n.Load(), b.n.Load(); na < 50 || nb < 50 {
		t.Fatalf("frames caller→callee %d, callee→caller %d; want ≥50 each way", na, nb)
	} else {
		t.Logf("frames caller→callee %d, callee→caller (SIPp echo) %d", na, nb)
	}
	waitFor(t, func() bool { return s.ActiveCalls() == 0 }, "legs released")
}

func tail(b []byte) string {
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}
