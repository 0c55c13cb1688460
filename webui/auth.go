package webui

import (
	"context"
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
// reason (wrong password, unknown user, locked out): it tells an
// attacker nothing, and tells the user what to do.
const authFailedMsg = "Login failed. Check the user name (your extension number, or the name you were given; admin for the box's own account) and the password (it is case-sensitive). After several wrong attempts, logins from your address are paused for a few minutes."

const mustChangeMsg = "The password must be changed before anything else (first login, or set by an administrator). Web: open /password. API: POST /api/v1/admin/password with {\"password\": \"...\"}."

// Password rules for passwords set through the web UI or API: the
// store's (which checks them again), so the page can say why before
// anything is written.
const (
	minPasswordLen = store.MinAdminPasswordLen // characters
	maxPasswordLen = store.MaxAdminPasswordLen // bytes
)

type authKey struct{}

// authInfo is who made a request: the account, with its role's
// permissions as they are now.
type authInfo struct {
	sess       session // zero without a session (HTTP Basic, API token)
	basic      bool    // credentials with each request (Basic or a token): no session
	via        string  // web, api or token (store.Actor.Via)
	mustChange bool
	account    store.Account
	role       store.Role
}

func authFrom(ctx context.Context) *authInfo {
	a, _ := ctx.Value(authKey{}).(*authInfo)
	if a == nil {
		return &authInfo{}
	}
	return a
}

// actor is the request's account as the store names it in the audit log.
func (a *authInfo) actor(r *http.Request) store.Actor {
	return store.Actor{Login: a.account.Login, Role: a.account.Role, Via: a.via, Remote: r.RemoteAddr}
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// wrap applies a route's access rule: who it is (a session or
// credentials), then whether their role may (authorize, permissions.go).
func (s *Server) wrap(rt route) http.Handler {
	if rt.access == public {
		return rt.handler
	}
	h := s.authorize(rt, rt.handler)
	switch rt.access {
	case page, pageDuringChange, pageUpload:
		return s.pageAuth(h, rt.access == pageDuringChange, rt.access == pageUpload)
	case api, apiDuringChange:
		return s.apiAuth(h, rt.access == apiDuringChange)
	}
	return h
}

// identify loads the account login and its role for a request; ok is
// false when the account is gone (deleted since it logged in).
func (s *Server) identify(r *http.Request, info *authInfo, login string) (bool, *httpError) {
	acc, err := s.svc.Account(r.Context(), login)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, s.serviceError("read account", err)
	}
	return s.withRole(r, info, acc)
}

// withRole sets info's account and the permissions of its role as they
// are now.
func (s *Server) withRole(r *http.Request, info *authInfo, acc store.Account) (bool, *httpError) {
	roles, err := s.svc.Roles(r.Context())
	if err != nil {
		return false, s.serviceError("read roles", err)
	}
	for _, ro := range roles {
		if ro.Name == acc.Role {
			info.role = ro
		}
	}
	info.account = acc
	return true, nil
}

// pageAuth admits a request with a live session; an unsafe request must
// also carry the session's CSRF token in the form field "csrf". An
// upload route reads a multipart form with readUploadForm (file parts
// are spooled to the data partition, see upload.go).
func (s *Server) pageAuth(h http.Handler, duringChange, upload bool) http.Handler {
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
					s.renderError(w, r, http.StatusInsufficientStorage, fmt.Sprintf("The upload failed: %s", storageFullMsg))
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
		info := &authInfo{sess: sess, via: "web", mustChange: sess.mustChange}
		if found, herr := s.identify(r, info, sess.login); herr != nil {
			s.renderError(w, r, herr.status, herr.msg)
			return
		} else if !found {
			s.sessions.delete(sess.key)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		ctx := context.WithValue(r.Context(), authKey{}, info)
		if sess.mustChange && !duringChange {
			http.Redirect(w, r, "/password", http.StatusSeeOther)
			return
		}
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// apiAuth admits HTTP Basic (any account, subject to the lock-out), an
// API token ("Authorization: Bearer mpx_..."), or a session cookie with
// the X-CSRF-Token header on unsafe methods.
func (s *Server) apiAuth(h http.Handler, duringChange bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var info *authInfo
		if r.Header.Get("Authorization") != "" {
			var herr *httpError
			if info, herr = s.credentialsAuth(r); herr != nil {
				s.unauthorized(w, r, herr)
				return
			}
		} else {
			sess, ok := s.sessions.get(cookieValue(r, sessionCookie), true)
			if !ok {
				s.unauthorized(w, r, errorf(http.StatusUnauthorized, "Not logged in: log in on the web page, or use HTTP Basic authentication (your user name and password) or an API token."))
				return
			}
			if unsafeMethod(r.Method) && !tokensEqual(r.Header.Get("X-CSRF-Token"), sess.csrf) {
				writeError(w, errorf(http.StatusForbidden, "Missing or wrong X-CSRF-Token header: send the token of the page's csrf-token meta element (reload the page if it is old)."))
				return
			}
			info = &authInfo{sess: sess, via: "api", mustChange: sess.mustChange}
			if found, herr := s.identify(r, info, sess.login); herr != nil {
				writeError(w, herr)
				return
			} else if !found {
				s.sessions.delete(sess.key)
				s.unauthorized(w, r, errorf(http.StatusUnauthorized, "Not logged in: the account of this session no longer exists."))
				return
			}
		}
		if info.mustChange && !duringChange {
			writeError(w, errorf(http.StatusForbidden, "%s", mustChangeMsg))
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authKey{}, info)))
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

// credentialsAuth checks the Authorization header: an API token, or HTTP
// Basic, through the lock-out.
func (s *Server) credentialsAuth(r *http.Request) (*authInfo, *httpError) {
	if allowed, retry := s.lock.check(r.RemoteAddr); !allowed {
		return nil, &httpError{status: http.StatusTooManyRequests, msg: authFailedMsg, retryAfter: retry}
	}
	if tok, isBearer := parseBearer(r.Header.Get("Authorization")); isBearer {
		return s.tokenAuth(r, tok)
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil, errorf(http.StatusUnauthorized, "The Authorization header is neither HTTP Basic (your user name and password) nor Bearer with an API token.")
	}
	info := &authInfo{basic: true, via: "api"}
	if must, hit := s.basic.lookup(user, pass); hit {
		info.mustChange = must
	} else {
		acc, herr := s.checkLogin(r, user, pass)
		if herr != nil {
			return nil, herr
		}
		info.mustChange = acc.MustChange
		s.basic.remember(user, pass, acc.MustChange)
	}
	s.lock.succeed(r.RemoteAddr)
	if found, herr := s.identify(r, info, user); herr != nil {
		return nil, herr
	} else if !found {
		return nil, errorf(http.StatusUnauthorized, "%s", authFailedMsg)
	}
	return info, nil
}

// tokenAuth checks an API token: one SHA-256 and two lookups.
func (s *Server) tokenAuth(r *http.Request, tok string) (*authInfo, *httpError) {
	acc, err := s.svc.CheckToken(r.Context(), tok)
	if errors.Is(err, store.ErrBadCredentials) {
		s.lock.fail(r.RemoteAddr)
		return nil, errorf(http.StatusUnauthorized, "The API token is not valid: it may have been revoked, or its account deleted. Make a new one on your account's page.")
	}
	if err != nil {
		return nil, s.serviceError("check API token", err)
	}
	info := &authInfo{basic: true, via: "token"}
	if _, herr := s.withRole(r, info, acc); herr != nil {
		return nil, herr
	}
	return info, nil
}

// parseBearer reads "Bearer TOKEN" (the scheme in any case, one or more
// spaces); isBearer is false for another scheme. The token is returned
// as sent: the store checks its form.
func parseBearer(h string) (token string, isBearer bool) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimLeft(rest, " "), true
}

// checkLogin checks a login and password under the lock-out policy: a
// locked-out client gets 429 without the password being checked at all;
// a wrong user name and a wrong password look and cost the same. An empty
// login is the built-in admin (the login form's and pbxctl's default).
func (s *Server) checkLogin(r *http.Request, login, pass string) (store.Account, *httpError) {
	if allowed, retry := s.lock.check(r.RemoteAddr); !allowed {
		return store.Account{}, &httpError{status: http.StatusTooManyRequests, msg: authFailedMsg, retryAfter: retry}
	}
	if login == "" {
		login = store.AdminLogin
	}
	if len(pass) > maxPasswordLen || len(login) > store.MaxLoginLen {
		s.lock.fail(r.RemoteAddr)
		return store.Account{}, errorf(http.StatusUnauthorized, "%s", authFailedMsg)
	}
	acc, err := s.svc.CheckPassword(r.Context(), login, pass)
	if errors.Is(err, store.ErrBadCredentials) {
		s.lock.fail(r.RemoteAddr)
		s.log.Warn("webui: failed login", "remote", r.RemoteAddr)
		return store.Account{}, errorf(http.StatusUnauthorized, "%s", authFailedMsg)
	}
	if err != nil {
		s.log.Error("webui: check password", "err", err)
		return store.Account{}, errorf(http.StatusInternalServerError, "The password could not be checked: an internal error (the box's log has the details).")
	}
	s.lock.succeed(r.RemoteAddr)
	return acc, nil
}

// validateNewPassword checks a new password for login against the rules
// and against the current one; field names the form or JSON field.
func (s *Server) validateNewPassword(ctx context.Context, login, field, pw string) []FieldError {
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
	if _, err := s.svc.CheckPassword(ctx, login, pw); err == nil {
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
