package webui

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

//go:embed assets
var assets embed.FS

// Options configure a Server. Service is required; the rest have
// defaults.
type Options struct {
	Service telephony.Service
	// DataDir holds tls/cert.pem and tls/key.pem.
	DataDir string
	Logger  *slog.Logger
	// Now is the clock (tests move it to expire sessions and locks).
	Now func() time.Time
	// Lockout is the failed-login policy (zero: 5 failures → 5 minutes,
	// doubling up to an hour; see LockoutPolicy).
	Lockout LockoutPolicy
	// SessionIdle ends a session after this long without a request
	// (default 30 minutes); SessionMax ends it this long after login
	// whatever the activity (default 12 hours).
	SessionIdle time.Duration
	SessionMax  time.Duration
	// Heartbeat is the interval of keep-alive comments on event streams,
	// at which a stream also notices that its session ended (default 15 s).
	Heartbeat time.Duration
	// Ready, when set, is called by ListenAndServe with the bound
	// addresses once it accepts connections (redirect is nil when not
	// served), e.g. to log the URL or for tests using port 0.
	Ready func(https, redirect net.Addr)
	// Maintenance, when set, serves the Maintenance page and its API
	// (upgrade, backup, restore, factory reset; see maintenance.go).
	Maintenance Maintenance
	// State, when set, keeps the login lock-out's counters and the
	// sessions across a restart (the box passes its database); nil keeps
	// them in memory only.
	State StateStore
	// DefaultMaxCalls is the board's own figure of calls at once, which
	// the settings page shows as what an empty max_calls means.
	DefaultMaxCalls int
	// Outputs, when set, shows the e-mail and SMDR outputs' state and
	// sends test messages (outputs.go).
	Outputs Outputs
	// Webhooks, when set, shows the webhook deliveries' state and sends
	// test events (webhooks.go).
	Webhooks Webhooks
	// Campaigns, when set, is the auto-dialer: the Campaigns page and
	// /api/v1/campaigns (campaigns.go).
	Campaigns telephony.CampaignService
	// Board, when set, describes the board's PCM timeslot map for the PBX
	// parameters page and takes a custom one (parameters.go).
	Board BoardMap
	// Provisioning, when set, serves the phones' configuration files
	// (/provision/, outside the session: the phones' URLs carry their
	// credential; also on the plain-HTTP port, where it refuses unless
	// allowed) and the Phones page (phones.go).
	Provisioning Provisioning
}

// StateStore keeps what the web UI must remember across a restart, as
// JSON values by name (store.DB implements it).
type StateStore interface {
	LoadSecurityState(name string) ([]byte, error)
	SaveSecurityState(name string, data []byte) error
}

// Names of the web UI's saved state.
const (
	lockoutState  = "web-lockout"
	sessionsState = store.WebSessionsState
)

// Server is the web UI and REST API.
type Server struct {
	svc       telephony.Service
	maint     Maintenance
	outputs   Outputs
	hooks     Webhooks
	campaigns telephony.CampaignService
	prov      Provisioning
	dataDir   string
	log       *slog.Logger
	now       func() time.Time
	heartbeat time.Duration

	sessions *sessions
	lock     *lockout
	basic    *basicCache
	drafts   *drafts       // forms kept while a picker creates an object (drafts.go)
	imports  chan struct{} // one audio conversion at a time (upload.go)
	wiz      *wizards      // the setup wizard's drafts (wizard.go)

	defaultCalls int // Options.DefaultMaxCalls
	board        BoardMap
	pages        *pageSet
	cat          catalog // the web UI's translations (i18n.go)
	static       fs.FS
	openapi      []byte
	handler      http.Handler
	zones        []option // tone zones for the settings form

	// perms is who may use each route (permissions.go); mux is the
	// routes' mux, which the navigation asks what a link leads to.
	perms map[string]string
	mux   *http.ServeMux

	locMu sync.Mutex
	loc   *time.Location // cached time zone of the box

	readyFn    func(https, redirect net.Addr)
	streams    atomic.Int32  // open event streams
	shutdownCh chan struct{} // closed when ListenAndServe shuts down
	shutOnce   sync.Once

	// readTimeout and writeTimeout bound reading a request (its body
	// included) and writing the response; event streams lift them for
	// themselves. Fields so that tests can shorten them.
	readTimeout, writeTimeout time.Duration
	maxStreams                int32
}

// defaultMaxStreams bounds concurrent event streams; each holds a
// goroutine and a subscription in the exchange.
const defaultMaxStreams = 32

// New makes a Server. It does not touch the network or the disk (but for
// reading Options.State); the certificate is made by ListenAndServe.
func New(o Options) (*Server, error) {
	if o.Service == nil {
		return nil, errors.New("webui: Options.Service is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = 30 * time.Minute
	}
	if o.SessionMax <= 0 {
		o.SessionMax = 12 * time.Hour
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.DataDir == "" {
		o.DataDir = "."
	}
	s := &Server{
		svc:       o.Service,
		maint:     o.Maintenance,
		outputs:   o.Outputs,
		hooks:     o.Webhooks,
		campaigns: o.Campaigns,
		prov:      o.Provisioning,
		dataDir:   o.DataDir,
		log:       o.Logger,
		now:       o.Now,
		heartbeat: o.Heartbeat,
		sessions:  newSessions(o.SessionIdle, o.SessionMax, o.Now),
		lock:      newLockout(o.Lockout, o.Now),
		basic:     newBasicCache(o.Now),
		drafts:    newDrafts(o.Now),
		imports:   make(chan struct{}, 1),

		defaultCalls: o.DefaultMaxCalls,
		board:        o.Board,
		perms:        routePermissions(),
		shutdownCh:   make(chan struct{}),
		readyFn:      o.Ready,
		zones:        zoneOptions(),

		readTimeout:  30 * time.Second,
		writeTimeout: 60 * time.Second,
		maxStreams:   defaultMaxStreams,
	}
	s.lock.log = o.Logger
	s.wiz = newWizards(o.State, o.Logger)
	if o.State != nil {
		s.loadState(o.State)
	}
	var err error
	s.cat = newCatalog(assets, store.WebLanguages())
	if s.pages, err = newPageSet(s.cat); err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	if s.static, err = fs.Sub(assets, "assets/static"); err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	if s.openapi, err = assets.ReadFile("assets/openapi.json"); err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// loadState takes in the saved lock-out table and sessions, and makes both
// save themselves from now on. What cannot be read is logged and left:
// the table starts empty, the installer logs in again.
func (s *Server) loadState(st StateStore) {
	for _, x := range []struct {
		name string
		load func([]byte) error
		save *func([]byte)
	}{
		{lockoutState, s.lock.load, &s.lock.save},
		{sessionsState, s.sessions.load, &s.sessions.save},
	} {
		if b, err := st.LoadSecurityState(x.name); err != nil {
			s.log.Warn("webui: saved state not read", "name", x.name, "err", err)
		} else if b != nil {
			if err := x.load(b); err != nil {
				s.log.Warn("webui: saved state unreadable; starting anew", "name", x.name, "err", err)
			}
		}
		*x.save = func(b []byte) {
			if err := st.SaveSecurityState(x.name, b); err != nil {
				s.log.Warn("webui: state not saved", "name", x.name, "err", err)
			}
		}
	}
}

// Handler serves the pages and the API without TLS (ListenAndServe adds
// it). Its cookies are Secure, so a browser needs HTTPS in front of it;
// API clients using HTTP Basic do not.
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe serves HTTPS on httpsAddr and, when redirectAddr is not
// empty, a plain-HTTP redirect to HTTPS on redirectAddr, until ctx ends;
// then it shuts down gracefully (open event streams are ended, other
// requests get up to 5 seconds). It returns nil after a clean shutdown.
// Call it once per Server: the shutdown also ends the Server's streams
// for good.
func (s *Server) ListenAndServe(ctx context.Context, httpsAddr, redirectAddr string) error {
	cert := s.certificate()
	ln, err := net.Listen("tcp", httpsAddr)
	if err != nil {
		return fmt.Errorf("webui: listen on %s: %w", httpsAddr, err)
	}
	var rln net.Listener
	if redirectAddr != "" {
		if rln, err = net.Listen("tcp", redirectAddr); err != nil {
			ln.Close()
			return fmt.Errorf("webui: listen on %s: %w", redirectAddr, err)
		}
	}
	errLog := slog.NewLogLogger(s.log.Handler(), slog.LevelDebug) // TLS handshake noise from scanners
	srv := &http.Server{
		Handler:           s.handler,
		TLSConfig:         tlsConfig(cert),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.readTimeout,
		WriteTimeout:      s.writeTimeout, // event streams lift it for themselves
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          errLog,
	}
	srv.RegisterOnShutdown(func() { s.shutOnce.Do(func() { close(s.shutdownCh) }) })
	errc := make(chan error, 2)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	var rsrv *http.Server
	if rln != nil {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		rsrv = &http.Server{
			Handler:           s.plainHandler(redirectHandler(port)),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      10 * time.Second,
			MaxHeaderBytes:    8 << 10,
			ErrorLog:          errLog,
		}
		go func() { errc <- rsrv.Serve(rln) }()
	}
	var raddr net.Addr
	if rln != nil {
		raddr = rln.Addr()
	}
	s.log.Info("webui: serving", "https", ln.Addr().String(), "redirect", redirectAddr)
	if s.readyFn != nil {
		s.readyFn(ln.Addr(), raddr)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var errs []error
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("webui: serve: %w", serveErr))
	}
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("webui: shut down https: %w", err))
	}
	if rsrv != nil {
		if err := rsrv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("webui: shut down redirect: %w", err))
		}
	}
	return errors.Join(errs...)
}

// redirectHandler sends plain-HTTP requests to the same host on the
// HTTPS port.
func redirectHandler(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" || !validHost(host) {
			http.Error(w, "bad Host header", http.StatusBadRequest)
			return
		}
		if net.ParseIP(host) != nil && net.ParseIP(host).To4() == nil {
			host = "[" + host + "]"
		}
		target := "https://" + host
		if httpsPort != "443" {
			target += ":" + httpsPort
		}
		target += r.URL.RequestURI()
		code := http.StatusMovedPermanently
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			code = http.StatusPermanentRedirect
		}
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, target, code)
	})
}

// validHost accepts host names and IP literals, nothing that could break
// out of the authority part of a URL.
func validHost(h string) bool {
	if len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '_') {
			return false
		}
	}
	return true
}

// shuttingDown is closed when the server shuts down.
func (s *Server) shuttingDown() <-chan struct{} { return s.shutdownCh }
