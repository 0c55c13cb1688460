// Package sip is the exchange's SIP side: a registrar with digest
// authentication and a back-to-back user agent whose legs are
// channel.Channels. sipgo supplies the message parser, the UDP and TCP
// transports and the transaction layer; the registrar and location store,
// dialogs, server-side authentication, forking and media
// (telephony/media) are ours.
//
// # Wiring
//
//	srv, err := sip.New(sip.Config{
//		Addr:        "0.0.0.0:5060",
//		Host:        "192.0.2.10",               // in Contact/SDP; default: Addr's IP or the primary one
//		Credentials: sip.CredentialsFunc(store.LookupSIP),
//		OnCall:      exchange.Accept,            // one goroutine per authenticated INVITE
//		OnRegistrationChange: func(b sip.Binding, on bool) { ... },
//		RTPPortMin: 10000, RTPPortMax: 10999,
//		TLSAddr: "0.0.0.0:5061", TLS: boxTLSConfig, // SIP over TLS for phones
//		RequireEncryption: func(ext string) bool { ... },
//		Bindings: db, Bans: db,                     // kept across a restart
//	})
//	srv.Listen()            // optional: bind first (port 0 → srv.Addr())
//	go srv.Run(ctx)         // ends calls with BYE/CANCEL/503 when ctx ends
//	ch, err := srv.Dialer().Dial(ctx, channel.Request{Target: "201", Timeout: 30 * time.Second})
//
// Every leg's Media() is a *media.Session; frames pushed between two SIP
// legs with the same codec are relayed without decoding. A leg also has
// Stats() media.Stats (type-assert interface{ Stats() media.Stats }) for
// call-quality figures from RTP and RTCP.
//
// # Security
//
// Every INVITE (407) and REGISTER (401) must authenticate with the
// extension's secret: MD5 digest with qop=auth, nonces sealed with an HMAC
// (over their expiry, serial number and the address they were given to)
// and valid for NonceTTL (then stale=true), nonce-counts that must grow
// (replay protection, per user in a bounded window: no number of
// authentications can exhaust it for other phones). The caller's identity
// is the authenticated user, never the From header. An unknown user and a
// wrong password get the very same fresh challenge. BanPolicy (ban.go)
// counts failures per address and user name, so one phone's mistakes
// never silence another behind the same NAT; bans an address that tries
// many user names (a scanner), except for the phones that authenticated
// from it; and locks an account guessed at slowly over hours, raising a
// SecurityAlarm. Bans are silent by default (datagrams dropped, TCP
// connections closed), or 403; their counters survive a restart
// (Config.Bans). Challenges to one address are rate
// limited (a 407 is retransmitted until ACKed, so a forged source would
// otherwise make the box an amplifier). OPTIONS is answered without
// authentication (keep-alive). In-dialog requests must match both tags
// and come from the peer's address.
//
// TCP (and TLS) connections are counted and limited (ConnLimits,
// conns.go): in all and per address, an unauthenticated connection is
// closed after IdleTimeout and is the first to go when a limit is
// reached, and accept errors (out of descriptors) are retried with
// back-off, never ending the server. Registered phones keep their
// connections through a flood of idle ones.
//
// # Strictness (RFC 4475)
//
// Every UDP datagram is checked against RFC 3261's grammar before sipgo
// parses it (preparse.go): a request that breaks its Request-Line, a
// header we rely on or its framing (two Content-Lengths, a negative or
// too large one) is refused at once with the right status and reason
// (400 saying what is wrong, 505, 416); parameters with white space
// around ';' and '=' are put in canonical form, which sipgo needs, and
// an RFC 2543 request without a From tag is given one. Over every
// transport (validate.go) a request is then checked for what sipgo
// parses but we must refuse: another SIP version, a scheme other than
// sip/sips, headers in the Request-URI, duplicate single-valued headers,
// a branch that is only the magic cookie, a non-GMT Date, an unsupported
// Require (420 with Unsupported), and for INVITE a body that is not SDP
// (415) or an Accept without SDP (406). All 49 messages of RFC 4475 are
// in the tests (rfc4475_test.go).
//
// A request addressed to the box is processed whatever its Max-Forwards
// (RFC 3261 §8.2, an endpoint's duty); a call forwarded as a B2BUA
// carries the caller's Max-Forwards less one (channel.NextHop), and with
// none left the dial fails with 483 Too Many Hops, so a loop through a
// trunk ends instead of spinning.
//
// # Where requests go
//
// A binding is reached at its registered contact when the REGISTER came
// from that same IP address, else at the REGISTER's source address and
// port (the phone is behind NAT); over TCP always on the phone's own
// connection. UDP requests leave from the listening socket. Media is
// symmetric (RFC 4961): we send RTP where the peer's RTP comes from, which
// may only be the SDP address or the peer's signalling IP, so a phone
// behind NAT that names a private address in its SDP still hears us.
// Every QualifyInterval each binding gets an OPTIONS: its answer (any
// status) sets Binding.Reachable and RTT, and the traffic keeps a NAT's
// mapping open between registrations.
//
// # Calls
//
// Dial forks an INVITE to every binding of the extension at once; the
// first 200 wins and the others get CANCEL (or BYE if they answered too).
// 1xx gives EventProgress once; the first 18x with SDP gives
// EventEarlyMedia (its SDP applied, so the far end's audio flows before
// the answer; the 200's SDP re-points it). When every fork fails the leg ends with
// the most telling cause (busy over rejected over no answer over
// unavailable over not found...); a 6xx ends the search at once. An
// inbound leg's 200 is retransmitted over UDP (T1 doubling to T2) until
// its ACK, as sipgo leaves that to the transaction user; without an ACK
// after 64*T1 the call is ended with BYE. re-INVITEs (sendonly, inactive,
// c=0.0.0.0) give EventHold/EventUnhold and are answered with the mirrored
// direction; an offer we cannot accept gets 488 and changes nothing.
// INVITEs without SDP (delayed offer) get our offer in the 200.
//
// # Calls that change hands
//
// A REFER in a call's dialog transfers the phone's party (refer.go, RFC
// 3515 and 5589): its Refer-To must be a sip or sips URI of the box (its
// addresses, the realm, Config.Domains), else 403 and the call goes on —
// the toll-fraud guard; 202, an immediate NOTIFY "SIP/2.0 100 Trying"
// (message/sipfrag), and channel.EventTransfer with the number, or with
// the channel ID of the dialog a ?Replaces= names (attended transfer:
// only a dialog of the same extension, else the NOTIFY says 403). The
// exchange routes the transfer and reports through the leg's
// NotifyTransfer (channel.TransferNotifier): NOTIFYs in order, the final
// one ending the implicit subscription; Refer-Sub: false (RFC 4488) gets
// none. An INVITE whose Replaces header (RFC 3891) names one of the box's
// dialogs carries its channel ID in Info.Replaces (a pickup, or a call
// moved to another phone of its user; the exchange decides); a dialog
// that does not exist gets 481, a malformed header 400, early-only on an
// answered dialog 486 (replaces.go). Config.Lamps turns on the dialog
// event package (RFC 4235) for busy lamps: BLF keys SUBSCRIBE to an
// extension or park slot and get dialog-info NOTIFYs as the exchange
// calls SetLamp, ringing dialogs named so that the key picks them up with
// Replaces (dialog_event.go). An outbound leg with Request.AutoAnswer
// asks the phone to answer by itself (autoanswer.go). Hold by re-INVITE
// is described under Calls. Config.Profiles turns on plug-and-play: a
// phone's unauthenticated SUBSCRIBE for ua-profile (RFC 6080, multicast
// to 224.0.1.75, which the UDP socket joins when it listens on all
// addresses) gets a NOTIFY with the URL Profiles names, or no answer
// (profile.go).
//
// # Message waiting
//
// SetMessageWaiting(ext, new, old) records a mailbox's counts and tells
// the extension's phones (mwi.go): RFC 3842 message-summary over RFC 6665
// subscriptions (subscription.go, shared with busy lamps: SUBSCRIBE
// authenticated like REGISTER, only to one's own mailbox, else 403; other
// event packages 489; Expires granted 60-3600 s;
// NOTIFY at once, on each change, and terminated on unsubscribe or
// expiry; a failed NOTIFY ends the subscription; at most
// MaxBindingsPerExtension subscriptions per extension, a phone
// resubscribing from the same contact replacing its old one), and
// unsolicited NOTIFYs outside any dialog, as Asterisk sends them, to every
// registered contact without a subscription, on each change and when it
// registers afresh.
//
// # Trunks
//
// Config.Trunks (SetTrunks while running) are SIP trunks to providers. A
// register trunk REGISTERs to its Host with the account's digest
// credentials, refreshes halfway through short registrations and a minute
// before long ones end, asks again for Min-Expires after a 423, and after
// a failure retries with exponential back-off from TrunkRetryMin to
// TrunkRetryMax; Trunks() reports registered, failed (with the reason) or
// unregistered. When the trunk is removed or the server stops it
// unregisters (Expires: 0, bounded to 2 s). Dial with target
// "trunk:NAME:DIGITS" (TrunkTarget) sends an INVITE for DIGITS to the
// provider with From = the trunk's caller ID, answering one 401/407 with
// the trunk's credentials. It fails at once with CauseUnavailable when a
// register trunk is not registered and CauseCongestion at the trunk's
// MaxCalls, and a provider that says nothing within TrunkTimeout ends the
// call as unavailable, so the exchange tries the next carrier.
//
// The provider is located per RFC 3263 (trunk_resolve.go) with
// Config.Resolver: a Host with a port, or an IP address, as given; a bare
// name by its SRV records for the trunk's transport, else its A/AAAA
// records with the default port. REGISTER (resolved afresh each time, the
// registrar that last answered first) and INVITE move on to the next
// target on no response or 503. Over TLS the box is the client only: the
// provider's certificate must chain to the trunk's TLSCA (or the system
// roots) and name the configured host (trunk_tls.go says why the check is
// ours, not sipgo's), and the provider's calls come back over that
// connection.
//
// An INVITE from a peer trunk's listed address, or from a register
// trunk's provider address, is a trunk call: it is not challenged, its
// channel's Endpoint is "trunk:NAME", Caller is the From user and Dialled
// the DID (the Request-URI user, or To when the Request-URI is our
// registered contact). Every other INVITE authenticates as an extension
// exactly as above: the source address, which a UDP sender can forge
// only blindly (the answer goes to the real address), is the only thing
// that trusts a trunk; nothing the request says about itself does.
package sip
