// Package webui serves the installer's web pages and the JSON REST API of
// the box over HTTPS.
//
// It reaches the exchange only through telephony.Service and the store
// types that interface names, so the pages and the API can be tested
// against a fake service and cannot reach around the exchange's validation.
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
package webui
