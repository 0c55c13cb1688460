package telephony

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"minipbx/telephony/store"
)

// hub fans status events out to subscribers. Publishing never blocks: a
// subscriber that does not keep up misses events, and since every event
// carries the whole status it loses nothing but intermediate states.
type hub struct {
	mu     sync.Mutex
	subs   map[chan StatusEvent]struct{}
	closed bool
}

func (h *hub) init() { h.subs = make(map[chan StatusEvent]struct{}) }

func (h *hub) subscribe(ctx context.Context) <-chan StatusEvent {
	ch := make(chan StatusEvent, 8)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(ch)
		return ch
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
		h.mu.Unlock()
	}()
	return ch
}

func (h *hub) active() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) > 0
}

func (h *hub) publish(ev StatusEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// publish tells subscribers that something of kind changed.
func (x *Exchange) publish(kind string) {
	if !x.hub.active() {
		return
	}
	st, err := x.Status(context.Background())
	if err != nil {
		return
	}
	x.hub.publish(StatusEvent{Kind: kind, Status: st})
}

// Subscribe implements Service.
func (x *Exchange) Subscribe(ctx context.Context) <-chan StatusEvent {
	return x.hub.subscribe(ctx)
}

// Status implements StatusService.
func (x *Exchange) Status(ctx context.Context) (Status, error) {
	st := Status{Version: x.version, Started: x.started, Board: x.boardName}
	cfg := x.config()
	x.mu.Lock()
	calls := make([]*call, 0, len(x.calls))
	for _, c := range x.calls {
		calls = append(calls, c)
	}
	x.mu.Unlock()
	busy := map[string]bool{}
	for _, c := range calls {
		cs := c.status()
		st.Calls = append(st.Calls, cs)
		busy[cs.From] = true
		if cs.To != "" {
			busy[cs.To] = true
		}
	}
	x.mu.Lock()
	for _, l := range x.legs {
		busy[l.name] = true
	}
	x.mu.Unlock()
	sort.Slice(st.Calls, func(i, j int) bool { return st.Calls[i].Started.Before(st.Calls[j].Started) })
	if x.ports != nil {
		for _, s := range x.ports() {
			if s.Kind == "fxs" {
				if e, ok := extensionForFXS(cfg, s.Number); ok {
					s.Extension = e.Number
				}
			}
			s.InCall = s.InCall || busy[s.Kind+":"+strconv.Itoa(s.Number)]
			st.Ports = append(st.Ports, s)
		}
	}
	if x.registrations != nil {
		st.Registrations = x.registrations()
	}
	if x.trunks != nil {
		st.Trunks = x.trunks()
	}
	st.Parked = x.Parked()
	st.Conferences = x.Conferences()
	st.Extensions = x.extensionStates(cfg)
	if x.recs != nil {
		if u := x.recs.Usage(); u.Warning {
			st.Alerts = append(st.Alerts, fmt.Sprintf("Call recordings use %d %% of their quota (%d of %d MB): the oldest are removed as new ones are made.",
				u.Total*100/u.Quota, u.Total>>20, u.Quota>>20))
		}
	}
	if x.security != nil {
		st.SecurityAlarms = x.security()
	}
	st.SecurityAlarms = append(st.SecurityAlarms, x.access.alarms(AlarmPINLocked, x.now())...)
	return st, nil
}

// extensionForFXS returns the extension an FXS port (1-based) belongs to.
func extensionForFXS(cfg *store.Config, port int) (store.Extension, bool) {
	for _, e := range cfg.Extensions {
		if e.FXSPort == port {
			return e, true
		}
	}
	return store.Extension{}, false
}
