// Package provision configures IP phones automatically: it serves each
// provisioned phone, known by its MAC address, a configuration file for
// its extension, made from a template for its brand, and answers the
// phones' plug-and-play discovery.
//
// # What a phone gets
//
// The file sets the phone's first account to its extension (user, auth
// user, secret, display name), the box's address and SIP port (SIP over
// TLS on the TLS port, and SRTP, for an extension that requires
// encryption), its line keys as busy lamps (BLF, RFC 4235 dialog
// subscriptions that the box serves) for the other extensions and the
// park slots — or the phone's own list of numbers — the time zone with
// its summer-time rule and an NTP server, the menu language nearest the
// box's, the voicemail number (*97, when the extension has a mailbox and
// feature codes are on), the directed-pickup code, and where to fetch the
// file again (daily). Brands and models (brands.go):
//
//	yealink      Yealink SIP-T2x, T3x, T4x, T5x, CP920 (firmware 81+)     {mac}.cfg     key = value
//	grandstream  Grandstream GXP16xx, GXP21xx, GRP26xx                    cfg{mac}.xml  <gs_provision> P-values
//	snom         snom D3xx, D7xx, 7xx, 3xx (firmware 8.7+)                {mac}.xml     <settings> XML
//	fanvil       Fanvil X and V series                                    {mac}.cfg     <<VOIP CONFIG FILE>>
//	spa          Cisco SPA30x/50x/51x/525G2, Linksys SPA9xx (7.x)         spa{mac}.xml  <flat-profile>
//
// Each file is read back with its brand's format rules (format.go) before
// it is served, so a name such as `Ann "Lee" <&>` or one holding a line
// break can never break out of its field or add a setting.
//
// # Templates
//
// The built-in templates are embedded (templates/). An installer
// overrides one by dropping a file of the same name (yealink.cfg,
// grandstream.xml, snom.xml, fanvil.cfg, spa.xml) into the data
// directory's provisioning/templates/: it is in force from the next
// request, once it parses as a Go text/template, makes a file its
// brand's format rules accept for a sample phone, and sets the account's
// secret; otherwise the built-in stays in force and the Phones page says
// why. A template sees Data (data.go); its strings come escaped for the
// file's format (not for XML comments: keep names out of those).
//
// # How a phone finds the box
//
//   - Plug and play: at boot, Yealink, snom, Fanvil and Grandstream
//     phones multicast a SUBSCRIBE for Event: ua-profile (RFC 6080) to
//     224.0.1.75:5060. The SIP server (listening on all addresses, port
//     5060, joined to the group) hands its facts to Discovered, which
//     answers — a NOTIFY whose application/url body is the phone's URL —
//     only a phone provisioned as an extension that has not fetched its
//     file since its token was issued (and at most a day after), from
//     the box's own networks. Any other SUBSCRIBE is listed on the page
//     and left unanswered.
//   - By hand or DHCP: the Phones page shows each provisioned phone's
//     URL to type into the phone's auto-provisioning setting (an SPA's
//     Profile_Rule). The file then sets the phone to check it daily, over
//     the scheme it was fetched with.
//
// The URL is HTTPS with the box's certificate (the web UI's, self-signed
// unless the installer put another in the data directory's tls/); a phone
// that accepts only certificates its maker trusts must be given one it
// trusts, have its check turned off, or be allowed plain HTTP.
//
// # Security
//
// Each phone's credential is a 128-bit random token in its URL,
// https://BOX:8443/provision/TOKEN/FILE, rather than HTTP digest: the
// one thing plug-and-play, DHCP option 66 and every brand's
// auto-provisioning field can carry is a URL, so the token reaches every
// phone the same way; a request for an unknown MAC, with a wrong token,
// for another phone's file or with no token at all gets the one same
// 404 (a digest challenge would tell which MACs are provisioned); and
// HTTPS protects the token in transit exactly as it protects the file,
// whose SIP secret is what matters. Tokens are compared in constant
// time, never logged, re-issued from the page (the old URL dies), and a
// client address that presents wrong tokens is locked out like a failed
// login (limit.go). Files go only to phones provisioned as an extension.
// Plain HTTP serves nothing (403) unless the installer allows it for old
// phones (store.Provisioning.AllowPlainHTTP); the page warns that the
// secrets then cross the network readable.
package provision
