// Package telephony is the exchange: it turns channels (SIP dialogs, FXS
// and FXO ports) into calls. Each call runs its dial plan in its own
// goroutine like a script — collect digits, look up the route, dial one or
// more channels, bridge, follow what happens — and ends with a call record.
//
// Sub-packages hold the parts: channel (the face every leg shows), media
// (frames, RTP, SDP, jitter buffer), sip (registrar and SIP legs), analog
// (FXS and FXO legs over board ports) and store (configuration and
// records in bbolt). The web UI reaches the exchange only through Service.
package telephony

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/board"
	"minipbx/telephony/channel"
	"minipbx/telephony/diag"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// Store is what the exchange needs of the configuration database
// (telephony/store.DB implements it).
type Store interface {
	ExportConfig() (store.Config, error)
	AppendCallRecord(r store.CallRecord) (store.CallRecord, error)
}

// Exchange routes and bridges calls. Create it with New, start it with Run.
type Exchange struct {
	log     *slog.Logger
	store   Store
	board   board.Board
	version string
	now     func() time.Time
	started time.Time

	// dialers by technology: "sip" (target: extension number) and
	// "analog" (targets "fxs:N", "fxo:DIGITS").
	sipDialer    channel.Dialer
	analogDialer channel.Dialer

	cfg atomic.Pointer[store.Config]

	mu    sync.Mutex
	calls map[string]*call
	seq   uint64

	// dp is the dial plan's memory across calls (route.go).
	dp runtime

	callWG sync.WaitGroup // one per running call
	hub    hub

	// callCtx is the parent context of every call; cancelled first on
	// shutdown so calls hang up while SIP and the board still run.
	callCtx    context.Context
	cancelCall context.CancelFunc

	// status sources filled in by wiring (wire.go); nil in unit tests.
	registrations func() []Registration
	trunks        func() []TrunkStatus
	security      func() []SecurityAlarm
	portInCall    func(index int) bool
	sim           SimControl
	svcStore      serviceStore
	onConfig      func(*store.Config) // applies a new configuration to SIP and analog
	diag          *diag.Runner        // nil when the box runs no diagnostics

	// mwi tells a mailbox's counts to its owner's phones (nil: no
	// lamps); vmState is voicemail's memory (voicemail.go).
	mwi     func(ext string, newCount, heardCount int)
	vmState vmState
	// vm is the voicemail message store (voicemail_service.go); nil: the
	// box takes no messages.
	vm *voicemail.Store

	// prompts is the box's voice (queue announcements, confirmations).
	prompts *prompts.Set
	// promptFiles shares the recordings menus and queues play among
	// calls (promptfiles.go).
	promptFiles promptFiles
}

// Options configure an Exchange.
type Options struct {
	Store   Store
	Board   board.Board // may be nil in unit tests
	Logger  *slog.Logger
	Version string
	Now     func() time.Time
	// SIP and Analog dial outbound legs; either may be nil (then calls to
	// that technology fail as unavailable).
	SIP    channel.Dialer
	Analog channel.Dialer
	// Registrations lists SIP bindings for status pages.
	Registrations func() []Registration
	// Trunks lists the SIP trunks' states for status pages.
	Trunks func() []TrunkStatus
	// SecurityAlarms lists the SIP accounts locked after password
	// guessing, for status pages.
	SecurityAlarms func() []SecurityAlarm
	// PortInCall tells whether a board port (by index) carries a call.
	PortInCall func(index int) bool
	// Sim is the simulated board's control panel; nil on hardware.
	Sim SimControl
	// OnConfig applies a new configuration to the running SIP stack and
	// analog ports after a change through the Service.
	OnConfig func(*store.Config)
	// Diagnostics runs the line and system tests (diag_service.go); nil
	// when the box has none.
	Diagnostics *diag.Runner
	// MessageWaiting tells the phones of extension ext how many new and
	// heard voicemail messages its mailbox holds (message-waiting lamps,
	// SIP NOTIFY). The exchange calls it for every mailbox when it
	// starts and when the configuration changes, and for one mailbox
	// whenever its messages change (MailboxChanged). Nil: no indication.
	MessageWaiting func(ext string, newCount, heardCount int)
	// Voicemail is the message store. Its Options.OnChange must call the
	// exchange's MailboxChanged, which drives the lamps and tells the
	// Voicemail page. Nil: the box keeps no messages, and the Service's
	// voicemail methods say so.
	Voicemail *voicemail.Store
	// Prompts is the box's voice; nil: the built-in prompts, replaceable
	// from the prompts directory beside the database.
	Prompts *prompts.Set
}

// New makes an exchange over an open store.
func New(o Options) (*Exchange, error) {
	if o.Store == nil {
		return nil, errors.New("telephony: no store")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	x := &Exchange{
		log:          o.Logger,
		store:        o.Store,
		board:        o.Board,
		version:      o.Version,
		now:          o.Now,
		sipDialer:    o.SIP,
		analogDialer: o.Analog,
		calls:        make(map[string]*call),

		registrations: o.Registrations,
		security:      o.SecurityAlarms,
		trunks:        o.Trunks,
		portInCall:    o.PortInCall,
		sim:           o.Sim,
		onConfig:      o.OnConfig,
		diag:          o.Diagnostics,
		mwi:           o.MessageWaiting,
		vm:            o.Voicemail,
	}
	x.started = x.now()
	x.prompts = o.Prompts
	if x.prompts == nil {
		x.prompts = prompts.New(x.promptDir()).WithLogger(x.log)
	}
	x.callCtx, x.cancelCall = context.WithCancel(context.Background())
	x.hub.init()
	if s, ok := o.Store.(serviceStore); ok {
		x.svcStore = s
	}
	if err := x.reload(); err != nil {
		return nil, err
	}
	x.loadMemory()  // the ring strategies continue where they stood (memory.go)
	x.announceMWI() // the lamps are right from the start, e.g. after a reboot
	return x, nil
}

// reload refreshes the exchange's snapshot of the configuration. Calls in
// progress keep the snapshot they started with; new calls see the new one.
func (x *Exchange) reload() error {
	c, err := x.store.ExportConfig()
	if err != nil {
		return fmt.Errorf("telephony: load configuration: %w", err)
	}
	x.cfg.Store(&c)
	return nil
}

// config is the current configuration snapshot; never modify it.
func (x *Exchange) config() *store.Config { return x.cfg.Load() }

// Accept hands an inbound channel to the exchange, which runs its call in a
// new goroutine. It is the OnCall callback of the SIP server and the analog
// manager. After Shutdown it hangs the channel up at once.
func (x *Exchange) Accept(ch channel.Channel) {
	x.mu.Lock()
	if x.callCtx.Err() != nil {
		x.mu.Unlock()
		_ = ch.Hangup(channel.CauseCongestion)
		return
	}
	x.callWG.Add(1)
	x.mu.Unlock()
	go func() {
		defer x.callWG.Done()
		x.runCall(x.callCtx, ch)
	}()
}

// Shutdown hangs up every call cleanly (BYE, on-hook), waits for their
// records to be written, and refuses new calls. It returns early with
// ctx's error if the calls do not end in time.
func (x *Exchange) Shutdown(ctx context.Context) error {
	x.mu.Lock()
	x.cancelCall()
	x.mu.Unlock()
	done := make(chan struct{})
	go func() { x.callWG.Wait(); close(done) }()
	select {
	case <-done:
		x.closeMemory()
		x.hub.close()
		return nil
	case <-ctx.Done():
		x.closeMemory()
		return fmt.Errorf("telephony: shutdown: calls still ending: %w", ctx.Err())
	}
}

// ActiveCalls is the number of calls in progress.
func (x *Exchange) ActiveCalls() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.calls)
}

// LookupSIP returns the SIP secret and display name of an extension, for
// the registrar's digest authentication. It reads the configuration
// snapshot, so a changed secret applies from the next request.
func (x *Exchange) LookupSIP(user string) (secret, name string, ok bool) {
	if x == nil {
		return "", "", false
	}
	e, ok := findExtension(x.config(), user)
	if !ok || e.Secret == "" {
		return "", "", false
	}
	return e.Secret, e.Name, true
}

// Notify tells status subscribers that something of kind ("port",
// "registration") changed outside the exchange.
func (x *Exchange) Notify(kind string) { x.publish(kind) }
