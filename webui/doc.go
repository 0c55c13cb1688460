// Package webui serves the installer's web pages and the JSON REST API of
// the box over HTTPS.
//
// It reaches the exchange only through telephony.Service and the store
// types that interface names, so the pages and the API can be tested
// against a fake service and cannot reach around the exchange's validation.
// (The dial-plan forms also use telephony/dialplan's pure parsers, such as
// ParseHours, to lay a schedule out per weekday; it holds no state.)
//
// Everything the browser loads (templates, CSS, JavaScript, the OpenAPI
// document) is embedded in the binary: the box works without Internet
// access and without a build step. Pages are rendered on the server with
// html/template; a small script adds live status updates (Server-Sent
// Events) and the simulator controls.
//
// Security (DESIGN.md, ETSI EN 303 645): HTTPS with a self-signed
// certificate generated on first start (tls.go), strict security headers
// with a script-free-inline CSP (headers.go), sessions with idle and
// absolute expiry and a forced password change at first login
// (session.go, auth.go), CSRF protection by synchronizer token plus the
// standard library's cross-origin protection (Origin / Sec-Fetch-Site),
// and a lock-out with growing back-off after failed logins, per client
// address and globally (lockout.go).
//
// Pages (routes.go): /login, /logout, /password, /status (live; simulator
// controls when Service.Sim() is not nil; the operator's view of live
// calls, parked calls, conference rooms and extensions with its buttons,
// /status/calls/{id}/action|transfer, /status/conferences/{room}/members/
// {member}/action, /status/extensions/{number}/dnd, and /status/live, that
// part alone for operator.js; operator.go), /extensions (list, /new,
// /{number} everything about one extension in one form saved in one
// transaction (extension_page.go), /{number}/edit the number and SIP
// account, /{number}/delete naming what still uses it), /calls, /settings
// (system and FXO lines), /dialplan (the parts grouped by what builds on
// what, with counts and what is missing, dialplan_overview.go; a page per
// part from the one table of sections, dialplan_sections.go: a list with a
// create/edit form per object, /{section}/new,
// /{section}/{i}/edit|delete|up?of=NAME, or one form for numbering,
// features, voicemail and limits; ?json=1 is the text editor; fields are
// named by their path in the object, "members[1].destination", so the
// store's problems land beside them; destinations are chosen with
// pickers, picker.go, whose "create new" keeps the form as a draft,
// drafts.go, /dialplan/new asking which kind; voicemail PINs are never put
// in a page; /dialplan/route-tester the exchange's own answer to "which
// way would this call go", route_tester.go; /dialplan/flow the call flow
// of each line, trunk and DID as SVG, callflow.go), /voicemail (the mailboxes; /{box} its messages with a
// player, /{box}/{id}/audio the WAV, /{box}/{id}/heard, /{box}/{id}/delete
// asking first; live on the "voicemail" event). Every element a test or script needs has a stable id: login
// form #password and #login, forms #<form>-submit, fields by their JSON
// name (#number, #fxs_port...), errors #<field>-error, rows #ext-101,
// #port-fxs-1, #cdr-42 (its path #cdr-42-path), simulator buttons
// #sim-fxs-1-offhook, live calls #call-c7 with #call-c7-from-hold,
// #call-c7-to-park, #call-c7-from-transfer, #call-c7-hangup, parked calls
// #parked-701, conference members #conf-ROOM-MEMBER-mute, extensions
// #extstate-101 and #extstate-101-dnd, and so on.
//
// API: /api/v1/..., described by the embedded OpenAPI document served at
// /api/v1/openapi.json; authentication by the session cookie plus
// X-CSRF-Token, or HTTP Basic as user "admin".
package webui
