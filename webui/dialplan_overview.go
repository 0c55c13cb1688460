package webui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// The dial plan page: the sections grouped and ordered by what depends on
// what (planGroups), each with its count and what it lacks — the catch-all
// route behind the outside prefix, extensions without a mailbox, lines no
// inbound route covers, recordings a menu plays that were never uploaded —
// and the ways to see the plan whole: the route tester and the call flow.

// overviewSection is one section's line on the dial plan page.
type overviewSection struct {
	Key, Title string
	Count      int // -1 for a one-object section
	Notes      []string
}

// overviewGroup is a heading of the dial plan page with its sections.
type overviewGroup struct {
	ID, Title string
	Sections  []overviewSection
}

// overviewBody is the dial plan page's content.
type overviewBody struct {
	Groups []overviewGroup
	// Missing are the recordings the plan plays that are not there.
	Missing []string
}

// missingPrompts are the references of c to recordings that are neither
// in the prompts directory nor a built-in prompt's name; none when the
// recordings cannot be listed. c may be a plan not saved yet (a form
// that failed validation), so the directory's files decide, not the
// service's list of what the stored plan misses.
func (s *Server) missingPrompts(ctx context.Context, c *store.Config) []store.Ref {
	recs, err := s.svc.Recordings(ctx)
	if err != nil {
		return nil
	}
	have := map[string]bool{}
	for _, r := range recs {
		if !r.Missing {
			have[r.Name] = true
		}
	}
	var out []store.Ref
	for _, r := range c.References() {
		if r.Target != store.TargetRecordings || have[r.Name] {
			continue
		}
		if _, _, builtin := prompts.ParseFile(r.Name); !builtin {
			out = append(out, r)
		}
	}
	return out
}

// missingWords says a missing recording and who plays it.
func missingWords(c *store.Config, r store.Ref) string {
	return fmt.Sprintf("the recording %s has not been uploaded: %s plays nothing there", r.Name, userOf(c, r.Path).Text)
}

// sectionNotes says what a section lacks or hides.
func sectionNotes(c *store.Config, key string) []string {
	var notes []string
	switch key {
	case "outbound_routes":
		if p := c.System.OutsidePrefix; p != "" {
			notes = append(notes, fmt.Sprintf("Besides these, %s followed by any number goes out on any free telco line, tried after them (the route “outside prefix”, Settings); only for extensions that may call outside lines, with the international class.", p))
		} else if len(c.OutboundRoutes) == 0 {
			notes = append(notes, "No outbound route and no outside prefix: extensions cannot call out (emergency numbers still go).")
		}
	case "voicemail":
		var none []string
		for _, e := range c.Extensions {
			if _, ok := c.Voicemail.Box(e.Number); !ok {
				none = append(none, e.Number)
			}
		}
		if len(none) > 0 && len(none) <= 8 {
			notes = append(notes, "No mailbox yet: "+strings.Join(none, ", ")+".")
		} else if len(none) > 8 {
			notes = append(notes, fmt.Sprintf("%d extensions have no mailbox.", len(none)))
		}
	case "inbound_routes":
		for _, l := range c.FXOLines {
			if !l.Enabled {
				continue
			}
			covered := slices.ContainsFunc(c.InboundRoutes, func(r store.InboundRoute) bool {
				return len(r.Trunks) == 0 && len(r.DIDs) == 0 && (len(r.Lines) == 0 || slices.Contains(r.Lines, l.Port))
			})
			if !covered {
				notes = append(notes, fmt.Sprintf("Line %d has no route: it rings extension %s (Settings).", l.Port, l.Destination))
			}
		}
	case "line_groups":
		if len(c.LineGroups) == 0 && len(c.FXOLines) > 0 {
			notes = append(notes, "None yet: outbound routes need a line group (or a SIP trunk) to send calls through.")
		}
	case "schedules":
		if len(c.Schedules) == 0 {
			notes = append(notes, "None yet: working hours come before time conditions and closed-hours routes.")
		}
	}
	return notes
}

func (s *Server) dialPlanPage(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return
	}
	byKey := map[string]*overviewSection{}
	var b overviewBody
	for _, g := range planGroups {
		og := overviewGroup{ID: g.ID, Title: g.Title}
		for _, sec := range planSections {
			if sec.Group == g.ID {
				og.Sections = append(og.Sections, overviewSection{Key: sec.Key, Title: sec.Title, Count: c.Count(sec.Key), Notes: sectionNotes(&c, sec.Key)})
			}
		}
		b.Groups = append(b.Groups, og)
	}
	for gi := range b.Groups {
		for si := range b.Groups[gi].Sections {
			byKey[b.Groups[gi].Sections[si].Key] = &b.Groups[gi].Sections[si]
		}
	}
	for _, ref := range s.missingPrompts(r.Context(), &c) {
		key, _, _ := store.ObjectOf(ref.Path)
		if sec := byKey[key]; sec != nil {
			sec.Notes = append(sec.Notes, sentence(missingWords(&c, ref)))
		}
		if !slices.Contains(b.Missing, ref.Name) {
			b.Missing = append(b.Missing, ref.Name)
		}
	}
	s.render(w, r, http.StatusOK, "dialplan_overview", pageData{Title: "Dial plan", Active: "dialplan", Body: b})
}
