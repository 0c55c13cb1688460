package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"minipbx/telephony/store"
)

// API tokens: an account makes them for its scripts on its Tokens page
// (shown once), and revokes them there; a manager of accounts revokes
// them on the account's page. The API checks them in apiAuth.

type tokensBody struct {
	Form   *form
	Tokens []store.APIToken
	// New is the token just made: shown this once.
	New      string
	NewLabel string
	Login    string
}

func tokenForm(label string) *form {
	return &form{ID: "token-form", Action: "/me/tokens", Submit: "Make a token", Fields: []*field{
		{ID: "label", Name: "label", Label: "What it is for", Type: "text", Value: label, MaxLength: 64, Required: true, Autocomplete: "off",
			Help: "A name that tells you later which script uses it, e.g. “nightly backup”."},
	}}
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request) {
	s.showTokens(w, r, http.StatusOK, tokenForm(""), "", "")
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, status int, f *form, secret, label string) {
	login := authFrom(r.Context()).account.Login
	list, err := s.svc.Tokens(r.Context(), login)
	if err != nil {
		s.renderServiceError(w, r, "list tokens", err)
		return
	}
	s.render(w, r, status, "tokens", pageData{Title: "API tokens", Active: "me",
		Body: tokensBody{Form: f, Tokens: list, New: secret, NewLabel: label, Login: login}})
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) {
	label := strings.TrimSpace(r.PostForm.Get("label"))
	f := tokenForm(label)
	secret, t, err := s.svc.CreateToken(r.Context(), authFrom(r.Context()).account.Login, label)
	if err != nil {
		herr := s.serviceError("make token", err)
		f.serviceError(herr)
		s.showTokens(w, r, herr.status, f, "", "")
		return
	}
	// The token is on this response only: it is never shown again.
	s.showTokens(w, r, http.StatusCreated, tokenForm(""), secret, t.Label)
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.RevokeToken(r.Context(), authFrom(r.Context()).account.Login, r.PathValue("id")); err != nil {
		s.renderServiceError(w, r, "revoke token", err)
		return
	}
	s.setFlash(r, "The token is revoked: scripts using it are refused from now on.")
	http.Redirect(w, r, "/me/tokens", http.StatusSeeOther)
}

// userTokenRevoke revokes a token of another account (Users page).
func (s *Server) userTokenRevoke(w http.ResponseWriter, r *http.Request) {
	login := r.PathValue("login")
	if err := s.svc.RevokeToken(r.Context(), login, r.PathValue("id")); err != nil {
		s.renderServiceError(w, r, "revoke token", err)
		return
	}
	s.setFlash(r, "The token is revoked.")
	http.Redirect(w, r, "/users/"+url.PathEscape(login), http.StatusSeeOther)
}

// --- API ------------------------------------------------------------------------

type tokenRequest struct {
	Label string `json:"label"`
}

// newToken is POST /api/v1/me/tokens's answer: the token itself, once.
type newToken struct {
	store.APIToken
	Token string `json:"token"`
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) {
	s.writeTokens(w, r, authFrom(r.Context()).account.Login)
}

func (s *Server) apiUserTokens(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.Account(r.Context(), r.PathValue("login")); err != nil {
		writeError(w, s.serviceError("account", err))
		return
	}
	s.writeTokens(w, r, r.PathValue("login"))
}

func (s *Server) writeTokens(w http.ResponseWriter, r *http.Request, login string) {
	list, err := s.svc.Tokens(r.Context(), login)
	s.answer(w, http.StatusOK, "list tokens", list, err)
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if herr := readJSON(w, r, maxBody, &req); herr != nil {
		writeError(w, herr)
		return
	}
	secret, t, err := s.svc.CreateToken(r.Context(), authFrom(r.Context()).account.Login, req.Label)
	s.answer(w, http.StatusCreated, "make token", newToken{APIToken: t, Token: secret}, err)
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	s.revokeTokenAPI(w, r, authFrom(r.Context()).account.Login)
}

func (s *Server) apiRevokeUserToken(w http.ResponseWriter, r *http.Request) {
	s.revokeTokenAPI(w, r, r.PathValue("login"))
}

func (s *Server) revokeTokenAPI(w http.ResponseWriter, r *http.Request, login string) {
	err := s.svc.RevokeToken(r.Context(), login, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, errorf(http.StatusNotFound, "%s has no token %s.", login, r.PathValue("id")))
		return
	}
	if err != nil {
		writeError(w, s.serviceError("revoke token", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
