package analog

// Do not disturb on FXS ports. An analog phone has no display to show it,
// so while an extension on the port has do-not-disturb on, the phone hears
// the zone's stutter dial tone when lifted: the "special dial tone" that
// central offices give as a reminder of a feature left on (call
// forwarding, do not disturb; Telcordia GR-506, ITU-T E.180), the same
// tone as for waiting messages (mwi.go). Only the dial tone changes; the
// lamp keeps showing messages alone.

// SetDoNotDisturb turns the do-not-disturb reminder of FXS port fxsPort
// (1-based) on or off, from the next time the handset is lifted. A port
// number the board does not have is logged and ignored.
func (m *Manager) SetDoNotDisturb(fxsPort int, on bool) {
	if fxsPort < 1 || fxsPort > len(m.fxs) {
		m.log.Warn("do not disturb: no such FXS port", "port", fxsPort, "ports", len(m.fxs))
		return
	}
	if m.fxs[fxsPort-1].dnd.Swap(on) != on {
		m.log.Info("do not disturb", "port", fxsPort, "on", on)
	}
}

// DoNotDisturb reports the do-not-disturb state last set for FXS port
// fxsPort (1-based).
func (m *Manager) DoNotDisturb(fxsPort int) bool {
	if fxsPort < 1 || fxsPort > len(m.fxs) {
		return false
	}
	return m.fxs[fxsPort-1].dnd.Load()
}

// dialTone is the dial tone a lifted handset hears: stutter while a
// message waits or do-not-disturb is on, else the plain one.
func (p *port) dialTone() toneMode {
	if mwiState(p.mwiWant.Load()) == mwiOn || p.dnd.Load() {
		return toneStutter
	}
	return toneDial
}
