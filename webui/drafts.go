package webui

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// Drafts carry a form across the creation of an object one of its
// pickers needs: the installer fills in a voice menu, chooses "New ring
// group…" for key 1 and saves; the menu's form is kept as a draft, the
// ring group's form opens, and once the group is created the menu's form
// comes back as it was typed, key 1 on the new group. Without scripts
// this is the whole mechanism; app.js only saves the click on Save.
//
// A draft belongs to the session that made it and lives in memory for
// draftTTL; nothing of it is saved.

// draft is one form kept while an object is created.
type draft struct {
	owner  [32]byte   // the session's key
	origin string     // the form's address (GET shows it)
	values url.Values // as posted, the picker's choice cleared
	field  string     // the picker the new object is for
	made   time.Time
}

// draftTTL and maxDrafts bound the drafts kept.
const (
	draftTTL  = 30 * time.Minute
	maxDrafts = 64
)

// drafts is the table of drafts by token.
type drafts struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*draft
}

func newDrafts(now func() time.Time) *drafts {
	return &drafts{now: now, m: map[string]*draft{}}
}

// put keeps d and returns its token, dropping expired drafts and, when
// the table is full, the oldest.
func (ds *drafts) put(d *draft) string {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	now := ds.now()
	d.made = now
	var oldest string
	for k, x := range ds.m {
		if now.Sub(x.made) > draftTTL {
			delete(ds.m, k)
			continue
		}
		if oldest == "" || x.made.Before(ds.m[oldest].made) {
			oldest = k
		}
	}
	if len(ds.m) >= maxDrafts && oldest != "" {
		delete(ds.m, oldest)
	}
	token := randomToken()
	ds.m[token] = d
	return token
}

// get returns the draft token names for owner (nil: none, expired or
// another session's).
func (ds *drafts) get(owner [32]byte, token string) *draft {
	if token == "" {
		return nil
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	d := ds.m[token]
	if d == nil || d.owner != owner || ds.now().Sub(d.made) > draftTTL {
		return nil
	}
	return d
}

// take is get that also removes the draft.
func (ds *drafts) take(owner [32]byte, token string) *draft {
	d := ds.get(owner, token)
	if d != nil {
		ds.mu.Lock()
		delete(ds.m, token)
		ds.mu.Unlock()
	}
	return d
}

// draftParam is the query parameter and form field carrying a draft's
// token to the new object's form; restoreParam carries it back to the
// draft's own form.
const (
	draftParam   = "draft"
	restoreParam = "restore"
)

// withParam adds a query parameter to a page's address.
func withParam(addr, name, value string) string {
	sep := "?"
	if strings.Contains(addr, "?") {
		sep = "&"
	}
	return addr + sep + name + "=" + url.QueryEscape(value)
}

// startDraft keeps the posted form r (whose picker chose "create new")
// as a draft and sends the browser to the new object's form; the form's
// own address (r's, without a draft token) is where it comes back to.
func (s *Server) startDraft(w http.ResponseWriter, r *http.Request, pc *pickerCreate) {
	vals := url.Values{}
	for k, v := range r.PostForm {
		switch k {
		case "csrf", draftParam, "password", "secret":
			continue // never kept: the CSRF token, and secrets
		}
		vals[k] = v
	}
	u := *r.URL
	q := u.Query()
	q.Del(draftParam)
	q.Del(restoreParam)
	u.RawQuery = q.Encode()
	token := s.drafts.put(&draft{owner: authFrom(r.Context()).sess.key, origin: u.RequestURI(), values: vals, field: pc.Field})
	http.Redirect(w, r, withParam(createURL(pc.Section), draftParam, token), http.StatusSeeOther)
}

// finishDraft, after an object was created by a form that carried a
// draft token, puts the new object into the waiting picker and sends
// the browser back to the draft's form; false when the request carried
// no (valid) draft. dest is the new object as a destination.
func (s *Server) finishDraft(w http.ResponseWriter, r *http.Request, dest string) bool {
	token := r.PostForm.Get(draftParam)
	d := s.drafts.get(authFrom(r.Context()).sess.key, token)
	if d == nil {
		return false
	}
	d.values.Set(d.field, dest)
	http.Redirect(w, r, withParam(d.origin, restoreParam, token), http.StatusSeeOther)
	return true
}

// draftValues returns the form a page should show back from its draft
// (and forgets the draft), or nil.
func (s *Server) draftValues(r *http.Request) url.Values {
	d := s.drafts.take(authFrom(r.Context()).sess.key, r.URL.Query().Get(restoreParam))
	if d == nil {
		return nil
	}
	return d.values
}

// draftOf is the draft a creation form was opened for, or nil.
func (s *Server) draftOf(r *http.Request) (string, *draft) {
	token := r.URL.Query().Get(draftParam)
	if r.Method == http.MethodPost {
		token = r.PostForm.Get(draftParam)
	}
	return token, s.drafts.get(authFrom(r.Context()).sess.key, token)
}

// newDest is the destination naming object name of section.
func newDest(section, name string) string {
	if section == store.SectionExtensions {
		return dialplan.Destination{Kind: dialplan.DestExtension, Value: name}.String()
	}
	for _, st := range store.Sections() {
		if st.Key == section && st.Dest != "" {
			return dialplan.Destination{Kind: st.Dest, Value: name}.String()
		}
	}
	return ""
}

// carryDraft makes form f, opened to create an object for another
// form's picker, carry the draft's token (so saving goes back there).
func (s *Server) carryDraft(r *http.Request, f *form) {
	if token, d := s.draftOf(r); d != nil {
		f.Hidden = append(f.Hidden, option{Value: token, Label: draftParam})
	}
}
