package box

import (
	"sync"

	"minipbx/board"
)

// messageWaiting returns the exchange's MessageWaiting: the extension's
// SIP phones get a NOTIFY (subscribed or registered ones), and every FXS
// port's lamp and stutter dial tone are set from the mailboxes' counts and
// the current extensions: a port is lit when an extension on it has new
// messages. All ports are set each time (the analog manager ignores a
// state a port already has), so a lamp follows an extension moved to
// another port, and one left lit before a restart is put out by the
// exchange's announcement at start.
func (b *Box) messageWaiting() func(ext string, newCount, heardCount int) {
	var mu sync.Mutex
	fresh := map[string]int{} // extension -> new messages
	return func(ext string, newCount, heardCount int) {
		b.sip.SetMessageWaiting(ext, newCount, heardCount)
		// One change at a time, so the last state set is the last one
		// told.
		mu.Lock()
		defer mu.Unlock()
		fresh[ext] = newCount
		cfg, err := b.db.ExportConfig()
		if err != nil {
			b.log.Error("message waiting: configuration unreadable; lamps unchanged", "err", err)
			return
		}
		lit := map[int]bool{}
		for _, e := range cfg.Extensions {
			if e.FXSPort > 0 && fresh[e.Number] > 0 {
				lit[e.FXSPort] = true
			}
		}
		b.eachFXSPort(func(n int) { b.analog.SetMessageWaiting(n, lit[n]) })
	}
}

// eachFXSPort calls f for every FXS port of the board, by its 1-based
// number.
func (b *Box) eachFXSPort(f func(n int)) {
	n := 0
	for _, p := range b.board.Ports() {
		if p.Info().Kind == board.FXS {
			n++
			f(n)
		}
	}
}
