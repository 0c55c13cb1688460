package box

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zaf/g711"

	"minipbx/internal/testutil"
	"minipbx/telephony/channel"
	"minipbx/telephony/media"
	"minipbx/telephony/sip"
)

// The capacity and soak measurements drive the box with SIPp: callers
// that stream G.711 RTP for the whole call (SIPp's rtp_stream), an
// answering SIPp whose RTP is echoed back (-rtp_echo), so every call
// carries RTP both ways through the box. They run in-process: the box's
// CPU time is this process's (the test itself only waits), SIPp's is read
// from /proc. scripts/load.sh runs them the way the README's figures were
// measured: the test pinned to one CPU with taskset and SIPp to the
// other (LOAD_SIPP_CPU), in a network namespace of its own so the kernel's
// UDP counters see nothing but the test.

// loadEnv gates the measurements that take minutes and a machine to
// themselves.
func loadEnv(t *testing.T, name string) {
	t.Helper()
	if os.Getenv(name) == "" {
		t.Skipf("%s=1 runs this measurement (see scripts/load.sh)", name)
	}
}

// sippProc is one SIPp process started in the background.
type sippProc struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
	errf string
}

// loadSIPp starts SIPp with args in its own directory, pinned to the CPU
// LOAD_SIPP_CPU names when set; the test's end stops it.
func loadSIPp(t *testing.T, args ...string) *sippProc {
	t.Helper()
	bin := testutil.Tool(t, "sipp")
	dir := t.TempDir()
	p := &sippProc{done: make(chan error, 1), errf: filepath.Join(dir, "errors.log")}
	args = append([]string{"-trace_err", "-error_file", p.errf, "-nostdin"}, args...)
	name := bin
	if cpu := os.Getenv("LOAD_SIPP_CPU"); cpu != "" {
		args = append([]string{"-c", cpu, bin}, args...)
		name = "taskset"
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cmd = exec.CommandContext(ctx, name, args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.Dir = dir
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("sipp: %v", err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// wait waits for SIPp to exit and fails the test when it reports failed
// calls (a non-zero exit) or does not end within d.
func (p *sippProc) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			errs, _ := os.ReadFile(p.errf)
			t.Fatalf("sipp %s: %v\n%s\nSIPp errors:\n%s", strings.Join(p.cmd.Args[1:], " "), err, tail(p.out.String(), 3000), tail(string(errs), 3000))
		}
	case <-time.After(d):
		t.Fatalf("sipp did not finish within %v:\n%s", d, tail(p.out.String(), 3000))
	}
}

// cpu is the CPU time SIPp used so far.
func (p *sippProc) cpu() time.Duration { return procCPU(p.cmd.Process.Pid) }

// procCPU reads a process's user+system CPU time from /proc (0 when gone).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// rssKB is this process's resident set in kB.
func rssKB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// udpDrops reads the kernel's per-socket drop counters (/proc/net/udp,
// udp6), by socket inode, with each socket's local port.
func udpDrops() map[string]udpSocket {
	out := map[string]udpSocket{}
	for _, file := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			// sl local rem st tx:rx tr:tm retr uid timeout inode ref pointer drops
			f := strings.Fields(line)
			if len(f) < 13 {
				continue
			}
			d, _ := strconv.ParseInt(f[12], 10, 64)
			port, _ := strconv.ParseInt(f[1][strings.LastIndexByte(f[1], ':')+1:], 16, 32)
			out[f[9]] = udpSocket{port: int(port), drops: d}
		}
	}
	return out
}

type udpSocket struct {
	port  int
	drops int64
}

// ownSockets is the set of socket inodes this process holds.
func ownSockets() map[string]bool {
	fds, _ := os.ReadDir("/proc/self/fd")
	mine := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink("/proc/self/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(l, "socket:[") {
			mine[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	return mine
}

// dropsBetween counts the datagrams the kernel dropped, from a to b, at
// the box's sockets (a full receive buffer: the box did not keep up) and
// at the sockets bound to echo ports (SIPp's answerers' echoes).
func dropsBetween(a, b sample, echo []int) (box, echoed int64) {
	for ino, s := range b.socks {
		d := s.drops - a.socks[ino].drops
		switch {
		case b.own[ino]:
			box += d
		case slices.Contains(echo, s.port):
			echoed += d
		}
	}
	return box, echoed
}

// legTap keeps the box's inbound SIP legs (through the SIP server's
// OnCall), whose RTP counters tell what the callers' streams became.
type legTap struct {
	mu   sync.Mutex
	legs []interface{ Stats() media.Stats }
}

func (l *legTap) wrap(sc *sip.Config) {
	next := sc.OnCall
	sc.OnCall = func(ch channel.Channel) {
		if s, ok := ch.(interface{ Stats() media.Stats }); ok {
			l.mu.Lock()
			l.legs = append(l.legs, s)
			l.mu.Unlock()
		}
		next(ch)
	}
}

// rtpTotals sums the counters of the inbound legs: packets received from
// the callers, lost on the way in, and sent back to them (what came back
// from the answering side, relayed).
type rtpTotals struct{ received, lost, sent int64 }

func (l *legTap) totals() rtpTotals {
	l.mu.Lock()
	legs := append([]interface{ Stats() media.Stats }(nil), l.legs...)
	l.mu.Unlock()
	var t rtpTotals
	for _, leg := range legs {
		s := leg.Stats()
		t.received += int64(s.PacketsReceived)
		t.lost += s.PacketsLost
		t.sent += int64(s.PacketsSent)
	}
	return t
}

// loadScenario writes a load scenario with its codec (and, for callers,
// whether they stream RTP) filled in.
func loadScenario(t *testing.T, name string, c media.Codec, wav string) string {
	t.Helper()
	b, err := os.ReadFile(scenario(name))
	if err != nil {
		t.Fatal(err)
	}
	mediaAction := ""
	if wav != "" {
		mediaAction = fmt.Sprintf(`<nop><action><exec rtp_stream="%s,-1,%d"/></action></nop>`, wav, c.PayloadType())
	}
	s := strings.NewReplacer("@PT@", strconv.Itoa(c.PayloadType()), "@CODEC@", c.String(), "@MEDIA@", mediaAction).Replace(string(b))
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// toneWAV writes a second of a 1 kHz tone at −10 dBm0 as a G.711 WAV file
// (what SIPp's rtp_stream loops).
func toneWAV(t *testing.T, c media.Codec) string {
	t.Helper()
	data := make([]byte, 8000)
	for i := range data {
		v := int16(math.Round(7000 * math.Sin(2*math.Pi*1000*float64(i)/8000)))
		if c == media.PCMA {
			data[i] = g711.EncodeAlawFrame(v)
		} else {
			data[i] = g711.EncodeUlawFrame(v)
		}
	}
	format := uint16(7) // μ-law
	if c == media.PCMA {
		format = 6
	}
	le := binary.LittleEndian
	h := []byte("RIFF")
	h = le.AppendUint32(h, uint32(36+len(data)))
	h = append(h, "WAVEfmt "...)
	h = le.AppendUint32(h, 16)
	h = le.AppendUint16(h, format)
	h = le.AppendUint16(h, 1)
	h = le.AppendUint32(h, 8000)
	h = le.AppendUint32(h, 8000)
	h = le.AppendUint16(h, 1)
	h = le.AppendUint16(h, 8)
	h = append(h, "data"...)
	h = le.AppendUint32(h, uint32(len(data)))
	p := filepath.Join(t.TempDir(), "tone.wav")
	if err := os.WriteFile(p, append(h, data...), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadBox starts a box for a load run: the SIP call limit raised to
// calls (the shipped default is 100 calls), and the inbound legs tapped.
func loadBox(t *testing.T, calls int) (*testBox, *legTap) {
	t.Helper()
	tap := &legTap{}
	b := startBox(t, "", func(c *Config) {
		c.SIPTune = func(sc *sip.Config) {
			sc.MaxCalls = 2*calls + 20
			tap.wrap(sc)
		}
	})
	return b, tap
}

// loadAnswerers registers n extensions from 402 on, each with a SIPp UAS
// that answers with codec c and echoes RTP (SIPp's echo is one thread on
// one socket: several share the load of hundreds of calls). It returns
// the UASes, the extensions' numbers and the echo ports.
func loadAnswerers(t *testing.T, b *testBox, n int, c media.Codec) (procs []*sippProc, numbers []string, echo []int) {
	t.Helper()
	for i := range n {
		number := strconv.Itoa(402 + i)
		secret := b.addSIPExtension(t, number, "SIPp answerer", false)
		port, mport := freeUDPPort(t), freeUDPPort(t)
		procs = append(procs, loadSIPp(t, "-sf", loadScenario(t, "load_uas.xml", c, ""), "-i", "127.0.0.1", "-p", strconv.Itoa(port),
			"-mi", "127.0.0.1", "-mp", strconv.Itoa(mport), "-rtp_echo", "-aa"))
		sipp(t, tctx(t, 20*time.Second), "-sf", scenario("register.xml"),
			"-inf", injection(t, number), "-au", number, "-ap", secret, "-key", "uas_port", strconv.Itoa(port),
			"-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-m", "1", "-timeout", "15s", "-timeout_error", "-nostdin", b.SIPAddr())
		numbers = append(numbers, number)
		echo = append(echo, mport)
	}
	return procs, numbers, echo
}

// calleeRows writes a SIPp injection file whose rows, taken in turn by
// the calls, have caller ext call each of callees.
func calleeRows(t *testing.T, ext string, callees []string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for _, c := range callees {
		fmt.Fprintf(&b, "%s;%s;\n", ext, c)
	}
	p := filepath.Join(t.TempDir(), "callees.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadCaller starts a SIPp UAC from ip (caller ext with secret) calling
// callees in turn at rate calls per second, up to calls calls (at most
// that many at once), each held for hold, streaming RTP in codec c when
// media is set.
func loadCaller(t *testing.T, b *testBox, ext, secret string, callees []string, ip string, c media.Codec, media bool, rate, calls int, hold time.Duration) *sippProc {
	t.Helper()
	wav := ""
	if media {
		wav = toneWAV(t, c)
	}
	return loadSIPp(t, "-sf", loadScenario(t, "load_uac.xml", c, wav),
		"-inf", calleeRows(t, ext, callees), "-au", ext, "-ap", secret,
		"-i", ip, "-p", strconv.Itoa(freeUDPPort(t)), "-mi", ip,
		"-r", strconv.Itoa(rate), "-rp", "1000",
		"-l", strconv.Itoa(calls), "-m", strconv.Itoa(calls), "-d", strconv.Itoa(int(hold/time.Millisecond)),
		"-timeout", fmt.Sprintf("%ds", int(hold.Seconds())+calls/rate+60), "-timeout_error", b.SIPAddr())
}

// sample is the state of the box and the machine at one moment of a run.
type sample struct {
	at         time.Time
	boxCPU     time.Duration
	sippCPU    time.Duration
	rtp        rtpTotals
	goroutines int
	rssKB      int64
	socks      map[string]udpSocket
	own        map[string]bool
	mallocs    uint64 // heap allocations so far
	heapKB     uint64 // heap in use
}

func takeSample(tap *legTap, procs ...*sippProc) sample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := sample{at: time.Now(), boxCPU: procCPU(os.Getpid()), goroutines: runtime.NumGoroutine(),
		rssKB: rssKB(), socks: udpDrops(), own: ownSockets(), mallocs: ms.Mallocs, heapKB: ms.HeapInuse / 1024}
	for _, p := range procs {
		s.sippCPU += p.cpu()
	}
	if tap != nil {
		s.rtp = tap.totals()
	}
	return s
}

// between describes what happened from a to b; echo are the answerers'
// echo ports.
func between(a, b sample, echo []int) string {
	wall := b.at.Sub(a.at)
	rx := b.rtp.received - a.rtp.received
	lost := b.rtp.lost - a.rtp.lost
	sent := b.rtp.sent - a.rtp.sent
	boxDrops, echoDrops := dropsBetween(a, b, echo)
	pct := func(n, of int64) float64 { return 100 * float64(n) / math.Max(1, float64(of)) }
	return fmt.Sprintf("box CPU %.1f %% of a core (SIPp %.1f %%); from the callers %d RTP packets/s, %.3f %% lost on the way in, %.3f %% not sent back out; "+
		"dropped at the box's sockets %d, at the answerers' echo %d (%.3f %%); %.3f heap allocations per RTP packet (the whole process); %d goroutines, RSS %.1f MB, heap %.1f MB",
		100*float64(b.boxCPU-a.boxCPU)/float64(wall), 100*float64(b.sippCPU-a.sippCPU)/float64(wall),
		int64(float64(rx)/wall.Seconds()), pct(lost, rx+lost), pct(rx-sent, rx),
		boxDrops, echoDrops, pct(echoDrops, rx),
		float64(b.mallocs-a.mallocs)/math.Max(1, float64(rx+sent)), b.goroutines, float64(b.rssKB)/1024, float64(b.heapKB)/1024)
}

// profile writes a CPU profile of the box to LOAD_CPUPROFILE, when set,
// until the returned function is called.
func profile(t *testing.T) (stop func()) {
	name := os.Getenv("LOAD_CPUPROFILE")
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// waitLegs waits until the box carries n SIP legs.
func waitLegs(t *testing.T, b *testBox, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for b.sip.ActiveCalls() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the box carries %d SIP legs after %v, want %d", b.sip.ActiveCalls(), d, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runMediaLoad sets up calls concurrent calls from a SIPp caller
// (codec in) to a SIPp answerer (codec out) and measures the box while all
// of them carry RTP both ways for measure.
func runMediaLoad(t *testing.T, calls int, in, out media.Codec, rate int, measure time.Duration) {
	b, tap := loadBox(t, calls)
	uas, callees, echo := loadAnswerers(t, b, max(1, calls/100), out)
	secret := b.addSIPExtension(t, "401", "SIPp caller", false)
	ramp := time.Duration(calls/rate)*time.Second + 5*time.Second
	hold := ramp + measure + 5*time.Second
	idle := takeSample(tap, uas...)
	uac := loadCaller(t, b, "401", secret, callees, "127.0.0.1", in, true, rate, calls, hold)
	procs := append(uas, uac)
	waitLegs(t, b, 2*calls, ramp+10*time.Second)
	time.Sleep(2 * time.Second)
	s0 := takeSample(tap, procs...)
	stop := profile(t)
	time.Sleep(measure)
	stop()
	s1 := takeSample(tap, procs...)
	t.Logf("%d calls %s→%s, RTP both ways, over %v: %s", calls, in, out, measure, between(s0, s1, echo))
	t.Logf("idle before: %d goroutines, RSS %.1f MB", idle.goroutines, float64(idle.rssKB)/1024)
	uac.wait(t, hold+2*time.Minute)
}

// TestLoadRelayedCalls measures concurrent same-codec calls (PCMA both
// legs, relayed without decoding) with RTP both ways: LOAD_CALLS (500),
// LOAD_SECONDS (20) of measurement once all are up, set up at LOAD_RATE
// (50) calls per second.
func TestLoadRelayedCalls(t *testing.T) {
	loadEnv(t, "LOAD")
	runMediaLoad(t, envInt(t, "LOAD_CALLS", 500), media.PCMA, media.PCMA, envInt(t, "LOAD_RATE", 50),
		time.Duration(envInt(t, "LOAD_SECONDS", 20))*time.Second)
}

// TestLoadTranscodedCalls is TestLoadRelayedCalls with PCMA callers and a
// PCMU answerer: every frame is transcoded, both ways.
func TestLoadTranscodedCalls(t *testing.T) {
	loadEnv(t, "LOAD")
	runMediaLoad(t, envInt(t, "LOAD_CALLS", 500), media.PCMA, media.PCMU, envInt(t, "LOAD_RATE", 50),
		time.Duration(envInt(t, "LOAD_SECONDS", 20))*time.Second)
}
