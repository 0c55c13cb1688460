package telephony

import "minipbx/telephony/prompts"

// The language the box speaks to a caller (package prompts) is chosen by
// what the caller is talking to: in voicemail the mailbox's
// (Mailbox.Language), in a queue's announcements the queue's, in a
// menu's built-in prompts the menu's; a phone hears its extension's
// (feature-code confirmations, park, conference and transfer prompts);
// whatever chooses none, and callers from outside, hear the box's
// (System.Language), else English.

// lang is the first of codes the box speaks, else the box's language.
func (p *plan) lang(codes ...string) prompts.Language {
	return prompts.Pick(append(codes, p.cfg.System.Language)...)
}

// extLang is the language of extension ext's user (the box's for "", an
// outside party, or an extension that chose none).
func (p *plan) extLang(ext string) prompts.Language {
	if e := p.exts[ext]; e != nil {
		return p.lang(e.Language)
	}
	return p.lang()
}

// mailboxLang is the language of extension box's mailbox.
func (p *plan) mailboxLang(box string) prompts.Language {
	if mb, ok := p.cfg.Voicemail.Box(box); ok {
		return p.lang(mb.Language)
	}
	return p.lang()
}
