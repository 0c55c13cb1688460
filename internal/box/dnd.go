package box

import "minipbx/telephony/store"

// doNotDisturb sets every FXS port's do-not-disturb reminder (stutter dial
// tone) from the configuration: a port is on when an extension on it has
// do-not-disturb (extension_rules[].dnd). It runs at start and after every
// configuration change, which is how the *78/*79 feature codes reach it
// (they change the configuration). The analog manager ignores a state a
// port already has.
func (b *Box) doNotDisturb(cfg *store.Config) {
	dnd := map[string]bool{}
	for _, r := range cfg.ExtensionRules {
		if r.DND {
			dnd[r.Extension] = true
		}
	}
	on := map[int]bool{}
	for _, e := range cfg.Extensions {
		if e.FXSPort > 0 && dnd[e.Number] {
			on[e.FXSPort] = true
		}
	}
	b.eachFXSPort(func(n int) { b.analog.SetDoNotDisturb(n, on[n]) })
}
