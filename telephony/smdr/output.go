package smdr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"go.bug.st/serial"

	"minipbx/telephony/store"
)

// Spool is the SMDR spool of the database (telephony/store.DB).
type Spool interface {
	// SMDRPending returns at most limit lines output has not
	// delivered, oldest first.
	SMDRPending(output string, limit int) ([]store.SMDREntry, error)
	// SMDRSent records (durably) that output delivered up to seq.
	SMDRSent(output string, seq uint64) error
}

// Options configure a Manager.
type Options struct {
	Spool  Spool
	Logger *slog.Logger
	// Location is the time zone of the lines' times (nil: UTC).
	Location func() *time.Location
}

// Timing of the outputs.
const (
	// pollEvery: a writer looks at the spool this often even when not
	// woken (a record spooled by another path).
	pollEvery = 5 * time.Second
	// retryMin and retryMax bound the pause before reopening a port
	// that failed, doubling in between.
	retryMin = 500 * time.Millisecond
	retryMax = 30 * time.Second
	// batch is how many lines a writer takes from the spool at once.
	batch = 32
)

// Status is one output's state, for the settings page.
type Status struct {
	Output    string    `json:"output"` // store.SMDRSerial or store.SMDRTCP
	Target    string    `json:"target"` // the port's path, or the listening address
	Connected bool      `json:"connected"`
	Peer      string    `json:"peer,omitempty"` // the TCP client
	Sent      uint64    `json:"sent"`           // lines delivered since the start
	LastError string    `json:"last_error,omitempty"`
	Since     time.Time `json:"since"` // of the current state
}

// Manager runs the configured outputs and follows configuration
// changes. Create it with New; Run owns the writers' goroutines.
type Manager struct {
	o   Options
	log *slog.Logger
	cfg chan store.Billing // the newest configuration, one waiting at most

	mu      sync.Mutex
	writers map[string]*writer
}

// New makes a manager; nothing runs before Run.
func New(o Options) *Manager {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Location == nil {
		o.Location = func() *time.Location { return time.UTC }
	}
	return &Manager{o: o, log: o.Logger, cfg: make(chan store.Billing, 1), writers: map[string]*writer{}}
}

// Configure hands the manager the billing settings; the newest wins.
// It never blocks.
func (m *Manager) Configure(b store.Billing) {
	for {
		select {
		case m.cfg <- b:
			return
		default:
		}
		select {
		case <-m.cfg:
		default:
		}
	}
}

// Wake tells the writers that a line was spooled.
func (m *Manager) Wake() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.writers {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Status lists the running outputs.
func (m *Manager) Status() []Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Status
	for _, name := range []string{store.SMDRSerial, store.SMDRTCP} {
		if w := m.writers[name]; w != nil {
			out = append(out, w.status())
		}
	}
	return out
}

// Run starts and stops the outputs as the configuration says until ctx
// ends; then it stops them all and returns.
func (m *Manager) Run(ctx context.Context) error {
	var cur store.SMDR
	stop := func(name string) {
		m.mu.Lock()
		w := m.writers[name]
		delete(m.writers, name)
		m.mu.Unlock()
		if w != nil {
			w.cancel()
			<-w.done
		}
	}
	defer func() {
		stop(store.SMDRSerial)
		stop(store.SMDRTCP)
	}()
	for {
		var b store.Billing
		select {
		case <-ctx.Done():
			return nil
		case b = <-m.cfg:
		}
		next := b.SMDR
		currency := b.Currency
		serialSame := next.SerialPort == cur.SerialPort && next.Speed() == cur.Speed()
		tcpSame := next.TCPPort == cur.TCPPort && fmt.Sprint(next.TCPAllow) == fmt.Sprint(cur.TCPAllow)
		if !serialSame || m.writer(store.SMDRSerial) == nil {
			stop(store.SMDRSerial)
			if next.SerialPort != "" {
				m.start(ctx, store.SMDRSerial, next.SerialPort, serialConnect(next.SerialPort, next.Speed()), currency)
			}
		}
		if !tcpSame || m.writer(store.SMDRTCP) == nil {
			stop(store.SMDRTCP)
			if next.TCPPort != 0 {
				addr := net.JoinHostPort("", strconv.Itoa(next.TCPPort))
				connect, err := tcpConnect(ctx, addr, next.TCPAllow, m.log)
				if err != nil {
					m.log.Error("smdr: cannot listen for the TCP client", "addr", addr, "err", err)
				} else {
					m.start(ctx, store.SMDRTCP, addr, connect, currency)
				}
			}
		}
		m.mu.Lock()
		for _, w := range m.writers {
			w.setCurrency(currency)
		}
		m.mu.Unlock()
		cur = next
	}
}

func (m *Manager) writer(name string) *writer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writers[name]
}

// start runs one output's writer.
func (m *Manager) start(ctx context.Context, name, target string, connect connectFunc, currency string) {
	wctx, cancel := context.WithCancel(ctx)
	w := &writer{name: name, target: target, connect: connect, spool: m.o.Spool, loc: m.o.Location,
		log: m.log.With("output", name, "target", target), wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	w.st = Status{Output: name, Target: target, Since: time.Now()}
	w.currency = currency
	m.mu.Lock()
	m.writers[name] = w
	m.mu.Unlock()
	go func() {
		defer close(w.done)
		w.run(wctx)
	}()
}

// connectFunc opens an output's connection: the serial port, or the
// next TCP client. It blocks until one is there, ctx ends or it fails.
type connectFunc func(ctx context.Context) (conn io.ReadWriteCloser, peer string, err error)

// serialConnect opens a serial port at 8N1. Reads wait without a
// timeout: the reader only watches for the port going away (a read
// timeout would make go.bug.st/serial answer (0, nil)).
func serialConnect(path string, baud int) connectFunc {
	return func(ctx context.Context) (io.ReadWriteCloser, string, error) {
		p, err := serial.Open(path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
		if err != nil {
			return nil, "", fmt.Errorf("open %s: %w", path, err)
		}
		return p, "", nil
	}
}

// tcpConnect listens on addr and hands out one client at a time (the
// others wait to be accepted); addresses outside allow are refused.
func tcpConnect(ctx context.Context, addr string, allow []string, log *slog.Logger) (connectFunc, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { ln.Close() })
	var nets []*net.IPNet
	for _, a := range allow {
		if _, n, err := net.ParseCIDR(a); err == nil {
			nets = append(nets, n)
		} else if ip := net.ParseIP(a); ip != nil {
			bits := 8 * len(ip.To16())
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			nets = append(nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
		}
	}
	allowed := func(a net.Addr) bool {
		if len(nets) == 0 {
			return true
		}
		ta, ok := a.(*net.TCPAddr)
		if !ok {
			return false
		}
		for _, n := range nets {
			if n.Contains(ta.IP) {
				return true
			}
		}
		return false
	}
	return func(ctx context.Context) (io.ReadWriteCloser, string, error) {
		for {
			c, err := ln.Accept()
			if err != nil {
				if ctx.Err() != nil {
					return nil, "", ctx.Err()
				}
				return nil, "", err
			}
			if !allowed(c.RemoteAddr()) {
				log.Warn("smdr: a TCP client not in tcp_allow was refused", "client", c.RemoteAddr().String())
				c.Close()
				continue
			}
			return c, c.RemoteAddr().String(), nil
		}
	}, nil
}

// writer delivers the spool to one output.
type writer struct {
	name, target string
	connect      connectFunc
	spool        Spool
	loc          func() *time.Location
	log          *slog.Logger
	wake         chan struct{}
	cancel       context.CancelFunc
	done         chan struct{}

	mu       sync.Mutex
	st       Status
	currency string
}

func (w *writer) status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st
}

func (w *writer) setCurrency(c string) {
	w.mu.Lock()
	w.currency = c
	w.mu.Unlock()
}

func (w *writer) set(f func(s *Status)) {
	w.mu.Lock()
	f(&w.st)
	w.mu.Unlock()
}

// run connects, delivers, and reconnects after a failure with a growing
// pause, until ctx ends.
func (w *writer) run(ctx context.Context) {
	pause := retryMin
	for ctx.Err() == nil {
		conn, peer, err := w.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.down(err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, retryMax)
			continue
		}
		pause = retryMin
		w.set(func(s *Status) { s.Connected, s.Peer, s.LastError, s.Since = true, peer, "", time.Now() })
		w.log.Info("smdr: output connected", "peer", peer)
		err = w.serve(ctx, conn)
		if ctx.Err() != nil {
			w.set(func(s *Status) { s.Connected, s.Peer, s.Since = false, "", time.Now() })
			return
		}
		w.down(err)
	}
}

func (w *writer) down(err error) {
	w.mu.Lock()
	was := w.st.Connected || w.st.LastError != err.Error()
	w.st.Connected, w.st.Peer, w.st.LastError, w.st.Since = false, "", err.Error(), time.Now()
	w.mu.Unlock()
	if was {
		w.log.Warn("smdr: output not available; lines wait in the spool", "err", err)
	}
}

// serve delivers lines on one connection until it fails or ctx ends.
// A reader watches the connection meanwhile, so that a port or client
// that goes away is noticed even while no call ends.
func (w *writer) serve(ctx context.Context, conn io.ReadWriteCloser) error {
	gone := make(chan error, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		buf := make([]byte, 256)
		for {
			if _, err := conn.Read(buf); err != nil {
				gone <- err
				return
			}
			// Anything the far end sends (XON/XOFF, a printer's status)
			// is ignored.
		}
	}()
	defer func() {
		conn.Close() // ends the reader
		<-readerDone
	}()
	for {
		entries, err := w.spool.SMDRPending(w.name, batch)
		if err != nil {
			return fmt.Errorf("smdr: spool: %w", err)
		}
		w.mu.Lock()
		currency := w.currency
		w.mu.Unlock()
		for _, e := range entries {
			select {
			case err := <-gone:
				return connGone(err)
			default:
			}
			if _, err := conn.Write(Format(e.Record, w.loc(), currency)); err != nil {
				return fmt.Errorf("write: %w", err)
			}
			if err := w.spool.SMDRSent(w.name, e.Seq); err != nil {
				return fmt.Errorf("smdr: spool: %w", err)
			}
			w.set(func(s *Status) { s.Sent++ })
		}
		if len(entries) == batch {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-gone:
			return connGone(err)
		case <-w.wake:
		case <-time.After(pollEvery):
		}
	}
}

func connGone(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("the far end closed the connection")
	}
	return fmt.Errorf("the port went away: %w", err)
}
