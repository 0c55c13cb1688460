// Package box wires the parts of minipbx into one running exchange: the
// configuration database, the board (reference hardware or simulated), the
// analog ports, the SIP service, the exchange and the web UI. pbxd, its
// self-test and the whole-box tests all start the box through Open, so what
// is tested is what runs.
package box

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/board"
	"minipbx/board/hw"
	"minipbx/board/panel"
	"minipbx/board/sim"
	"minipbx/internal/mail"
	"minipbx/internal/webhook"
	"minipbx/telephony"
	"minipbx/telephony/analog"
	"minipbx/telephony/callrec"
	"minipbx/telephony/channel"
	"minipbx/telephony/diag"
	"minipbx/telephony/faxstore"
	"minipbx/telephony/provision"
	"minipbx/telephony/sip"
	"minipbx/telephony/smdr"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
	"minipbx/upgrade"
	"minipbx/upgrade/datadir"
	"minipbx/webui"
)

// Config says how to start the box.
type Config struct {
	DataDir      string
	HTTPAddr     string // HTTPS web UI and API
	RedirectAddr string // plain HTTP redirecting to HTTPS; "" for none
	SIPAddr      string // UDP and TCP
	// SIPTLSAddr is where phones reach the box over SIP-over-TLS with its
	// certificate ("" for none).
	SIPTLSAddr string
	// Board is "sim" or "auto" (probe the reference hardware; fall back to
	// the simulated board, saying so).
	Board          string
	SimFXS, SimFXO int
	Logger         *slog.Logger
	Version        string
	// Console receives the one-time admin password at the first start.
	Console io.Writer
	// RTPPortMin/Max bound the SIP media ports (0, 0: ephemeral).
	RTPPortMin, RTPPortMax int
	// DiagClock is the diagnostics scheduler's clock (nil: the real one;
	// tests make a schedule fall due with a diag.ManualClock).
	DiagClock diag.Clock
	// BootConfig is the boot configuration (boot.LoadConfig); "" means
	// DefaultBootConfig. When it does not exist, upgrades are disabled.
	BootConfig string
	// Confirm tunes the trial boot's health check (tests shorten it).
	Confirm upgrade.ConfirmOptions
	// Watchdog is the hardware watchdog device; "" means DefaultWatchdog.
	// It is fed only on a box with a boot configuration.
	Watchdog string
	// RunDir holds pbxinit's pbxd.log and pbxd.json; "" means
	// DefaultRunDir.
	RunDir string
	// MailRoots check the mail server's certificate (nil: the system's
	// roots; tests give their server's).
	MailRoots *x509.CertPool
	// Now is the exchange's clock, which decides whether a schedule is
	// open (nil: time.Now); tests move it across business hours.
	Now func() time.Time
	// SIPTune, when set, adjusts the SIP server's configuration before it
	// is built: tests shorten its RTP timeout and tap its legs with it.
	SIPTune func(*sip.Config)
}

// Box is a running exchange with all its parts.
type Box struct {
	cfg    Config
	log    *slog.Logger
	db     *store.DB
	board  board.Board
	sim    *sim.Board // nil on hardware
	analog *analog.Manager
	sip    *sip.Server
	ex     *telephony.Exchange
	admin  *telephony.Admin
	// service is every role the web UI uses (Exchange, Admin, diag.Admin).
	service telephony.Service
	web     *webui.Server
	diag    *diag.Runner
	vm      *voicemail.Store // re-read after a restore (upgrade.go)
	// encryption: the extensions that require TLS and SRTP (siptls.go).
	encryption encryptionPolicy
	// The billing output and the e-mail (outputs.go); alarmedRun is the
	// diagnostic run last mailed as an alarm.
	smdr       *smdr.Manager
	mail       *mail.Mailer
	hooks      *webhook.Sender
	alarmedRun atomic.Uint64

	// desc is the board description read at start (boardmap.go): the
	// one -board auto brings up, shown on the PBX parameters page.
	desc hw.Description

	// Upgrades (upgrade.go): eng is nil when they are disabled, and
	// upgradeOff says why; restored is set when the database was
	// returned to its pre-upgrade snapshot at this start.
	eng            *upgrade.Engine
	upgradeOff     string
	bootConfigured bool
	restored       *datadir.SnapshotInfo
	exitReq        chan struct{}
	exitOnce       sync.Once
	exitCode       atomic.Int32
	healthOverride func(context.Context) error // tests

	// defaultCalls is the board's own figure of calls at once
	// (capacity.go), in force while the configuration names none.
	defaultCalls int

	// prov provisions IP phones (provision.go).
	prov *provision.Service

	ready    chan struct{}
	webReady chan struct{}
	webAddr  string
	webPlain string // the plain-HTTP port's address, "" for none
	webMu    sync.Mutex
	shutdown chan struct{}
}

// Open starts nothing yet but checks and prepares everything: the data
// directory, the database (refusing a corrupt one), the board and the SIP
// socket, so that a start that cannot work fails here with a clear error.
func Open(ctx context.Context, c Config) (_ *Box, err error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Console == nil {
		c.Console = io.Discard
	}
	log := c.Logger
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	b := &Box{cfg: c, log: log, ready: make(chan struct{}), webReady: make(chan struct{}), shutdown: make(chan struct{}), exitReq: make(chan struct{})}
	defer func() {
		if err != nil {
			b.closeParts()
		}
	}()

	desc, _, err := loadDescription(c.DataDir)
	if err != nil {
		return nil, err
	}
	b.desc = desc
	if err := b.openBoard(ctx); err != nil {
		return nil, err
	}
	var limits store.Limits
	for _, p := range b.board.Ports() {
		switch p.Info().Kind {
		case board.FXS:
			limits.FXSPorts++
		case board.FXO:
			limits.FXOPorts++
		}
	}
	if err := b.openStore(ctx, &limits); err != nil {
		return nil, err
	}
	b.openUpgrade()
	cfg, err := b.db.ExportConfig()
	if err != nil {
		return nil, err
	}

	files, err := raiseFileLimit()
	if err != nil {
		log.Warn("cannot read the descriptor limit; SIP connection limits at their defaults", "err", err)
	} else {
		log.Info("descriptor limit", "files", files)
	}

	// The exchange is created after the parts that call into it; they
	// reach it through this closure, which only runs once Run started.
	var ex *telephony.Exchange
	ac := analogConfig(b.board, &cfg, log, func(ch channel.Channel) { ex.Accept(ch) })
	// A ringing line whose caller is to be called back is left ringing
	// (callback: no charge to the caller); asked only once Run started.
	ac.ShouldAnswer = func(line int, caller channel.CallerID) bool { return ex == nil || ex.AnswerLine(line, caller) }
	b.analog, err = analog.New(ac)
	if err != nil {
		return nil, err
	}
	b.doNotDisturb(&cfg)
	b.applyEncryption(&cfg)
	b.simZone(&cfg)
	var sipTLS *tls.Config
	if c.SIPTLSAddr != "" {
		sipTLS = sipTLSConfig(c.DataDir)
	}
	b.defaultCalls = boardMaxCalls()
	if b.prov, err = b.openProvisioning(); err != nil {
		return nil, err
	}
	sc := sip.Config{
		Addr:              anyHost(c.SIPAddr),
		TLSAddr:           anyHost(c.SIPTLSAddr),
		TLS:               sipTLS,
		RequireEncryption: b.encryption.requires,
		MaxCalls:          sipLegs(b.maxCalls(cfg.System.MaxCalls)),
		Realm:             realm(&cfg),
		Credentials:       sip.CredentialsFunc(func(user string) (string, string, bool) { return ex.LookupSIP(user) }),
		OnCall:            func(ch channel.Channel) { ex.Accept(ch) },
		// Busy lamps (lamps.go): only asked once Run started and ex is set.
		Lamps: func(number string) (sip.Lamp, bool) { return lampOf(ex, number) },
		// Phones' plug-and-play SUBSCRIBEs (provision.go).
		Profiles: b.profileSource,
		OnRegistrationChange: func(sip.Binding, bool) {
			if ex != nil {
				ex.Notify("registration")
			}
		},
		Bindings: b.db, // registrations survive a restart
		Bans:     b.db, // and so do the authentication-failure counters
		Conns:    sipConnLimits(files),
		OnSecurityAlarms: func([]sip.SecurityAlarm) {
			if ex != nil {
				ex.Notify("security")
			}
		},
		RTPPortMin: c.RTPPortMin,
		RTPPortMax: c.RTPPortMax,
		Trunks:     sipTrunks(&cfg),
		OnTrunkChange: func(sip.TrunkStatus) {
			if ex != nil {
				ex.Notify("registration")
			}
		},
		Logger: log.With("part", "sip"),
	}
	if c.SIPTune != nil {
		c.SIPTune(&sc)
	}
	b.sip, err = sip.New(sc)
	if err != nil {
		return nil, err
	}
	if err := b.sip.Listen(); err != nil {
		return nil, fmt.Errorf("SIP on %s: %w", c.SIPAddr, err)
	}
	if err := b.openDiag(); err != nil {
		return nil, err
	}
	// The voicemail messages. Every change to a mailbox (a message left,
	// heard, deleted) goes to the exchange's MailboxChanged, which lights
	// the lamps and tells the Voicemail page; changes come from calls and
	// the web UI, so only once Run started and ex is set.
	layout := datadir.Of(c.DataDir)
	vm, err := voicemail.Open(layout.Voicemail(), voicemail.Options{
		Logger: log.With("part", "voicemail"),
		OnChange: func(box string, newCount, heardCount int) {
			if ex != nil {
				ex.MailboxChanged(box, newCount, heardCount)
				b.voicemailChanged(box) // voicemail by e-mail
			}
		},
	})
	if err != nil {
		return nil, err
	}
	b.vm = vm
	if err := b.openOutputs(&cfg, layout); err != nil {
		return nil, err
	}
	// The recordings of calls: their alarms (a quota near full, a full
	// disk) reach the log and the status page.
	recs, err := callrec.Open(layout.CallRecordings(), callrec.Options{
		Logger: log.With("part", "callrec"),
		OnAlarm: func(msg string) {
			log.Warn("call recordings: " + msg)
			if ex != nil {
				ex.Notify("alert")
			}
		},
	})
	if err != nil {
		return nil, err
	}
	// The faxes the box receives (fax:NAME), mailed where their
	// receiver has an address.
	faxes, err := faxstore.Open(layout.Faxes(), faxstore.Options{Logger: log.With("part", "faxstore")})
	if err != nil {
		return nil, err
	}
	opts := telephony.Options{
		Now:            c.Now,
		Recordings:     recs,
		Faxes:          faxes,
		OnFax:          b.faxReceived(faxes),
		Store:          recordingStore{b.db, b},
		BoardName:      b.board.Name(),
		Ports:          b.portStatus,
		Logger:         log.With("part", "exchange"),
		Version:        c.Version,
		SIP:            b.sip.Dialer(),
		Analog:         b.analog.Dialer(),
		Registrations:  b.registrations,
		Trunks:         b.trunkStatus,
		OnConfig:       b.applyConfig,
		Voicemail:      vm,
		PromptDir:      layout.Prompts(),
		SecurityAlarms: b.securityAlarms,
		// The lamps (analog VMWI, stutter dial tone) and SIP NOTIFYs.
		MessageWaiting: b.messageWaiting(),
		// The busy lamps of SIP phones' BLF keys (lamps.go).
		Presence: func(p telephony.Presence) { b.sip.SetLamp(lampFrom(p)) },
		// Music-on-hold classes played live from an analog port.
		LiveAudio: b.analog.LiveAudio,
		// Calls ringing, answered and ended, for the webhooks.
		CallEvents: b.hooks.Notify,
		// The setup wizard's test registration of a trunk (trunks.go).
		TestTrunk: b.testTrunk,
		// The auto-dialer's campaigns and the do-not-call list.
		Campaigns: b.db,
	}
	if b.sim != nil {
		opts.Sim = simControl{b.sim}
	}
	ex, err = telephony.New(opts)
	if err != nil {
		return nil, err
	}
	b.ex = ex
	b.admin, err = telephony.NewAdmin(telephony.AdminOptions{Store: b.db, Reload: ex, Logger: log.With("part", "admin"),
		Voicemail: vm, PromptDir: layout.Prompts(), CallRecordings: recs, Faxes: faxes})
	if err != nil {
		return nil, err
	}
	b.service = telephony.Compose(ex, b.admin, diag.NewAdmin(b.db, b.diag, ex))
	b.web, err = webui.New(webui.Options{Service: b.service, DataDir: c.DataDir, Logger: log.With("part", "webui"),
		Maintenance: maintenance{b}, State: b.db, DefaultMaxCalls: b.defaultCalls, Outputs: outputs{b}, Webhooks: outputs{b}, Campaigns: ex,
		Board: boardMap{b}, Provisioning: b.prov,
		Ready: func(https, plain net.Addr) {
			b.webMu.Lock()
			b.webAddr = https.String()
			if plain != nil {
				b.webPlain = plain.String()
			}
			b.webMu.Unlock()
			close(b.webReady)
		}})
	if err != nil {
		return nil, err
	}
	// Last, once nothing else can fail: a password printed by a start that
	// then fails would be lost (pbxctl passwd makes a new one).
	pw, created, err := b.db.EnsureAdminPassword()
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(c.Console, "\n"+
			"  ============================================================\n"+
			"   minipbx first start: the admin password of this box is\n\n"+
			"       %s\n\n"+
			"   It is shown only this once. Log in to the web UI with it;\n"+
			"   you will be asked to choose your own. Lost it? Stop pbxd\n"+
			"   and run: pbxctl -data %s passwd\n"+
			"  ============================================================\n\n", pw, c.DataDir)
	}
	return b, nil
}

// anyHost turns ":5060" into "0.0.0.0:5060": the SIP layer needs an
// address to write into Via and Contact, and finds the machine's own when
// given the unspecified one.
func anyHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		return addr
	}
	return net.JoinHostPort("0.0.0.0", port)
}

// openBoard brings up the hardware, or the simulated board.
func (b *Box) openBoard(ctx context.Context) error {
	c := b.cfg
	if c.Board == "auto" {
		onReboot, onReset := b.resetButton()
		vm := peekVoiceModem(c.DataDir)
		hb, err := hw.Open(ctx, b.desc, hw.Options{Logger: b.log.With("part", "hw"),
			OnReboot: onReboot, OnFactoryReset: onReset,
			ModemInit: vm.InitString, ModemTimeout: time.Duration(vm.TimeoutMS) * time.Millisecond})
		if err == nil {
			b.board = hb
			return nil
		}
		if !errors.Is(err, hw.ErrNoHardware) {
			return fmt.Errorf("board: %w", err)
		}
		b.log.Warn("no telephony hardware answered: running the SIMULATED board; analog ports are virtual", "reason", err)
	}
	s, err := sim.New(sim.Config{FXS: c.SimFXS, FXO: c.SimFXO, Logger: b.log.With("part", "sim")})
	if err != nil {
		return fmt.Errorf("simulated board: %w", err)
	}
	b.board, b.sim = s, s
	return nil
}

// Run serves until ctx ends, then hangs every call up cleanly, stops the
// parts and closes the database.
func (b *Box) Run(ctx context.Context) error {
	partsCtx, stopParts := context.WithCancel(context.Background())
	defer stopParts()
	type result struct {
		part string
		err  error
	}
	results := make(chan result, 16) // one per part: none may block on exit
	var wg sync.WaitGroup
	start := func(part string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- result{part, f(partsCtx)}
		}()
	}
	start("sip", b.sip.Run)
	start("analog", b.analog.Run)
	start("web", func(ctx context.Context) error {
		return b.web.ListenAndServe(ctx, b.cfg.HTTPAddr, b.cfg.RedirectAddr)
	})
	start("status", b.watchPorts)
	start("diagnostics", b.diag.Loop)
	start("memory", b.scavenge)
	start("smdr", b.smdr.Run)
	start("mail", b.mail.Run)
	start("webhooks", b.hooks.Run)
	if b.eng != nil {
		start("upgrade", b.confirm)
	}
	if wd := b.watchdog(); wd != nil {
		start("watchdog", wd)
	}
	if hb, ok := b.board.(*hw.Board); ok && hb.Panel() != nil {
		start("panel", func(ctx context.Context) error { return b.heartbeat(ctx, hb.Panel()) })
	}
	go func() {
		select {
		case <-b.sip.Ready():
		case <-partsCtx.Done():
			return
		}
		select {
		case <-b.webReady:
		case <-partsCtx.Done():
			return
		}
		close(b.ready)
	}()

	var runErr error
	select {
	case <-ctx.Done():
	case <-b.exitReq:
	case r := <-results:
		if r.err != nil && !errors.Is(r.err, context.Canceled) {
			runErr = fmt.Errorf("%s: %w", r.part, r.err)
		}
	}
	b.log.Info("stopping: hanging up calls")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := b.ex.Shutdown(sctx); err != nil {
		b.log.Warn("calls did not end in time", "err", err)
	}
	cancel()
	stopParts()
	wg.Wait()
	close(b.shutdown)
	if err := b.closeParts(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// heartbeat keeps the lifeline relay energised (the FXS ports on their
// chips) only while the exchange runs: once a second after SIP and the web
// UI are up, until the box stops. If pbxd hangs or dies, the panel lets the
// relay fall back within its timeout and FXS 1 is wired to FXO 1 again.
func (b *Box) heartbeat(ctx context.Context, p *panel.Panel) error {
	p.SetStatus(panel.Booting)
	select {
	case <-b.ready:
	case <-ctx.Done():
		return nil
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		status := panel.Ready
		for _, ps := range b.analog.PortStates() {
			if ps.Fault != "" {
				status = panel.Alarm
			}
		}
		if b.diagAlarm() {
			status = panel.Alarm
		}
		p.SetStatus(status)
		p.Healthy()
		select {
		case <-ctx.Done():
			p.SetStatus(panel.Booting)
			return nil
		case <-t.C:
		}
	}
}

// closeParts releases the board and the database.
func (b *Box) closeParts() error {
	var errs []error
	if b.board != nil {
		if err := b.board.Close(); err != nil {
			errs = append(errs, fmt.Errorf("board: %w", err))
		}
		b.board = nil
	}
	if b.db != nil {
		if err := b.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("database: %w", err))
		}
		b.db = nil
	}
	return errors.Join(errs...)
}

// Ready is closed once SIP and the web UI accept connections.
func (b *Box) Ready() <-chan struct{} { return b.ready }

// SIPAddr is the bound SIP address (UDP and TCP).
func (b *Box) SIPAddr() string { return b.sip.Addr().String() }

// SIPTLSAddr is the bound SIP-over-TLS address, "" when there is none.
func (b *Box) SIPTLSAddr() string {
	if a := b.sip.TLSAddr(); a.IsValid() {
		return a.String()
	}
	return ""
}

// WebAddr is the bound HTTPS address, once Ready.
func (b *Box) WebAddr() string {
	b.webMu.Lock()
	defer b.webMu.Unlock()
	return b.webAddr
}

// BoardName names the board in use.
func (b *Box) BoardName() string { return b.board.Name() }

// Sim is the simulated board, or nil on hardware.
func (b *Box) Sim() *sim.Board { return b.sim }

// Exchange is the running exchange.
func (b *Box) Exchange() *telephony.Exchange { return b.ex }

// Service is every role of the box the web UI uses, as it is given them.
func (b *Box) Service() telephony.Service { return b.service }

func (b *Box) registrations() []telephony.Registration {
	var out []telephony.Registration
	for _, r := range b.sip.Registrations() {
		out = append(out, telephony.Registration{Extension: r.Extension, Contact: r.Contact,
			Source: r.Transport + " " + r.Source, UserAgent: r.UserAgent, Expires: r.Expires})
	}
	return out
}

func (b *Box) securityAlarms() []telephony.SecurityAlarm {
	var out []telephony.SecurityAlarm
	for _, a := range b.sip.SecurityAlarms() {
		out = append(out, telephony.SecurityAlarm(a))
	}
	return out
}

// portStatus lists the board's ports for the status page.
func (b *Box) portStatus() []telephony.PortStatus {
	inCall := map[int]bool{}
	for _, s := range b.analog.PortStates() {
		inCall[s.Index] = s.InCall
	}
	counts := map[string]int{}
	var out []telephony.PortStatus
	for _, p := range b.board.Ports() {
		info, ps := p.Info(), p.Status()
		kind := info.Kind.String()
		counts[kind]++
		out = append(out, telephony.PortStatus{Index: info.Index, Number: counts[kind], Kind: kind, Name: info.Name,
			Hook: ps.Hook.String(), Line: ps.Line.String(), Fault: ps.Fault, InCall: inCall[info.Index]})
	}
	return out
}

// watchPorts tells the web UI's live status when a port's state changes.
// Polling four times a second costs nothing and needs no hook into every
// driver.
func (b *Box) watchPorts(ctx context.Context) error {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	var last []analog.PortState
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := b.analog.PortStates()
		if !samePorts(last, now) {
			last = now
			b.ex.Notify("port")
		}
	}
}

func samePorts(a, b []analog.PortState) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// applyConfig hands a changed configuration to the analog ports.
func (b *Box) applyConfig(cfg *store.Config) {
	b.applyEncryption(cfg)
	b.simZone(cfg)
	if err := b.analog.Update(analogConfig(b.board, cfg, b.log, b.analogOnCall())); err != nil {
		b.log.Error("analog ports: new configuration not applied", "err", err)
	}
	b.doNotDisturb(cfg)
	b.diag.Reschedule() // the schedule or the time zone may have changed
	if err := b.sip.SetTrunks(sipTrunks(cfg)); err != nil {
		b.log.Error("SIP trunks: new configuration not applied", "err", err)
	}
	b.sip.SetMaxCalls(sipLegs(b.maxCalls(cfg.System.MaxCalls)))
	b.outputsConfigured(cfg)
}

// simZone makes the simulated office sound like the country chosen, as a
// real one would: its telco lines ring and its phones hear by that zone.
func (b *Box) simZone(cfg *store.Config) {
	if b.sim == nil {
		return
	}
	if err := b.sim.SetZone(cfg.System.ToneZone); err != nil {
		b.log.Error("simulated board: tone zone not applied", "err", err)
	}
}

func (b *Box) analogOnCall() func(channel.Channel) {
	return func(ch channel.Channel) { b.ex.Accept(ch) }
}

func realm(cfg *store.Config) string {
	if cfg.System.Name != "" {
		return cfg.System.Name
	}
	return "minipbx"
}

// analogConfig derives the analog ports' settings from the configuration.
func analogConfig(bd board.Board, cfg *store.Config, log *slog.Logger, onCall func(channel.Channel)) analog.Config {
	ac := analog.Config{Board: bd, Zone: cfg.System.ToneZone, OnCall: onCall, Logger: log.With("part", "analog")}
	if loc, err := time.LoadLocation(cfg.System.TimeZone); err == nil {
		ac.Location = loc
	}
	for _, l := range cfg.FXOLines {
		ac.Lines = append(ac.Lines, analog.LineConfig{Port: l.Port, Enabled: l.Enabled,
			AnswerAfterRings: l.AnswerAfterRings, AnswerOnReversal: l.AnswerOnReversal})
	}
	for _, p := range cfg.FXSPorts {
		lo, hi := p.FlashWindow()
		ac.FXS = append(ac.FXS, analog.FXSConfig{Port: p.Port,
			FlashMin: time.Duration(lo) * time.Millisecond, FlashMax: time.Duration(hi) * time.Millisecond})
	}
	return ac
}
