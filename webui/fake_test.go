package webui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// invalid builds the store's validation error from field/message pairs.
func invalid(kv ...string) error {
	e := &store.ValidationError{}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Fields = append(e.Fields, store.FieldError{Field: kv[i], Message: kv[i+1]})
	}
	return fmt.Errorf("service: %w", e)
}

// fakeService is an in-memory telephony.Service with just enough
// validation to produce the errors the pages must show.
type fakeService struct {
	mu         sync.Mutex
	password   string
	mustChange bool
	checks     int // CheckAdminPassword calls
	// callActions are the operator's actions asked of the fake;
	// controlErr, when set, is the exchange refusing them.
	callActions []string
	controlErr  error
	// placed are the click-to-call requests placed ("EXT NUMBER");
	// hooks the webhooks section.
	placed []string
	hooks  store.Webhooks
	// callRecs are the recordings of calls the fake keeps.
	callRecs  []telephony.CallRecording
	sys       store.System
	exts      []store.Extension
	lines     []store.FXOLine
	records   []store.CallRecord // oldest first
	status    telephony.Status
	subs      map[chan telephony.StatusEvent]struct{}
	sim       *fakeSim
	writes    int // successful configuration changes
	failNext  error
	panicNext any      // takeFail panics with it (a handler panic)
	diag      fakeDiag // diag_fake_test.go
	plan      store.DialPlan
	vm        fakeVoicemail                   // fake_voicemail_test.go
	rec       fakeRecordings                  // fake_recordings_test.go
	callsQ    fakeRecords                     // fake_records_test.go
	accs      *fakeAccounts                   // fake_accounts_test.go
	traces    map[string]telephony.RouteTrace // TraceRoute's answers by "from number"
	fax       fakeFaxes                       // fake_fax_test.go
}

func newFakeService() *fakeService {
	f := &fakeService{
		password:   "initial-pass",
		mustChange: true,
		sys: store.System{Name: "testbox", ToneZone: "us", TimeZone: "UTC", ExtensionLength: 3, OutsidePrefix: "9",
			InterDigitTimeoutMS: 4000, NoAnswerTimeoutS: 30, CallRecordRetention: 10000},
		exts: []store.Extension{{Number: "101", Name: "Reception", Secret: "s3cret-101-xyz", FXSPort: 1}},
		lines: []store.FXOLine{
			{Port: 1, Name: "Main line", Enabled: true, AnswerAfterRings: 2, Destination: "101"},
			{Port: 2, Name: "", Enabled: false, AnswerAfterRings: 2, Destination: ""},
		},
		status: telephony.Status{Board: "sim", Version: "test", Started: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC),
			Ports: []telephony.PortStatus{
				{Index: 0, Number: 1, Kind: "fxs", Name: "FXS 1", Hook: "on-hook", Line: "ok", Extension: "101"},
				{Index: 1, Number: 2, Kind: "fxs", Name: "FXS 2", Hook: "on-hook", Line: "ok"},
				{Index: 2, Number: 1, Kind: "fxo", Name: "FXO 1", Hook: "on-hook", Line: "ok"},
				{Index: 3, Number: 2, Kind: "fxo", Name: "FXO 2", Hook: "on-hook", Line: "no-battery"},
			}},
		subs: make(map[chan telephony.StatusEvent]struct{}),
		sim:  &fakeSim{notify: make(chan string, 16)},
	}
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= 120; i++ {
		st := base.Add(time.Duration(i) * time.Minute)
		f.records = append(f.records, store.CallRecord{ID: uint64(i), Start: st, Answer: st.Add(5 * time.Second), End: st.Add(65 * time.Second),
			Caller: "101", Callee: "102", Source: "sip:101", Destination: "sip:102", Disposition: "answered", DurationS: 60})
	}
	return f
}

func (f *fakeService) Status(ctx context.Context) (telephony.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.status
	st.Ports = slices.Clone(st.Ports)
	return st, nil
}

func (f *fakeService) Subscribe(ctx context.Context) <-chan telephony.StatusEvent {
	ch := make(chan telephony.StatusEvent, 8)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		delete(f.subs, ch)
		close(ch)
		f.mu.Unlock()
	}()
	return ch
}

func (f *fakeService) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// emit changes the status with mod and tells every subscriber.
func (f *fakeService) emit(kind string, mod func(*telephony.Status)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mod(&f.status)
	ev := telephony.StatusEvent{Kind: kind, Status: f.status}
	for ch := range f.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (f *fakeService) validateExt(e store.Extension, except string) error {
	var kv []string
	if len(e.Number) != f.sys.ExtensionLength || strings.Trim(e.Number, "0123456789") != "" {
		kv = append(kv, "Number", fmt.Sprintf("Use exactly %d digits.", f.sys.ExtensionLength))
	} else if f.sys.OutsidePrefix != "" && strings.HasPrefix(e.Number, f.sys.OutsidePrefix) {
		kv = append(kv, "Number", "Must not start with the outside prefix.")
	}
	for _, x := range f.exts {
		if x.Number == e.Number && x.Number != except {
			kv = append(kv, "Number", "Already exists.")
		}
	}
	if e.FXSPort < 0 || e.FXSPort > 2 {
		kv = append(kv, "FXSPort", "No such FXS port.")
	}
	if kv != nil {
		return invalid(kv...)
	}
	return nil
}

func (f *fakeService) Extensions(ctx context.Context) ([]store.Extension, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.exts), nil
}

func (f *fakeService) Extension(ctx context.Context, number string) (store.Extension, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.exts {
		if e.Number == number {
			return e, nil
		}
	}
	return store.Extension{}, fmt.Errorf("fake: extension %q: %w", number, store.ErrNotFound)
}

func (f *fakeService) CreateExtension(ctx context.Context, e store.Extension) (store.Extension, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.takeFail(); err != nil {
		return store.Extension{}, err
	}
	if err := f.validateExt(e, ""); err != nil {
		return store.Extension{}, err
	}
	if e.Secret == "" {
		e.Secret = "generated-" + e.Number
	}
	f.exts = append(f.exts, e)
	f.writes++
	return e, nil
}

func (f *fakeService) UpdateExtension(ctx context.Context, number string, e store.Extension) (store.Extension, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.exts, func(x store.Extension) bool { return x.Number == number })
	if i < 0 {
		return store.Extension{}, fmt.Errorf("fake: extension %q: %w", number, store.ErrNotFound)
	}
	if err := f.validateExt(e, number); err != nil {
		return store.Extension{}, err
	}
	f.exts[i] = e
	f.writes++
	return e, nil
}

func (f *fakeService) DeleteExtension(ctx context.Context, number string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.exts, func(x store.Extension) bool { return x.Number == number })
	if i < 0 {
		return fmt.Errorf("fake: extension %q: %w", number, store.ErrNotFound)
	}
	for _, l := range f.lines {
		if l.Destination == number {
			return invalid("number", fmt.Sprintf("FXO line %d sends its calls here; change that first.", l.Port))
		}
	}
	f.exts = slices.Delete(f.exts, i, i+1)
	f.writes++
	return nil
}

func (f *fakeService) Settings(ctx context.Context) (store.System, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sys, nil
}

func (f *fakeService) UpdateSettings(ctx context.Context, s store.System) (store.System, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var kv []string
	if s.ExtensionLength < 2 || s.ExtensionLength > 8 {
		kv = append(kv, "ExtensionLength", "Must be 2 to 8.")
	}
	if s.Name == "" {
		kv = append(kv, "name", "Give the box a name.")
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil {
		kv = append(kv, "TimeZone", "Unknown time zone.")
	}
	if kv != nil {
		return store.System{}, invalid(kv...)
	}
	f.sys = s
	f.writes++
	return s, nil
}

func (f *fakeService) FXOLines(ctx context.Context) ([]store.FXOLine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.lines), nil
}

func (f *fakeService) UpdateFXOLine(ctx context.Context, l store.FXOLine) (store.FXOLine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.lines, func(x store.FXOLine) bool { return x.Port == l.Port })
	if i < 0 {
		return store.FXOLine{}, invalid("port", "No such port.")
	}
	var kv []string
	if l.AnswerAfterRings < 1 || l.AnswerAfterRings > 10 {
		kv = append(kv, "answer_after_rings", "must be 1 to 10")
	}
	if l.Enabled && !slices.ContainsFunc(f.exts, func(e store.Extension) bool { return e.Number == l.Destination }) {
		kv = append(kv, "destination", "No such extension.")
	}
	if kv != nil {
		return store.FXOLine{}, invalid(kv...)
	}
	f.lines[i] = l
	f.writes++
	return l, nil
}

func (f *fakeService) CallRecords(ctx context.Context, before uint64, limit int) ([]store.CallRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.CallRecord
	for i := len(f.records) - 1; i >= 0 && len(out) < limit; i-- {
		if before == 0 || f.records[i].ID < before {
			out = append(out, f.records[i])
		}
	}
	return out, nil
}

func (f *fakeService) ExportConfig(ctx context.Context) (store.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := store.Config{Version: store.SchemaVersion, System: f.sys, Extensions: slices.Clone(f.exts), FXOLines: slices.Clone(f.lines)}
	c.SetDialPlan(f.plan)
	return c, nil
}

func (f *fakeService) ImportConfig(ctx context.Context, c store.Config) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Version != store.SchemaVersion {
		return invalid("version", "Unsupported version.")
	}
	seen := map[string]bool{}
	for i, e := range c.Extensions {
		if seen[e.Number] {
			return invalid(fmt.Sprintf("extensions[%d].number", i), "Duplicate number.")
		}
		seen[e.Number] = true
	}
	f.sys, f.exts, f.lines = c.System, slices.Clone(c.Extensions), slices.Clone(c.FXOLines)
	f.plan = c.DialPlan()
	f.writes++
	return nil
}

// UpdateDialPlan checks what the pages' tests need of the store's rules
// (ring-group members must be existing extensions) and keeps the plan.
func (f *fakeService) UpdateDialPlan(ctx context.Context, d store.DialPlan) (store.DialPlan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.takeFail(); err != nil {
		return store.DialPlan{}, err
	}
	for i, g := range d.RingGroups {
		for j, m := range g.Members {
			if n, ok := strings.CutPrefix(m.Destination, "ext:"); ok && !slices.ContainsFunc(f.exts, func(e store.Extension) bool { return e.Number == n }) {
				return store.DialPlan{}, invalid(fmt.Sprintf("ring_groups[%d].members[%d].destination", i, j), "extension "+n+" does not exist")
			}
		}
	}
	if err := f.checkVoicemail(d.Voicemail); err != nil {
		return store.DialPlan{}, err
	}
	var c store.Config
	c.SetDialPlan(d)
	f.plan = c.DialPlan()
	f.writes++
	return f.plan, nil
}

func (f *fakeService) CheckAdminPassword(ctx context.Context, password string) (bool, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks++
	return password == f.password, f.mustChange, nil
}

func (f *fakeService) SetAdminPassword(ctx context.Context, password string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.password, f.mustChange = password, false
	f.writes++
	return nil
}

func (f *fakeService) Sim() telephony.SimControl {
	if f.sim == nil {
		return nil
	}
	return f.sim
}

func (f *fakeService) Version() string { return "v-test" }

func (f *fakeService) takeFail() error {
	if v := f.panicNext; v != nil {
		f.panicNext = nil
		panic(v)
	}
	err := f.failNext
	f.failNext = nil
	return err
}

func (f *fakeService) snapshot() (writes int, exts []store.Extension) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes, slices.Clone(f.exts)
}

// fakeSim records the simulator actions it is asked for.
type fakeSim struct {
	mu      sync.Mutex
	actions []string
	notify  chan string
	refuse  error
}

func (s *fakeSim) record(a string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse != nil {
		return s.refuse
	}
	s.actions = append(s.actions, a)
	select {
	case s.notify <- a:
	default:
	}
	return nil
}

func (s *fakeSim) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.actions)
}

func (s *fakeSim) PhoneOffHook(n int) error { return s.record(fmt.Sprintf("offhook %d", n)) }
func (s *fakeSim) PhoneOnHook(n int) error  { return s.record(fmt.Sprintf("onhook %d", n)) }
func (s *fakeSim) PhoneDial(n int, digits string, pulse bool) error {
	return s.record(fmt.Sprintf("dial %d %s pulse=%v", n, digits, pulse))
}
func (s *fakeSim) LineRing(n int, c channel.CallerID) error {
	return s.record(fmt.Sprintf("ring %d %s/%s", n, c.Number, c.Name))
}
func (s *fakeSim) LineHangup(n int) error { return s.record(fmt.Sprintf("hangup %d", n)) }

var _ telephony.Service = (*fakeService)(nil)

// CallAction records the operator's action on a call.
func (s *fakeService) CallAction(ctx context.Context, id, action, leg, dest string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callActions = append(s.callActions, strings.Join([]string{id, action, leg, dest}, " "))
	return s.controlErr
}

// ConferenceAction records the operator's action on a conference member.
func (s *fakeService) ConferenceAction(ctx context.Context, room, member, action string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callActions = append(s.callActions, strings.Join([]string{room, member, action}, " "))
	return s.controlErr
}

// The recordings of calls: callRecs and their audio.
func (s *fakeService) CallRecordings(ctx context.Context, f telephony.CallRecordingFilter) ([]telephony.CallRecording, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []telephony.CallRecording{}
	for _, r := range s.callRecs {
		if f.Number != "" && !strings.Contains(r.Caller, f.Number) && !strings.Contains(r.Callee, f.Number) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}
func (s *fakeService) CallRecordingAudio(ctx context.Context, id string) (io.ReadSeekCloser, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.callRecs {
		if r.ID == id {
			b := []byte("RIFF-fake-wav-audio")
			return nopSeekCloser{bytes.NewReader(b)}, int64(len(b)), nil
		}
	}
	return nil, 0, store.ErrNotFound
}
func (s *fakeService) DeleteCallRecording(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.callRecs {
		if r.ID == id {
			s.callRecs = slices.Delete(s.callRecs, i, i+1)
			return nil
		}
	}
	return store.ErrNotFound
}
func (s *fakeService) CallRecordingUsage(ctx context.Context) (telephony.CallRecordingUsage, error) {
	return telephony.CallRecordingUsage{ByExtension: map[string]int64{}, Total: 3 << 20, Quota: 10 << 20}, nil
}

type nopSeekCloser struct{ *bytes.Reader }

func (nopSeekCloser) Close() error { return nil }

// UpdateExtensionProfile keeps the extension, rule and mailbox as given
// (the store's rules are storeService's business).
func (f *fakeService) UpdateExtensionProfile(ctx context.Context, number string, p store.ExtensionProfile) (store.ExtensionProfile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.takeFail(); err != nil {
		return store.ExtensionProfile{}, err
	}
	i := slices.IndexFunc(f.exts, func(e store.Extension) bool { return e.Number == number })
	if i < 0 {
		return store.ExtensionProfile{}, fmt.Errorf("fake: %w", store.ErrNotFound)
	}
	c := store.Config{Extensions: f.exts}
	c.SetDialPlan(f.plan)
	p.Extension.Number = number
	if p.Extension.Secret == "" {
		p.Extension.Secret = f.exts[i].Secret
	}
	f.exts[i] = p.Extension
	c.ExtensionRules = slices.DeleteFunc(c.ExtensionRules, func(r store.ExtensionRule) bool { return r.Extension == number })
	if p.Rule != nil {
		p.Rule.Extension = number
		c.ExtensionRules = append(c.ExtensionRules, *p.Rule)
	}
	c.Voicemail.Boxes = slices.DeleteFunc(c.Voicemail.Boxes, func(b store.Mailbox) bool { return b.Extension == number })
	if p.Mailbox != nil {
		p.Mailbox.Extension = number
		c.Voicemail.Boxes = append(c.Voicemail.Boxes, *p.Mailbox)
	}
	f.plan = c.DialPlan()
	f.writes++
	out, _ := c.Profile(number)
	return out, nil
}

// TraceRoute answers from f.traces by "from number" (the exchange's
// real traces are telephony's and the box's tests); an unknown query is
// the exchange's refusal of an unknown caller.
func (f *fakeService) TraceRoute(ctx context.Context, q telephony.RouteQuery) (telephony.RouteTrace, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.traces[q.From+" "+q.Number]; ok {
		t.Query = q
		return t, nil
	}
	return telephony.RouteTrace{}, invalid("from", fmt.Sprintf("there is no extension %q", q.From))
}
