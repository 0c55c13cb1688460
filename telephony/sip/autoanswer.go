package sip

import "github.com/emiago/sipgo/sip"

// askAutoAnswer marks an outbound INVITE as an intercom or paging call
// (channel.Request.AutoAnswer) that the phone should answer by itself.
// No standard covers every phone, so it carries every form the common
// brands read (FreePBX's paging module keeps a similar table); a phone
// ignores what it does not know, and one that knows a form answers only
// when its user allowed auto-answer in its settings — a phone that
// cannot, just rings:
//
//   - Call-Info: <sip:BOX>;answer-after=0 — Grandstream ("Allow Auto
//     Answer by Call-Info"), Cisco SPA and Linksys, Snom, Yealink, Mitel,
//     Gigaset, and baresip 1.1 and later (account sip_autoanswer=yes).
//   - Alert-Info: <http://www.notused.com>;info=alert-autoanswer;delay=0 —
//     Yealink, Snom, Gigaset, Unify OpenStage, baresip 1.1+, and Polycom
//     once one of its alert-info rules maps this text to its auto-answer
//     class. Yealink's FAQ also lists a bare "Alert-Info:
//     info=alert-autoanswer": it matches the token, which this form
//     carries, and the bare form is not valid RFC 3261 (Alert-Info needs a
//     URI), so a strict parser would refuse the whole INVITE for it.
//   - Answer-Mode: Auto (RFC 5373) — baresip 1.1+ and standards-minded
//     softphones; sent without Require: answermode, so a phone that does
//     not know it still takes the call.
//   - intercom=true on the Request-URI — Yealink's default trigger, and
//     FreePBX's default for phones it does not know.
//
// baresip 1.0.0 (Debian bookworm) reads none of these: it answers only by
// its account's answermode.
func (s *Server) askAutoAnswer(req *sip.Request) {
	if req.Recipient.UriParams == nil {
		req.Recipient.UriParams = sip.NewParams()
	}
	req.Recipient.UriParams.Add("intercom", "true")
	req.AppendHeader(sip.NewHeader("Call-Info", "<sip:"+s.host+">;answer-after=0"))
	req.AppendHeader(sip.NewHeader("Alert-Info", "<http://www.notused.com>;info=alert-autoanswer;delay=0"))
	req.AppendHeader(sip.NewHeader("Answer-Mode", "Auto"))
}
