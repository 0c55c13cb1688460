// Package fax proves minipbx's fax engine (minipbx/dsp/fax/...) against
// spandsp's (Debian libspandsp-dev), a real fax implementation that is
// not ours: spandsp's modems against ours in both directions, and
// spandsp's T.30 terminal sending multi-page documents to our receiver
// (and receiving from our sender) at every speed, with and without ECM,
// through G.711 and with lost packets.
//
// Everything but this file is behind the spandsp build tag and needs cgo
// (the headers of libspandsp-dev and libtiff-dev), so normal builds never
// touch spandsp:
//
//	go test -tags spandsp ./bench/spandsp/fax/
package fax
