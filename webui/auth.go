package webui

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"minipbx/telephony/store"
)

// access says who may use a route.
type access int

const (
	public           access = iota // anyone (login page, assets, API document)
	page                           // a logged-in session whose password need not change
	pageDuringChange               // a logged-in session, even before the forced change
	pageUpload                     // page, whose form may carry a file (multipart, up to maxUploadBody)
	api                            // session + X-CSRF-Token, or HTTP Basic
	apiDuringChange                // api, allowed before the forced change
)

// route is one entry of the mux. The API's routes are one table so that a
// test can compare it with the OpenAPI document.
type route struct {
	method, pattern string
	access          access
	handler         http.HandlerFunc
}

// authFailedMsg is the one answer to every failed login, whatever the
// reason (wrong password, wrong user name, locked out): it tells an
// attacker nothing, and tells the installer what to do.
const authFailedMsg = "Login failed. Check the admin password (it is case-sensitive). After several wrong attempts, logins from your address are paused for a few minutes."

const mustChangeMsg = "The admin password must be changed before anything else (first login). Web: open /password. API: POST /api/v1/admin/password with {\"password\": \"...\"}."

// Password rules for the admin password set through the web UI or API:
// the store's (which checks them again), so the page can say why before
// anything is written.
const (
	minPasswordLen = store.MinAdminPasswordLen // characters
	maxPasswordLen = store.MaxAdminPasswordLen // bytes
)

type authKey struct{}

// authInfo is who made a request.
type authInfo struct {
	sess       session // zero for HTTP Basic
	basic      bool
	mustChange bool
}

func authFrom(ctx context.Context) *authInfo {
	a, _ := ctx.Value(authKey{}).(*authInfo)
	if a == nil {
		return &authInfo{}
	}
	return a
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// wrap applies a route's access rule.
func (s *Server) wrap(rt route) http.Handler {
	switch rt.access {
	case page, pageDuringChange, pageUpload:
		return s.pageAuth(rt.handler, rt.access == pageDuringChange, rt.access == pageUpload)
	case api, apiDuringChange:
		return s.apiAuth(rt.handler, rt.access == apiDuringChange)
	}
	return rt.handler
}

// pageAuth admits a request with a live session; an unsafe request must
// also carry the session's CSRF token in the form field "csrf". An
// upload route reads a multipart form with readUploadForm (file parts
// are spooled to the data partition, see upload.go).
func (s *Server) pageAuth(h http.HandlerFunc, duringChange, upload bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.sessions.get(cookieValue(r, sessionCookie), true)
		if !ok {
			next := ""
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				next = "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, "/login"+next, http.StatusSeeOther)
			return
		}
		if unsafeMethod(r.Method) {
			limit := int64(maxBody)
			if upload {
				limit = maxUploadBody + maxBody
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			var err error
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); upload && mt == "multipart/form-data" {
				var files map[string]*uploadedFile
				r, files, err = s.readUploadForm(r, sess.csrf)
				defer closeUploads(files)
			} else {
				err = r.ParseForm()
			}
			if err != nil {
				var mbe *http.MaxBytesError
				switch {
				case upload && errors.As(err, &mbe):
					s.renderError(w, r, http.StatusRequestEntityTooLarge, uploadTooBigMsg)
				case errors.Is(err, errUploadCSRF):
					s.renderError(w, r, http.StatusForbidden, "This form has expired or did not come from this box's pages. Go back, reload the page and try again.")
				case store.IsStorageFull(err):
					s.log.Error("webui: upload", "err", err)
					s.renderError(w, r, http.StatusInsufficientStorage, "The upload failed: "+storageFullMsg)
				default:
					s.renderError(w, r, http.StatusBadRequest, "The form could not be read (too large or malformed). Go back and try again.")
				}
				return
			}
			if !tokensEqual(r.PostForm.Get("csrf"), sess.csrf) {
				s.renderError(w, r, http.StatusForbidden, "This form has expired or did not come from this box's pages. Go back, reload the page and try again.")
				return
			}
		}
		if sess.mustChange && !duringChange {
			http.Redirect(w, r, "/password", http.StatusSeeOther)
			return
		}
		ctx := context.WithValue(r.Context(), authKey{}, &authInfo{sess: sess, mustChange: sess.mustChange})
		h(w, r.WithContext(ctx))
	})
}

// apiAuth admits HTTP Basic as user "admin" (subject to the lock-out) or
// a session cookie with the X-CSRF-Token header on unsafe methods.
func (s *Server) apiAuth(h http.HandlerFunc, duringChange bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var info *authInfo
		if r.Header.Get("Authorization") != "" {
			var herr *httpError
			if info, herr = s.basicAuth(r); herr != nil {
				s.unauthorized(w, r, herr)
				return
			}
		} else {
			sess, ok := s.sessions.get(cookieValue(r, sessionCookie), true)
			if !ok {
				s.unauthorized(w, r, errorf(http.StatusUnauthorized, "Not logged in: log in on the web page, or use HTTP Basic authentication as user admin."))
				return
			}
			if unsafeMethod(r.Method) && !tokensEqual(r.Header.Get("X-CSRF-Token"), sess.csrf) {
				writeError(w, errorf(http.StatusForbidden, "Missing or wrong X-CSRF-Token header: send the token of the page's csrf-token meta element (reload the page if it is old)."))
				return
			}
			info = &authInfo{sess: sess, mustChange: sess.mustChange}
		}
		if info.mustChange && !duringChange {
			writeError(w, errorf(http.StatusForbidden, "%s", mustChangeMsg))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), authKey{}, info)))
	})
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, e *httpError) {
	// Ask for Basic credentials only from clients that are not browsers:
	// a browser would pop up its own login dialog instead of our page.
	if e.status == http.StatusUnauthorized && r.Header.Get("Sec-Fetch-Mode") == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="minipbx", charset="UTF-8"`)
	}
	writeError(w, e)
}

// basicAuth checks HTTP Basic credentials through the lock-out.
func (s *Server) basicAuth(r *http.Request) (*authInfo, *httpError) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil, errorf(http.StatusUnauthorized, "The Authorization header is not valid HTTP Basic; use user admin and the admin password.")
	}
	if allowed, retry := s.lock.check(r.RemoteAddr); !allowed {
		return nil, &httpError{status: http.StatusTooManyRequests, msg: authFailedMsg, retryAfter: retry}
	}
	if must, hit := s.basic.lookup(user, pass); hit {
		s.lock.succeed(r.RemoteAddr)
		return &authInfo{basic: true, mustChange: must}, nil
	}
	ok, must, herr := s.checkPassword(r, pass)
	if herr != nil {
		return nil, herr
	}
	// The user name is checked after the password so that a wrong name
	// and a wrong password look and cost the same.
	if subtle.ConstantTimeCompare([]byte(user), []byte("admin")) != 1 {
		if ok {
			s.lock.fail(r.RemoteAddr)
		}
		ok = false
	}
	if !ok {
		return nil, errorf(http.StatusUnauthorized, "%s", authFailedMsg)
	}
	s.basic.remember(user, pass, must)
	return &authInfo{basic: true, mustChange: must}, nil
}

// checkPassword checks the admin password under the lock-out policy: a
// locked-out client gets 429 without the password being checked at all.
func (s *Server) checkPassword(r *http.Request, pass string) (ok, mustChange bool, herr *httpError) {
	if allowed, retry := s.lock.check(r.RemoteAddr); !allowed {
		return false, false, &httpError{status: http.StatusTooManyRequests, msg: authFailedMsg, retryAfter: retry}
	}
	if len(pass) > maxPasswordLen {
		s.lock.fail(r.RemoteAddr)
		return false, false, nil
	}
	ok, mustChange, err := s.svc.CheckAdminPassword(r.Context(), pass)
	if err != nil {
		s.log.Error("webui: check admin password", "err", err)
		return false, false, errorf(http.StatusInternalServerError, "The password could not be checked: an internal error (the box's log has the details).")
	}
	if !ok {
		s.lock.fail(r.RemoteAddr)
		s.log.Warn("webui: failed login", "remote", r.RemoteAddr)
		return false, false, nil
	}
	s.lock.succeed(r.RemoteAddr)
	return true, mustChange, nil
}

// validateNewPassword checks a new admin password against the rules and
// against the current one; field names the form or JSON field.
func (s *Server) validateNewPassword(ctx context.Context, field, pw string) []FieldError {
	switch {
	case !utf8.ValidString(pw):
		return []FieldError{{field, "The password contains bytes that are not text (UTF-8)."}}
	case utf8.RuneCountInString(pw) < minPasswordLen:
		return []FieldError{{field, fmt.Sprintf("Use at least %d characters; a few unrelated words make a strong password that is easy to type.", minPasswordLen)}}
	case len(pw) > maxPasswordLen:
		return []FieldError{{field, fmt.Sprintf("Use at most %d bytes.", maxPasswordLen)}}
	case strings.TrimSpace(pw) != pw:
		return []FieldError{{field, "Remove spaces at the start or end; they are easy to get wrong when typing."}}
	}
	if same, _, err := s.svc.CheckAdminPassword(ctx, pw); err == nil && same {
		return []FieldError{{field, "Choose a password different from the current one."}}
	}
	return nil
}

// safeNext accepts only a local path as the page to return to after login.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\\") || strings.HasPrefix(next, "/login") || strings.HasPrefix(next, "/api/") {
		return "/status"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/status"
	}
	return next
}
