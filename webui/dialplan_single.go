package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"minipbx/telephony/store"
)

// The parts of the dial plan that are one object rather than a list
// (numbering, limits) get one form each at /dialplan/{section}. The text
// editor of every part stays at /dialplan/{section}?json=1 for those who
// know the document.

// singleKind is a dial-plan part edited as one form.
type singleKind struct {
	fields func(d *store.DialPlan, c *planContext) []*field
	// parse applies the posted form to d.
	parse func(d *store.DialPlan, v url.Values, p *formParser)
	// guide, when set, says on the page what users dial (features.go).
	guide func(d *store.DialPlan, c *planContext) []usage
}

// singleNumbering is the numbering as one form.
var singleNumbering = &singleKind{
	fields: func(d *store.DialPlan, c *planContext) []*field {
		n := d.Numbering
		fs := []*field{
			{ID: "emergency_numbers", Name: "emergency_numbers", Label: "Emergency numbers", Type: "textarea", Value: strings.Join(n.EmergencyNumbers, "\n"),
				Help: "One a line, e.g. 112 and 911: these always go out on a line, from any extension, without the outside prefix and whatever its permission class."},
			{ID: "feature_codes", Name: "feature_codes", Label: "Phones may switch their own forwarding", Type: "checkbox", Checked: n.FeatureCodes,
				Help: "Lets users dial *72 NUMBER / *73 (forward every call on/off), *90 / *91 (when busy), *52 / *53 (when not answered), *78 / *79 (do not disturb on/off) and *70 / *71 (call waiting on/off) from their phones."},
		}
		for j := 0; j < len(n.ShortNumbers)+memberRows; j++ {
			var sn store.ShortNumber
			if j < len(n.ShortNumbers) {
				sn = n.ShortNumbers[j]
			}
			p := fmt.Sprintf("short_numbers[%d].", j)
			help := "As for short number 1; leave both empty to remove it."
			if j == 0 {
				help = "Where dialling the short number leads. Leave both empty to remove it."
			}
			fs = append(fs,
				&field{ID: p + "number", Name: p + "number", Label: fmt.Sprintf("Short number %d", j+1), Type: "text", Value: sn.Number, MaxLength: 8,
					InputMode: "numeric", Autocomplete: "off", Help: "Digits extensions dial, e.g. 301; they must not clash with extensions or other numbers."},
				destPicker(c.Choices, p+"destination", fmt.Sprintf("Short number %d goes to", j+1), sn.Destination, help))
		}
		return fs
	},
	parse: func(d *store.DialPlan, v url.Values, p *formParser) {
		d.Numbering.EmergencyNumbers = lines(v.Get("emergency_numbers"))
		d.Numbering.FeatureCodes = v.Get("feature_codes") != ""
		d.Numbering.ShortNumbers = nil
		for j := 0; ; j++ {
			pf := fmt.Sprintf("short_numbers[%d].", j)
			_, a := v[pf+"number"]
			_, b := v[pf+"destination"]
			if !a && !b {
				return
			}
			if n, dest := p.str(pf+"number"), p.str(pf+"destination"); n != "" || dest != "" {
				d.Numbering.ShortNumbers = append(d.Numbering.ShortNumbers, store.ShortNumber{Number: n, Destination: dest})
			}
		}
	},
}

// singleLimits is the box-wide call limits as one form.
var singleLimits = &singleKind{
	fields: func(d *store.DialPlan, c *planContext) []*field {
		return []*field{{ID: "max_call_duration_s", Name: "max_call_duration_s", Label: "Longest call (seconds)", Type: "number",
			Value: itoaBlank(d.Limits.MaxCallDurationS), Min: "0", Max: fmt.Sprint(store.MaxCallDurationS), InputMode: "numeric",
			Help: "An answered call is cleared after this long, e.g. 3600 for an hour: a guard against a line left off the hook. Empty or 0: no limit."}}
	},
	parse: func(d *store.DialPlan, v url.Values, p *formParser) {
		d.Limits.MaxCallDurationS = p.num("max_call_duration_s", "max_call_duration_s", "the time in seconds")
	},
}

func singleForm(sec dialPlanSection, k *singleKind, d *store.DialPlan, c *planContext) *form {
	return &form{ID: "object-form", Action: "/dialplan/" + sec.Key, Submit: "Save " + strings.ToLower(sec.Title), Fields: k.fields(d, c)}
}

// singleBody is the content of a one-form part's page.
func singleBody(sec dialPlanSection, k *singleKind, f *form, d *store.DialPlan, c *planContext) dialPlanObjectBody {
	b := dialPlanObjectBody{Section: sec, Form: f, Context: c}
	if k.guide != nil {
		b.Guide = k.guide(d, c)
	}
	return b
}

func (s *Server) dialPlanSinglePage(w http.ResponseWriter, r *http.Request, sec dialPlanSection, k *singleKind) {
	d, c, err := s.loadPlan(r)
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return
	}
	f := singleForm(sec, k, &d, c)
	if vals := s.draftValues(r); vals != nil {
		// Back from creating an object one of its pickers chose.
		f = singleRefill(sec, k, &d, c, vals)
	}
	s.render(w, r, http.StatusOK, "dialplan_object", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan",
		Body: singleBody(sec, k, f, &d, c)})
}

// singleRefill parses the posted values v over d and returns the form
// showing them, with what the form could not read beside its fields.
func singleRefill(sec dialPlanSection, k *singleKind, d *store.DialPlan, c *planContext, v url.Values) *form {
	p := &formParser{v: v, bad: map[string]string{}, raw: map[string]string{}}
	k.parse(d, v, p)
	f := singleForm(sec, k, d, c)
	p.showIn(f)
	return f
}

// dialPlanSingleSubmit saves a one-form part; problems come back beside
// their fields ("numbering.short_numbers[1].destination"), typed values
// kept.
func (s *Server) dialPlanSingleSubmit(w http.ResponseWriter, r *http.Request, sec dialPlanSection, k *singleKind) {
	d, c, err := s.loadPlan(r)
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return
	}
	if pc := resolvePickers(r.PostForm); pc != nil {
		s.startDraft(w, r, pc)
		return
	}
	f := singleRefill(sec, k, &d, c, r.PostForm)
	status := http.StatusUnprocessableEntity
	if !f.hasErrors() {
		_, err := s.svc.UpdateDialPlan(r.Context(), d)
		if err == nil {
			s.setFlash(r, sec.Title+" saved.")
			http.Redirect(w, r, "/dialplan/"+sec.Key, http.StatusSeeOther)
			return
		}
		herr := s.serviceError("save "+sec.Title, err)
		status = herr.status
		if herr.fields != nil {
			applyPrefixErrors(f, sec.Key, herr.fields, &d)
		} else {
			f.Errors = append(f.Errors, herr.msg)
		}
	}
	s.render(w, r, status, "dialplan_object", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan",
		Error: sec.Title + " not saved; see the problems beside the fields.",
		Body:  singleBody(sec, k, f, &d, c)})
}
