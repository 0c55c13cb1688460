// Package telephony is the exchange: it turns channels (SIP dialogs, FXS
// and FXO ports) into calls.
//
// # The call core
//
// A leg (leg.go) is one channel inside the exchange. It belongs to one
// call at a time — the call whose script receives its events — and sits
// in at most one bridge (package bridge), which owns its media; both can
// change while the leg lives, so a leg outlives the call that made it: a
// transferred caller moves to the target's bridge, a phone that picks a
// call up joins that call, a phone with call waiting bounces between two
// calls, a parked call waits in a bridge of its own with music.
//
// A call (call.go) runs the dial plan for the leg that started it in its
// own goroutine, like a script. Everything it waits for arrives in its
// inbox: its legs' events and messages from other calls (ctl.go: "take
// this phone as your party", "hand me your party", "let this leg replace
// yours") and from the operator's view. Its record is the path of its legs.
//
// A router (router.go) is a call's routing object: it reaches compiled,
// typed destinations (plan.go) for one party, within one permission
// class, showing one caller ID; a forwarding step, a transfer or a queue
// works on a copy of it. The conversation (talk.go, transfer.go) follows
// the parties through holds, transfers, three-way calls, call waiting and
// parking.
//
// Applications (menu.go, queue.go, voicemail.go, announce.go, feature.go,
// conference.go, paging.go, park.go, pickup.go) are small types that act
// on legs and bridges through the router; they share one prompt-and-keypad
// helper (keypad.go).
//
// The administration side (admin.go: configuration, records, voicemail
// boxes, recordings; telephony/diag: diagnostics) is apart from call
// control; the web UI reaches both through the small role interfaces of
// service.go. The exchange knows nothing of boards: analog ports are
// channels like any other.
package telephony

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/telephony/callrec"
	"minipbx/telephony/channel"
	"minipbx/telephony/faxstore"
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

// Exchange routes and bridges calls. Create it with New; hand it inbound
// channels with Accept; stop it with Shutdown.
type Exchange struct {
	log     *slog.Logger
	store   Store
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
	legs  map[string]*leg
	seq   uint64
	// ringing are the calls ringing phones (pickup), waiters the calls
	// waiting for a busy analog phone (call waiting, a held party),
	// parked the park slots in use, rooms the conference rooms in use.
	ringing []*ringing
	waiters map[*leg]*call
	parked  map[string]*parkedCall
	rooms   map[string]*room
	// lamps are what the busy lamps were last told (presence.go).
	lamps map[string]Presence

	// dp is the dial plan's memory across calls (runtime.go).
	dp runtime
	// access counts wrong DISA and callback PINs by caller (security.go);
	// callbacks are the callbacks waiting to be made (callback.go).
	access    pinLocks
	callbacks map[string]bool
	// dial is the auto-dialer of campaigns (campaign.go); its db is nil
	// on a box without them.
	dial dialer
	// events is told of calls ringing, answered and ended (webhooks);
	// nil: nobody listens.
	events func(CallEvent)

	callWG sync.WaitGroup // one per running call
	hub    hub

	// callCtx is the parent context of every call; cancelled first on
	// shutdown so calls hang up while SIP and the board still run.
	callCtx    context.Context
	cancelCall context.CancelFunc

	// status sources filled in by wiring; nil in unit tests.
	boardName     string
	ports         func() []PortStatus
	registrations func() []Registration
	trunks        func() []TrunkStatus
	security      func() []SecurityAlarm
	sim           SimControl
	onConfig      func(*store.Config)
	presence      func(Presence)
	live          func(port string) (source, error)

	// mwi tells a mailbox's counts to its owner's phones (nil: no
	// lamps); vmState is voicemail's memory (voicemail.go).
	mwi     func(ext string, newCount, heardCount int)
	vmState vmState
	// vm is the voicemail message store; nil: the box takes no messages.
	vm *voicemail.Store
	// recs keeps the recordings of calls; nil: no call is recorded.
	recs *callrec.Store
	// faxes keeps received faxes, onFax hears of each (Options).
	faxes *faxstore.Store
	onFax func(store.FaxReceiver, faxstore.Fax)
	// testTrunk tries a trunk's registration (setup.go); nil: none.
	testTrunk func(ctx context.Context, t store.Trunk) (TrunkTest, error)

	// prompts is the box's voice (queue announcements, confirmations).
	prompts *prompts.Set
	// promptFiles shares the recordings menus and queues play among
	// calls (promptfiles.go).
	promptFiles promptFiles
	// promptDirPath is Options.PromptDir.
	promptDirPath string
}

// Options configure an Exchange.
type Options struct {
	Store   Store
	Logger  *slog.Logger
	Version string
	Now     func() time.Time
	// SIP and Analog dial outbound legs; either may be nil (then calls to
	// that technology fail as unavailable).
	SIP    channel.Dialer
	Analog channel.Dialer
	// BoardName and Ports describe the board for the status page (Ports
	// lists every analog port; the exchange adds what it knows of them).
	BoardName string
	Ports     func() []PortStatus
	// Registrations lists SIP bindings for status pages.
	Registrations func() []Registration
	// Trunks lists the SIP trunks' states for status pages.
	Trunks func() []TrunkStatus
	// SecurityAlarms lists the SIP accounts locked after password
	// guessing, for status pages.
	SecurityAlarms func() []SecurityAlarm
	// Sim is the simulated board's control panel; nil on hardware.
	Sim SimControl
	// OnConfig applies a new configuration to the running SIP stack and
	// analog ports after a change.
	OnConfig func(*store.Config)
	// Presence is told whenever an extension's or park slot's state
	// changes (idle, ringing, busy): busy lamps (RFC 4235). Nil: nobody
	// listens.
	Presence func(Presence)
	// LiveAudio opens the live audio of an analog port for a
	// music-on-hold class that names one ("fxo:2"); nil: none.
	LiveAudio func(port string) (func(out []int16) bool, error)
	// MessageWaiting tells the phones of extension ext how many new and
	// heard voicemail messages its mailbox holds (message-waiting lamps,
	// SIP NOTIFY). The exchange calls it for every mailbox when it
	// starts and when the configuration changes, and for one mailbox
	// whenever its messages change (MailboxChanged). Nil: no indication.
	MessageWaiting func(ext string, newCount, heardCount int)
	// Voicemail is the message store. Its Options.OnChange must call the
	// exchange's MailboxChanged, which drives the lamps and tells the
	// Voicemail page. Nil: the box keeps no messages.
	Voicemail *voicemail.Store
	// Prompts is the box's voice; nil: the built-in prompts, replaceable
	// from PromptDir.
	Prompts *prompts.Set
	// Recordings keeps the recordings of calls (its quota and retention
	// follow the configuration); nil: no call is recorded.
	Recordings *callrec.Store
	// Faxes keeps the faxes the box receives (fax:NAME destinations);
	// nil: a fax receiver answers and receives, but keeps nothing.
	Faxes *faxstore.Store
	// OnFax is told each fax kept (to mail it), from the call's
	// goroutine; it must not block.
	OnFax func(f store.FaxReceiver, fax faxstore.Fax)
	// CallEvents is told when a call starts ringing someone, is first
	// answered and has ended (with its record): what webhooks send. It
	// is called from the call's own goroutine and must not block (queue
	// the event and return). Nil: nobody is told.
	CallEvents func(CallEvent)
	// PromptDir holds the installer's recordings that menus,
	// announcements and queues play by name, and replacements of the
	// built-in prompts (the data directory's layout says where: package
	// upgrade/datadir); "" none.
	PromptDir string
	// TestTrunk tries a trunk's registration with its provider (the SIP
	// stack's); nil: TestTrunk answers ErrNoTrunkTest.
	TestTrunk func(ctx context.Context, t store.Trunk) (TrunkTest, error)
	// Campaigns, when set, are the auto-dialer's campaigns and the
	// do-not-call list (campaign.go); CampaignTick is how often it looks
	// for contacts to call (0: DefaultCampaignTick).
	Campaigns    CampaignStore
	CampaignTick time.Duration
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
		version:      o.Version,
		now:          o.Now,
		sipDialer:    o.SIP,
		analogDialer: o.Analog,
		calls:        make(map[string]*call),
		legs:         make(map[string]*leg),
		waiters:      make(map[*leg]*call),
		parked:       make(map[string]*parkedCall),
		rooms:        make(map[string]*room),

		boardName:     o.BoardName,
		ports:         o.Ports,
		registrations: o.Registrations,
		trunks:        o.Trunks,
		security:      o.SecurityAlarms,
		sim:           o.Sim,
		onConfig:      o.OnConfig,
		presence:      o.Presence,
		mwi:           o.MessageWaiting,
		vm:            o.Voicemail,
		recs:          o.Recordings,
		faxes:         o.Faxes,
		onFax:         o.OnFax,
		callbacks:     make(map[string]bool),
		events:        o.CallEvents,
		testTrunk:     o.TestTrunk,
		dial:          dialer{db: o.Campaigns, tick: cmp.Or(o.CampaignTick, DefaultCampaignTick), up: map[string]int{}, calling: map[string]bool{}, idle: map[string]idleMark{}},
	}
	x.access.after, x.access.lockFor = accessLockAfter, accessLockFor
	x.vmState.pins.after, x.vmState.pins.lockFor = vmLockAfter, vmLockFor
	if o.LiveAudio != nil {
		x.live = func(port string) (source, error) {
			f, err := o.LiveAudio(port)
			return source(f), err
		}
	}
	x.started = x.now()
	x.promptDirPath = o.PromptDir
	x.prompts = o.Prompts
	if x.prompts == nil {
		x.prompts = prompts.New(x.promptDir()).WithLogger(x.log)
	}
	x.callCtx, x.cancelCall = context.WithCancel(context.Background())
	x.hub.init()
	if err := x.reload(); err != nil {
		return nil, err
	}
	x.loadMemory()  // the ring strategies continue where they stood (memory.go)
	x.announceMWI() // the lamps are right from the start, e.g. after a reboot
	if x.dial.db != nil {
		x.callWG.Add(1)
		go x.runCampaigns()
	}
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
	if x.recs != nil {
		r := c.Recording
		x.recs.SetLimits(callrec.Limits{Quota: int64(r.QuotaMB) << 20, ExtensionQuota: int64(r.ExtensionQuotaMB) << 20,
			Retention: time.Duration(r.RetentionDays) * 24 * time.Hour})
	}
	return nil
}

// Reload takes the stored configuration as the exchange's own after a
// change (the web UI's, pbxctl's, a feature code's): new calls follow it,
// calls in progress keep theirs, the SIP stack and the analog ports are
// told (Options.OnConfig), the lamps and the busy lamps are set again, and
// status subscribers hear of it.
func (x *Exchange) Reload() error {
	if err := x.reload(); err != nil {
		return err
	}
	if x.onConfig != nil {
		x.onConfig(x.config())
	}
	x.announceMWI() // mailboxes added or removed, extensions moved
	x.presenceAll()
	x.publish("config")
	return nil
}

// reloadAndApply is Reload, for the exchange's own changes (feature codes,
// a PIN changed by phone).
func (x *Exchange) reloadAndApply() error { return x.Reload() }

// config is the current configuration snapshot; never modify it.
func (x *Exchange) config() *store.Config { return x.cfg.Load() }

// Config is the current configuration snapshot (read only).
func (x *Exchange) Config() *store.Config { return x.config() }

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

// Sim implements StatusService.
func (x *Exchange) Sim() SimControl { return x.sim }

// Version implements StatusService.
func (x *Exchange) Version() string { return x.version }
