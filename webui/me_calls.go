package webui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"minipbx/telephony/store"
)

// The account's own call history: the calls its extension took part in
// (made, received, answered after a transfer or pickup), newest first.

// ownCallsScan bounds the records one page reads to find its calls, so
// that a page of a quiet extension on a busy box stays quick; the page
// then offers to look further back.
const ownCallsScan = 5000

// involves reports whether extension ext, whose analog phone is on FXS
// port fxs (0: none), took part in the call.
func involves(rec store.CallRecord, ext string, fxs int) bool {
	names := map[string]bool{"sip:" + ext: true}
	if fxs > 0 {
		names["fxs:"+strconv.Itoa(fxs)] = true
	}
	if rec.Caller == ext || rec.Callee == ext || names[rec.Source] || names[rec.Destination] {
		return true
	}
	for _, l := range rec.Legs {
		if l.Number == ext || names[l.Name] {
			return true
		}
	}
	return false
}

// ownCalls returns up to limit of ext's calls older than record before
// (0: the newest), and where to go on from (0: no older records).
func (s *Server) ownCalls(ctx context.Context, ext string, before uint64, limit int) ([]store.CallRecord, uint64, error) {
	fxs := 0
	if e, err := s.svc.Extension(ctx, ext); err == nil {
		fxs = e.FXSPort
	}
	out := []store.CallRecord{}
	scanned := 0
	for scanned < ownCallsScan {
		batch, err := s.svc.CallRecords(ctx, before, 200)
		if err != nil {
			return nil, 0, err
		}
		for _, rec := range batch {
			scanned++
			before = rec.ID
			if involves(rec, ext, fxs) {
				out = append(out, rec)
				if len(out) == limit {
					return out, before, nil
				}
			}
		}
		if len(batch) < 200 || before <= 1 {
			return out, 0, nil
		}
	}
	return out, before, nil
}

type myCallRow struct {
	Rec                store.CallRecord
	Start, Other, Dir  string
	Duration, Result   string
	Answered, Outgoing bool
	StartISO           time.Time
}

type myCallsBody struct {
	Ext        string
	Rows       []myCallRow
	NextBefore uint64
	Paged      bool
	TimeZone   string
}

func (s *Server) myCallsPage(w http.ResponseWriter, r *http.Request) {
	ext, herr := ownExtension(r)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	before, _, fields := parsePaging(r.URL.Query())
	if fields != nil {
		before = 0
	}
	recs, next, err := s.ownCalls(r.Context(), ext, before, defaultCallPage)
	if err != nil {
		s.renderServiceError(w, r, "your calls", err)
		return
	}
	loc := s.location(r.Context())
	b := myCallsBody{Ext: ext, NextBefore: next, Paged: before != 0, TimeZone: loc.String()}
	for _, rec := range recs {
		row := myCallRow{Rec: rec, Start: rec.Start.In(loc).Format("2006-01-02 15:04"), StartISO: rec.Start, Result: rec.Disposition,
			Answered: !rec.Answer.IsZero()}
		if rec.Caller == ext || rec.Source == "sip:"+ext {
			row.Outgoing, row.Dir, row.Other = true, "out", rec.Callee
		} else {
			row.Dir, row.Other = "in", rec.Caller
			if rec.CallerName != "" {
				row.Other += " (" + rec.CallerName + ")"
			}
		}
		if row.Answered {
			row.Duration = fmt.Sprintf("%d:%02d", rec.DurationS/60, rec.DurationS%60)
		}
		b.Rows = append(b.Rows, row)
	}
	s.render(w, r, http.StatusOK, "my_calls", pageData{Title: "Calls of " + ext, Active: "me", Body: b})
}

func (s *Server) apiMyCalls(w http.ResponseWriter, r *http.Request) {
	ext, herr := ownExtension(r)
	if herr != nil {
		writeError(w, herr)
		return
	}
	before, limit, fields := parsePaging(r.URL.Query())
	if fields != nil {
		writeError(w, &httpError{status: http.StatusBadRequest, msg: "Bad paging parameters.", fields: fields})
		return
	}
	recs, next, err := s.ownCalls(r.Context(), ext, before, limit)
	if err != nil {
		writeError(w, s.serviceError("your calls", err))
		return
	}
	writeJSON(w, http.StatusOK, callsPage{Records: recs, NextBefore: next})
}
