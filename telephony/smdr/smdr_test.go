package smdr

import (
	"bufio"
	"context"
	"encoding/csv"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"minipbx/telephony/store"
)

// box is the part of a box the SMDR output needs: the database with its
// spool, and a running manager.
type box struct {
	t      *testing.T
	path   string
	db     *store.DB
	m      *Manager
	cancel context.CancelFunc
	done   chan error
	calls  int
}

func (b *box) start(billing store.Billing) {
	b.t.Helper()
	db, err := store.Open(b.path, store.Options{})
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := db.UpdateBilling(billing); err != nil {
		b.t.Fatal(err)
	}
	b.db = db
	b.m = New(Options{Spool: db})
	b.m.Configure(billing)
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel, b.done = cancel, make(chan error, 1)
	go func() { b.done <- b.m.Run(ctx) }()
}

func (b *box) stop() {
	b.t.Helper()
	b.cancel()
	if err := <-b.done; err != nil {
		b.t.Error(err)
	}
	if err := b.db.Close(); err != nil {
		b.t.Fatal(err)
	}
}

// call ends one call: its record is stored (and spooled).
func (b *box) call() {
	b.t.Helper()
	b.calls++
	st := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).Add(time.Duration(b.calls) * time.Minute)
	r := store.CallRecord{Start: st, Answer: st.Add(4 * time.Second), End: st.Add(34 * time.Second), DurationS: 30,
		Caller: "5550100", Callee: "101", Source: "fxo:1", Destination: "sip:101", Disposition: store.DispositionAnswered}
	if _, err := b.db.AppendCallRecord(r); err != nil {
		b.t.Fatal(err)
	}
	b.m.Wake()
}

// port is one pseudo-terminal standing for the serial cable: the box
// opens its slave side by a stable name (a symbolic link, as
// /dev/serial/by-id/... is), the test reads the master side.
type port struct {
	master, slave *os.File
	lines         chan string
}

func plugIn(t *testing.T, link string) *port {
	t.Helper()
	ptmx, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	// The master, non-blocking so that the runtime's poller serves its
	// reads: closing it then wakes the reader and really closes the
	// device (a read blocked in the kernel would keep it open).
	fd, err := syscall.Dup(int(ptmx.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	ptmx.Close()
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	master := os.NewFile(uintptr(fd), "ptmx")
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(slave.Name(), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	p := &port{master: master, slave: slave, lines: make(chan string, 100)}
	go func() {
		r := bufio.NewReader(master)
		for {
			s, err := r.ReadString('\n')
			if err != nil {
				close(p.lines)
				return
			}
			p.lines <- s
		}
	}()
	return p
}

// unplug takes the cable away: both sides of the pseudo-terminal close.
func (p *port) unplug() {
	p.master.Close()
	p.slave.Close()
}

// read returns the next n lines' call IDs, checking each line's layout.
func (p *port) read(t *testing.T, n int) []int {
	t.Helper()
	var ids []int
	for len(ids) < n {
		select {
		case s, ok := <-p.lines:
			if !ok {
				t.Fatalf("the port closed after %d lines", len(ids))
			}
			if !strings.HasSuffix(s, "\r\n") {
				t.Fatalf("line %q does not end in CR LF", s)
			}
			rec, err := csv.NewReader(strings.NewReader(s)).Read()
			if err != nil || len(rec) != len(Fields()) {
				t.Fatalf("line %q: %d fields, %v", s, len(rec), err)
			}
			if rec[0] != "2026/11/20 09:"+rec[0][14:16]+":00" || rec[1] != "00:00:30" || rec[2] != "4" || rec[4] != "I" ||
				rec[11] != "T1" || rec[13] != "E101" || rec[10] != "0" {
				t.Errorf("line %q", s)
			}
			id, _ := strconv.Atoi(rec[9])
			ids = append(ids, id)
		case <-time.After(20 * time.Second):
			t.Fatalf("waited for line %d of %d", len(ids)+1, n)
		}
	}
	return ids
}

// TestSerialLinesAcrossDisconnectAndRestart: the SMDR lines of calls
// made while the port was unplugged, and across a restart of the box
// while it still was, all arrive once the port is back — in order, none
// lost, none twice.
func TestSerialLinesAcrossDisconnectAndRestart(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "smdr-port")
	p := plugIn(t, link)
	b := &box{t: t, path: filepath.Join(dir, store.FileName)}
	billing := store.Billing{Currency: "EUR", SMDR: store.SMDR{SerialPort: link, Baud: 9600}}
	b.start(billing)
	var got []int
	for range 3 {
		b.call()
	}
	got = append(got, p.read(t, 3)...)
	waitFor(t, "the output connected", func() bool { s := b.m.Status(); return len(s) == 1 && s[0].Connected && s[0].Sent == 3 })

	// The cable is pulled; three calls end meanwhile.
	p.unplug()
	waitFor(t, "the output noticed", func() bool { s := b.m.Status(); return len(s) == 1 && !s[0].Connected })
	for range 3 {
		b.call()
	}
	if n, _ := b.db.SMDRBacklog(store.SMDRSerial); n != 3 {
		t.Errorf("backlog %d, want 3", n)
	}
	// The box restarts with the port still unplugged; two more calls.
	b.stop()
	b.start(billing)
	for range 2 {
		b.call()
	}
	time.Sleep(300 * time.Millisecond)
	// The cable is back (the same name, another device behind it).
	p = plugIn(t, link)
	got = append(got, p.read(t, 5)...)
	b.call()
	got = append(got, p.read(t, 1)...)
	for i, id := range got {
		if id != i+1 {
			t.Fatalf("call IDs %v: want 1 to 9 in order, once each", got)
		}
	}
	// Nothing more comes: none was sent twice.
	select {
	case s := <-p.lines:
		t.Errorf("an extra line: %q", s)
	case <-time.After(700 * time.Millisecond):
	}
	if n, _ := b.db.SMDRBacklog(store.SMDRSerial); n != 0 {
		t.Errorf("backlog %d after delivery", n)
	}
	b.stop()
	p.unplug()
}

// TestTCPClient: the call-accounting software connects to the box; the
// lines that waited come first, then each new one; a client from an
// address not allowed is refused.
func TestTCPClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	b := &box{t: t, path: filepath.Join(dir, store.FileName)}
	billing := store.Billing{SMDR: store.SMDR{TCPPort: port, TCPAllow: []string{"127.0.0.0/8"}}}
	b.start(billing)
	defer b.stop()
	b.call()
	b.call()
	var c net.Conn
	waitFor(t, "the box to listen", func() bool {
		c, err = net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		return err == nil
	})
	defer c.Close()
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for want := 1; want <= 3; want++ {
		if want == 3 {
			b.call()
		}
		s, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if rec, _ := csv.NewReader(strings.NewReader(s)).Read(); len(rec) != 30 || rec[9] != strconv.Itoa(want) {
			t.Errorf("line %d: %q", want, s)
		}
	}
	b.m.Configure(store.Billing{SMDR: store.SMDR{TCPPort: port, TCPAllow: []string{"192.0.2.1"}}})
	waitFor(t, "the new allow list", func() bool {
		c2, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return false
		}
		defer c2.Close()
		c2.SetReadDeadline(time.Now().Add(time.Second))
		_, err = c2.Read(make([]byte, 1))
		return err != nil // closed by the box
	})
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFormat(t *testing.T) {
	st := time.Date(2026, 11, 20, 9, 5, 7, 0, time.UTC)
	r := store.CallRecord{ID: 42, Start: st, Answer: st.Add(6 * time.Second), End: st.Add(106 * time.Second), DurationS: 100,
		Caller: "101", Callee: "89161234567", Source: "sip:101", Destination: "trunk:provider", Direction: "out", Route: "mobile", Cost: 1750,
		Disposition: "answered", CallerName: `Evil, "quoted"` + "\n",
		Path: []store.CallStep{{Time: st.Add(20 * time.Second), Event: "held"}, {Time: st.Add(30 * time.Second), Event: "resumed"},
			{Time: st.Add(40 * time.Second), Event: "parked"}, {Time: st.Add(55 * time.Second), Event: "retrieved"}}}
	loc, _ := time.LoadLocation("Europe/Moscow")
	got := string(Format(r, loc, "EUR"))
	want := "2026/11/20 12:05:07,00:01:15,6,101,O,89161234567,89161234567,,0,42,0,E101,Extn101,Tprovider,provider,10,15,,,Extn101,0.18,EUR,,,,,,,,\r\n"
	if got != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	in := store.CallRecord{ID: 7, Start: st, End: st.Add(30 * time.Second), Caller: "5550,100", Callee: "101", Source: "fxo:2",
		Direction: "in", Disposition: "voicemail", Voicemail: "101/20261120T090530Z"}
	if got := string(Format(in, nil, "")); got != "2026/11/20 09:05:07,00:00:00,0,5550 100,I,101,101,,0,7,0,T2,Line 2,V101,VM Channel 101,0,0,,,,,,,,,,,,,\r\n" {
		t.Errorf("voicemail: %q", got)
	}
}
