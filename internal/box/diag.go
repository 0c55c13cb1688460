package box

import (
	"minipbx/telephony/diag"
)

// openDiag makes the diagnostics runner over the database, the analog
// ports and the data directory. Its changes (a run starting or ending,
// the next run, the alarm) reach the web UI's live events through the
// exchange, once it exists.
func (b *Box) openDiag() error {
	r, err := diag.New(diag.Options{
		Store:   b.db,
		Ports:   diag.AnalogPorts(b.analog),
		Trunks:  b.trunkChecks,
		Clock:   b.cfg.DiagClock,
		Logger:  b.log.With("part", "diagnostics"),
		DataDir: b.cfg.DataDir,
		OnChange: func() {
			if b.ex != nil {
				b.ex.Notify("diagnostics")
			}
			b.diagChanged() // the alarm by e-mail
		},
	})
	if err != nil {
		return err
	}
	b.diag = r
	return nil
}

// diagAlarm reports whether the last diagnostic run failed (the status
// LED shows it).
func (b *Box) diagAlarm() bool { return b.diag != nil && b.diag.Alarm() }

// Diagnostics is the diagnostics runner.
func (b *Box) Diagnostics() *diag.Runner { return b.diag }
