package webui

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"minipbx/telephony/store"
)

// The account's own call history: the calls its extension took part in
// (made, received, answered after a transfer or pickup), newest first.

// ownCalls returns up to limit of ext's calls older than record before
// (0: the newest), and where to go on from (0: no older records). The
// records' extension index answers it (the store's search), so a quiet
// extension's page on a busy box costs no scan.
func (s *Server) ownCalls(ctx context.Context, ext string, before uint64, limit int) ([]store.CallRecord, uint64, error) {
	page, err := s.svc.SearchCallRecords(ctx, store.CallQuery{Extension: ext, Before: before, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	out := page.Records
	if out == nil {
		out = []store.CallRecord{}
	}
	var next uint64
	if len(out) == limit && page.Total > len(out) {
		next = out[len(out)-1].ID
	}
	return out, next, nil
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
	s.render(w, r, http.StatusOK, "my_calls", pageData{Title: fmt.Sprintf("Calls of %s", ext), Active: "me", Body: b})
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
	writeJSON(w, http.StatusOK, callsPage{CallPage: store.CallPage{Records: recs, Total: len(recs), Limit: limit}, NextBefore: next})
}
