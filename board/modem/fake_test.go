package modem

import (
	"strings"
	"sync"
	"time"
)

// fakeModem is a scripted in-memory voice modem behind the SerialPort
// interface. By default it answers like a Conexant voice modem; tests
// change its behaviour with the fields below (under mu).
type fakeModem struct {
	mu      sync.Mutex
	signal  chan struct{}
	toHost  []byte
	timeout time.Duration

	cmd      []byte
	dleCmd   bool
	voice    bool
	un       unshield
	txAudio  []byte   // what the host sent as audio, unshielded
	commands []string // every command received
	events   []byte   // shielded codes the host sent in voice mode

	silent   bool                            // answers nothing at all
	formats  []string                        // AT+VSM=? lines
	noVTR    bool                            // AT+VTR → ERROR
	noVCID   bool                            // AT+VCID=1 → ERROR
	override func(cmd string) (string, bool) // scripted answer for a command
	onCmd    func(cmd string)                // observer
	closed   bool
}

func newFakeModem() *fakeModem {
	return &fakeModem{
		signal: make(chan struct{}, 1),
		formats: []string{
			`0,"SIGNED PCM",8,0,(7200,8000,11025),(0),(0)`,
			`1,"UNSIGNED PCM",8,0,(7200,8000,11025),(0),(0)`,
			`2,"RSVD",0,0,(0),(0),(0)`,
			`3,"IMA ADPCM",4,0,(7200,8000,11025),(0),(0)`,
			`4,"G711U",8,0,(8000),(0),(0)`,
			`5,"G711A",8,0,(8000),(0),(0)`,
		},
	}
}

func (m *fakeModem) SetReadTimeout(d time.Duration) error {
	m.mu.Lock()
	m.timeout = d
	m.mu.Unlock()
	return nil
}

func (m *fakeModem) Read(b []byte) (int, error) {
	m.mu.Lock()
	timeout := m.timeout
	m.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return 0, errClosedPort
		}
		if len(m.toHost) > 0 {
			n := copy(b, m.toHost)
			m.toHost = m.toHost[n:]
			m.mu.Unlock()
			return n, nil
		}
		m.mu.Unlock()
		left := time.Until(deadline)
		if left <= 0 {
			return 0, nil
		}
		t := time.NewTimer(left)
		select {
		case <-m.signal:
		case <-t.C:
		}
		t.Stop()
	}
}

type portErr string

func (e portErr) Error() string { return string(e) }

const errClosedPort = portErr("port closed")

func (m *fakeModem) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.wake()
	return nil
}

func (m *fakeModem) wake() {
	select {
	case m.signal <- struct{}{}:
	default:
	}
}

// send queues bytes for the host.
func (m *fakeModem) send(b []byte) {
	m.mu.Lock()
	m.toHost = append(m.toHost, b...)
	m.mu.Unlock()
	m.wake()
}

func (m *fakeModem) sendLine(l string) { m.send([]byte("\r\n" + l + "\r\n")) }

func (m *fakeModem) Write(b []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, errClosedPort
	}
	for _, c := range b {
		if m.voice {
			m.txAudio, _, _ = m.un.feed([]byte{c}, m.txAudio, func(code byte) {
				m.events = append(m.events, code)
				if code == '^' || code == '!' {
					m.voice = false
					m.un = unshield{}
					if !m.silent {
						m.toHost = append(m.toHost, DLE, ETX)
						m.toHost = append(m.toHost, "\r\nOK\r\n"...)
					}
				}
			})
			continue
		}
		if m.dleCmd {
			m.dleCmd = false
			continue
		}
		switch c {
		case DLE:
			m.dleCmd = true
		case '\r':
			cmd := strings.TrimSpace(string(m.cmd))
			m.cmd = m.cmd[:0]
			if cmd != "" {
				m.command(cmd)
			}
		case '\n':
		default:
			m.cmd = append(m.cmd, c)
		}
	}
	m.wake()
	return len(b), nil
}

// command answers one command (m.mu held).
func (m *fakeModem) command(cmd string) {
	m.commands = append(m.commands, cmd)
	if m.onCmd != nil {
		m.onCmd(cmd)
	}
	if m.silent {
		return
	}
	if m.override != nil {
		if r, ok := m.override(cmd); ok {
			m.toHost = append(m.toHost, r...)
			return
		}
	}
	reply := func(lines ...string) {
		for _, l := range lines {
			m.toHost = append(m.toHost, "\r\n"+l+"\r\n"...)
		}
	}
	switch {
	case cmd == "ATZ", cmd == "ATE0", cmd == "AT+FCLASS=8", cmd == "AT", cmd == "AT+VLS=0", cmd == "ATH":
		reply("OK")
	case cmd == "AT+VCID=1":
		if m.noVCID {
			reply("ERROR")
		} else {
			reply("OK")
		}
	case cmd == "AT+VLS=1":
		reply("VCON")
	case cmd == "AT+VSM=?":
		reply(append(append([]string(nil), m.formats...), "OK")...)
	case strings.HasPrefix(cmd, "AT+VSM="):
		cml, _, _ := strings.Cut(strings.TrimPrefix(cmd, "AT+VSM="), ",")
		for _, f := range m.formats {
			if strings.HasPrefix(f, cml+",") {
				reply("OK")
				return
			}
		}
		reply("ERROR")
	case cmd == "AT+VTR":
		if m.noVTR {
			reply("ERROR")
			return
		}
		reply("CONNECT")
		m.voice = true
	case cmd == "AT+VRX":
		reply("CONNECT")
		m.voice = true
	default:
		reply("ERROR")
	}
}

func (m *fakeModem) set(f func(m *fakeModem)) {
	m.mu.Lock()
	f(m)
	m.mu.Unlock()
	m.wake()
}

func (m *fakeModem) inVoice() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.voice
}

func (m *fakeModem) cmds() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.commands...)
}

func (m *fakeModem) takeAudio() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.txAudio
	m.txAudio = nil
	return a
}
