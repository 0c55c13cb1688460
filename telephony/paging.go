package telephony

import (
	"time"

	"minipbx/telephony/bridge"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// Intercom and paging. The intercom code and an extension call that
// extension's SIP phones asking them to answer by themselves (an analog
// phone just rings); a paging group's number calls all its members' SIP
// phones that way and the caller is heard on every one that answered —
// one way, unless the group is duplex.

// pageRing is how long a paging group's phones have to answer.
const pageRing = 10 * time.Second

// intercom calls extension ext's phones to answer by themselves.
func (r router) intercom(ext string) (*leg, channel.Cause) {
	e, ok := r.p.exts[ext]
	if !ok {
		return nil, channel.CauseNotFound
	}
	var ts []target
	for _, t := range r.extensionTargets(e, "") {
		if t.waitOn != nil {
			continue // a phone in a call is not broken into
		}
		t.auto = t.d == r.x.sipDialer
		ts = append(ts, t)
	}
	r.c.step("intercom", nil, ext, "")
	out, cause, _ := r.ring(ts, r.noAnswer())
	return out, cause
}

// pagingApp pages a group.
type pagingApp struct {
	r router
	g *store.PagingGroup
}

// page pages group g.
func (r router) page(g *store.PagingGroup) (*leg, channel.Cause) {
	return pagingApp{r: r, g: g}.run()
}

func (a pagingApp) run() (*leg, channel.Cause) {
	r, g, c, x := a.r, a.g, a.r.c, a.r.x
	br := bridge.New(bridge.Options{Name: c.id + "-page", Logger: x.log})
	var ringing, live []*leg
	for _, ext := range g.Members {
		if ext == r.in.extension() || x.sipDialer == nil {
			continue
		}
		ch, err := x.sipDialer.Dial(r.ctx, channel.Request{Target: ext, Caller: r.caller, Timeout: pageRing, AutoAnswer: true})
		if err != nil {
			r.log.Debug("paging: a member cannot be called", "extension", ext, "err", err)
			continue
		}
		l := x.adopt(ch, c)
		l.setParty(ext, ext)
		ringing = append(ringing, l)
	}
	if len(ringing) == 0 {
		br.Close()
		return nil, channel.CauseUnavailable
	}
	if !r.answerIn() {
		br.Close()
		for _, l := range ringing {
			l.hangup(channel.CauseCancelled)
		}
		return nil, channel.CauseFailure
	}
	r.in.join(br)
	c.set(func(c *call) { c.answered, c.disposition = x.now(), "answered" })
	c.setState("paging")
	c.step("paging", nil, g.Name, "")
	end := func() {
		for _, l := range append(ringing, live...) {
			l.leaveBridge()
			l.hangup(channel.CauseNormal)
		}
	}
	deadline := time.NewTimer(pageRing)
	defer deadline.Stop()
	for {
		m, why := c.recv(r.ctx, deadline.C, nil)
		switch why {
		case cancelled:
			end()
			return nil, channel.CauseNormal
		case timedOut:
			for _, l := range ringing {
				l.hangup(channel.CauseCancelled)
			}
			ringing = nil
			if len(live) == 0 {
				return nil, channel.CauseNoAnswer
			}
			continue
		}
		if m.ctl != nil {
			refuseCtl(m.ctl)
			continue
		}
		if m.leg == r.in {
			if m.ev.Type == channel.EventHangup {
				end()
				return nil, channel.CauseCancelled
			}
			continue
		}
		switch m.ev.Type {
		case channel.EventAnswer:
			if i := index(ringing, m.leg); i >= 0 {
				ringing = append(ringing[:i], ringing[i+1:]...)
				live = append(live, m.leg)
				m.leg.setAnswered(x.now())
				m.leg.join(br)
				if !g.Duplex {
					_ = br.Mute(m.leg.info.ID, true)
				}
				c.step("answered", m.leg, "", "")
			}
		case channel.EventHangup:
			if i := index(ringing, m.leg); i >= 0 {
				ringing = append(ringing[:i], ringing[i+1:]...)
			}
			if i := index(live, m.leg); i >= 0 {
				live = append(live[:i], live[i+1:]...)
			}
			if len(ringing) == 0 && len(live) == 0 {
				return nil, channel.CauseNormal
			}
		}
	}
}

// index is the position of l in ls, or -1.
func index(ls []*leg, l *leg) int {
	for i, o := range ls {
		if o == l {
			return i
		}
	}
	return -1
}
