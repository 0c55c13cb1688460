package webui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"minipbx/telephony/store"
)

// The Users pages (permission "users") and the Roles page ("roles"): an
// administrator, or an office manager for users, makes accounts, sets
// and resets their passwords, gives them roles and extensions, revokes
// their API tokens; an administrator edits what each role may do. The
// store holds every account to its rules (the last administrator stays,
// no one gives rights they lack); the pages show its refusals beside the
// fields.

// roleLabels are the roles in words.
var roleLabels = map[string]string{
	store.RoleAdministrator: "Administrator",
	store.RoleInstaller:     "Installer",
	store.RoleOfficeManager: "Office manager",
	store.RoleUser:          "User",
}

type usersBody struct {
	Accounts []store.Account
	Labels   map[string]string
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	accs, err := s.svc.Accounts(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "list accounts", err)
		return
	}
	s.render(w, r, http.StatusOK, "users", pageData{Title: "Users", Active: "users", Body: usersBody{Accounts: accs, Labels: roleLabels}})
}

// accountForm is the form of an account's role, name, extension and
// language; a new account also has its login and first password.
func (s *Server) accountForm(ctx context.Context, a store.Account, isNew bool) *form {
	roles := []option{}
	for _, n := range store.RoleNames() {
		roles = append(roles, option{Value: n, Label: roleLabels[n], Selected: a.Role == n})
	}
	exts := []option{{Value: "", Label: "None", Selected: a.Extension == ""}}
	if list, err := s.svc.Extensions(ctx); err == nil {
		for _, e := range list {
			label := e.Number
			if e.Name != "" {
				label += " — " + e.Name
			}
			exts = append(exts, option{Value: e.Number, Label: label, Selected: a.Extension == e.Number})
		}
	}
	f := meForm(a)
	f.ID, f.Submit = "account-form", "Save"
	f.Fields[0].Label, f.Fields[0].Help = "Name", "Who uses this account."
	f.Fields = append([]*field{
		{ID: "role", Name: "role", Label: "Role", Type: "select", Options: roles,
			Help: "What the account may do (Roles). You can give only roles with no more rights than your own."},
		{ID: "extension", Name: "extension", Label: "Extension", Type: "select", Options: exts,
			Help: "The account's own extension: its mailbox, forwarding and calls on its own pages. A user needs one."},
	}, f.Fields...)
	if isNew {
		f.ID, f.Action, f.Submit = "account-new-form", "/users/new", "Create account"
		f.Fields = append([]*field{{ID: "login", Name: "login", Label: "Login", Type: "text", Value: a.Login, MaxLength: store.MaxLoginLen,
			Required: true, Autocomplete: "off",
			Help: "A user logs in with their extension number (201); others with a name in lower case (anna)."}}, f.Fields...)
		f.Fields = append(f.Fields, &field{ID: "password", Name: "password", Label: "First password", Type: "text", Autocomplete: "off",
			MaxLength: store.MaxAdminPasswordLen, Help: fmt.Sprintf("At least %d characters; empty makes one (shown once). It must be changed at the first login.", minPasswordLen)})
	} else {
		f.Action = "/users/" + url.PathEscape(a.Login)
	}
	return f
}

func parseAccountForm(v url.Values) store.Account {
	return store.Account{Login: strings.ToLower(strings.TrimSpace(v.Get("login"))), Role: v.Get("role"),
		Name: strings.TrimSpace(v.Get("name")), Extension: v.Get("extension"), Language: v.Get("language")}
}

type userFormBody struct {
	Form     *form
	Password *form
	Account  store.Account
	Tokens   []store.APIToken
	// Generated is a password the box made: shown this once.
	Generated string
	Self      bool
}

func (s *Server) userNewPage(w http.ResponseWriter, r *http.Request) {
	f := s.accountForm(r.Context(), store.Account{Role: store.RoleUser}, true)
	s.render(w, r, http.StatusOK, "user", pageData{Title: "New account", Active: "users", Body: userFormBody{Form: f}})
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	a := parseAccountForm(r.PostForm)
	pw := r.PostForm.Get("password")
	f := s.accountForm(r.Context(), a, true)
	f.field("password").Value = pw
	created, generated, err := s.svc.CreateAccount(r.Context(), a, pw)
	if err != nil {
		herr := s.serviceError("create account", err)
		f.serviceError(herr)
		s.render(w, r, herr.status, "user", pageData{Title: "New account", Active: "users", Body: userFormBody{Form: f}})
		return
	}
	s.log.Info("webui: account created", "login", created.Login, "role", created.Role, "by", authFrom(r.Context()).account.Login)
	if generated == "" {
		s.setFlash(r, fmt.Sprintf("The account %s is created. Its password must be changed at the first login.", created.Login))
		http.Redirect(w, r, "/users/"+url.PathEscape(created.Login), http.StatusSeeOther)
		return
	}
	s.showUser(w, r, http.StatusCreated, created, nil, generated)
}

// showUser renders an account's page; f is its form as sent (nil: as
// stored).
func (s *Server) showUser(w http.ResponseWriter, r *http.Request, status int, a store.Account, f *form, generated string) {
	s.showUserPassword(w, r, status, a, f, passwordResetForm(a.Login), generated)
}

func (s *Server) showUserPassword(w http.ResponseWriter, r *http.Request, status int, a store.Account, f, pf *form, generated string) {
	if f == nil {
		f = s.accountForm(r.Context(), a, false)
	}
	toks, _ := s.svc.Tokens(r.Context(), a.Login)
	s.render(w, r, status, "user", pageData{Title: "Account " + a.Login, Active: "users",
		Body: userFormBody{Form: f, Password: pf, Account: a, Tokens: toks, Generated: generated, Self: a.Login == authFrom(r.Context()).account.Login}})
}

func passwordResetForm(login string) *form {
	return &form{ID: "reset-form", Action: "/users/" + url.PathEscape(login) + "/password", Submit: "Set password", Title: "Password",
		Fields: []*field{{ID: "new_password", Name: "new_password", Label: "New password", Type: "text", Autocomplete: "off", MaxLength: store.MaxAdminPasswordLen,
			Help: fmt.Sprintf("At least %d characters; empty makes one (shown once). The account must change it at its next login, and its sessions end now.", minPasswordLen)}}}
}

func (s *Server) loadAccount(w http.ResponseWriter, r *http.Request) (store.Account, bool) {
	a, err := s.svc.Account(r.Context(), r.PathValue("login"))
	if err != nil {
		s.renderServiceError(w, r, "account "+r.PathValue("login"), err)
		return store.Account{}, false
	}
	return a, true
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.loadAccount(w, r); ok {
		s.showUser(w, r, http.StatusOK, a, nil, "")
	}
}

func (s *Server) userUpdate(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadAccount(w, r)
	if !ok {
		return
	}
	next := parseAccountForm(r.PostForm)
	next.Login = a.Login
	f := s.accountForm(r.Context(), next, false)
	if _, err := s.svc.UpdateAccount(r.Context(), a.Login, next); err != nil {
		herr := s.serviceError("update account", err)
		f.serviceError(herr)
		s.showUser(w, r, herr.status, a, f, "")
		return
	}
	s.setFlash(r, fmt.Sprintf("The account %s is saved.", a.Login))
	http.Redirect(w, r, "/users/"+url.PathEscape(a.Login), http.StatusSeeOther)
}

// resetPassword sets login's password as someone else does (pw "" makes
// one, returned), ends its sessions and forgets cached credentials.
func (s *Server) resetPassword(ctx context.Context, login, pw string) (string, error) {
	generated := ""
	if pw == "" {
		pw = store.GenerateAdminPassword()
		generated = pw
	}
	if err := s.svc.SetAccountPassword(ctx, login, pw, true); err != nil {
		return "", err
	}
	s.basic.clear()
	s.sessions.deleteLogin(login, [32]byte{})
	return generated, nil
}

func (s *Server) userPassword(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadAccount(w, r)
	if !ok {
		return
	}
	pw := r.PostForm.Get("new_password")
	generated, err := s.resetPassword(r.Context(), a.Login, pw)
	if err != nil {
		herr := s.serviceError("set password", err)
		pf := passwordResetForm(a.Login)
		pf.field("new_password").Value = pw
		for i := range herr.fields {
			herr.fields[i].Field = "new_password"
		}
		pf.serviceError(herr)
		s.showUserPassword(w, r, herr.status, a, nil, pf, "")
		return
	}
	if a.Login == authFrom(r.Context()).account.Login {
		// One's own password set here ends one's own session too.
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if generated != "" {
		a, _ = s.svc.Account(r.Context(), a.Login)
		s.showUser(w, r, http.StatusOK, a, nil, generated)
		return
	}
	s.setFlash(r, fmt.Sprintf("The password of %s is set; it must be changed at the next login.", a.Login))
	http.Redirect(w, r, "/users/"+url.PathEscape(a.Login), http.StatusSeeOther)
}

type userDeleteBody struct {
	Account store.Account
	Error   string
}

func (s *Server) userDeletePage(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.loadAccount(w, r); ok {
		s.render(w, r, http.StatusOK, "user_delete", pageData{Title: fmt.Sprintf("Delete account %s", a.Login), Active: "users", Body: userDeleteBody{Account: a}})
	}
}

func (s *Server) userDelete(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadAccount(w, r)
	if !ok {
		return
	}
	if err := s.svc.DeleteAccount(r.Context(), a.Login); err != nil {
		herr := s.serviceError("delete account", err)
		msg := herr.msg
		for _, f := range herr.fields {
			msg = sentence(f.Message)
		}
		s.render(w, r, herr.status, "user_delete", pageData{Title: fmt.Sprintf("Delete account %s", a.Login), Active: "users", Error: msg, Body: userDeleteBody{Account: a, Error: msg}})
		return
	}
	s.sessions.deleteLogin(a.Login, [32]byte{})
	s.basic.clear()
	s.setFlash(r, fmt.Sprintf("The account %s is deleted, with its API tokens.", a.Login))
	http.Redirect(w, r, "/users", http.StatusSeeOther)
}

// --- roles -------------------------------------------------------------------------

type roleForm struct {
	Role   store.Role
	Label  string
	Action string
	Perms  []permBox // in store.Permissions' order
	Error  string
}

type permBox struct {
	Name           string
	Checked, Floor bool
}

type rolesBody struct {
	Roles []roleForm
	// Perms are the permissions, the rows of the roles' table.
	Perms []store.PermissionInfo
}

func roleForms(roles []store.Role) []roleForm {
	var out []roleForm
	for _, ro := range roles {
		rf := roleForm{Role: ro, Label: roleLabels[ro.Name], Action: "/roles/" + ro.Name}
		for _, p := range store.Permissions() {
			floor := ro.Name == store.RoleAdministrator && slices.Contains(store.AdminFloor(), p.Name)
			rf.Perms = append(rf.Perms, permBox{Name: p.Name, Checked: ro.Has(p.Name), Floor: floor})
		}
		out = append(out, rf)
	}
	return out
}

func (s *Server) rolesPage(w http.ResponseWriter, r *http.Request) {
	roles, err := s.svc.Roles(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "roles", err)
		return
	}
	s.render(w, r, http.StatusOK, "roles", pageData{Title: "Roles", Active: "users", Body: rolesBody{Roles: roleForms(roles), Perms: store.Permissions()}})
}

func (s *Server) roleSubmit(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("role")
	want := store.Role{Name: name, Permissions: r.PostForm["permission"]}
	if _, err := s.svc.UpdateRole(r.Context(), want); err != nil {
		herr := s.serviceError("save role", err)
		roles, rerr := s.svc.Roles(r.Context())
		if rerr != nil {
			s.renderServiceError(w, r, "roles", rerr)
			return
		}
		forms := roleForms(roles)
		found := false
		for i := range forms {
			if forms[i].Role.Name != name {
				continue
			}
			found = true
			// Keep what was ticked, with the problem beside it.
			forms[i] = roleForms([]store.Role{want})[0]
			forms[i].Label = roleLabels[name]
			msgs := []string{}
			for _, f := range herr.fields {
				msgs = append(msgs, sentence(f.Message))
			}
			if len(msgs) == 0 {
				msgs = append(msgs, herr.msg)
			}
			forms[i].Error = strings.Join(msgs, " ")
		}
		if !found {
			s.renderError(w, r, http.StatusNotFound, fmt.Sprintf("There is no role %q.", name))
			return
		}
		s.render(w, r, herr.status, "roles", pageData{Title: "Roles", Active: "users", Body: rolesBody{Roles: forms, Perms: store.Permissions()}})
		return
	}
	s.setFlash(r, fmt.Sprintf("The role %s is saved: its accounts have these rights from their next request on.", roleLabels[name]))
	http.Redirect(w, r, "/roles#role-"+name, http.StatusSeeOther)
}

// --- API ------------------------------------------------------------------------

// accountRequest is a new account, or the changes to one.
type accountRequest struct {
	Login     string `json:"login"`
	Role      string `json:"role"`
	Name      string `json:"name"`
	Extension string `json:"extension"`
	Language  string `json:"language"`
	// Password is the first password (POST; "" makes one).
	Password string `json:"password"`
}

// accountCreated is POST /api/v1/users's answer: the password only when
// the box made it.
type accountCreated struct {
	store.Account
	Password string `json:"password,omitempty"`
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) {
	accs, err := s.svc.Accounts(r.Context())
	s.answer(w, http.StatusOK, "list accounts", accs, err)
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) {
	var req accountRequest
	if herr := readJSON(w, r, maxBody, &req); herr != nil {
		writeError(w, herr)
		return
	}
	a, generated, err := s.svc.CreateAccount(r.Context(), store.Account{Login: req.Login, Role: req.Role, Name: req.Name,
		Extension: req.Extension, Language: req.Language}, req.Password)
	s.answer(w, http.StatusCreated, "create account", accountCreated{Account: a, Password: generated}, err)
}

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) {
	a, err := s.svc.Account(r.Context(), r.PathValue("login"))
	s.answer(w, http.StatusOK, "account", a, err)
}

func (s *Server) apiUpdateUser(w http.ResponseWriter, r *http.Request) {
	var req accountRequest
	if herr := readJSON(w, r, maxBody, &req); herr != nil {
		writeError(w, herr)
		return
	}
	login := r.PathValue("login")
	if req.Password != "" || (req.Login != "" && req.Login != login) {
		writeError(w, &httpError{status: http.StatusUnprocessableEntity, msg: "The login cannot change, and the password is set with PUT /api/v1/users/{login}/password.",
			fields: []FieldError{{"login", "Leave it out or give the account's own."}}})
		return
	}
	a, err := s.svc.UpdateAccount(r.Context(), login, store.Account{Role: req.Role, Name: req.Name, Extension: req.Extension, Language: req.Language})
	s.answer(w, http.StatusOK, "update account", a, err)
}

func (s *Server) apiDeleteUser(w http.ResponseWriter, r *http.Request) {
	login := r.PathValue("login")
	if err := s.svc.DeleteAccount(r.Context(), login); err != nil {
		writeError(w, s.serviceError("delete account", err))
		return
	}
	s.sessions.deleteLogin(login, [32]byte{})
	s.basic.clear()
	w.WriteHeader(http.StatusNoContent)
}

type passwordSet struct {
	Password string `json:"password,omitempty"`
}

func (s *Server) apiUserPassword(w http.ResponseWriter, r *http.Request) {
	var req passwordSet
	if herr := readOptionalJSON(w, r, &req); herr != nil {
		writeError(w, herr)
		return
	}
	login := r.PathValue("login")
	if _, err := s.svc.Account(r.Context(), login); err != nil {
		writeError(w, s.serviceError("account", err))
		return
	}
	generated, err := s.resetPassword(r.Context(), login, req.Password)
	s.answer(w, http.StatusOK, "set password", passwordSet{Password: generated}, err)
}

// rolesJSON is GET /api/v1/roles's answer.
type rolesJSON struct {
	Roles       []store.Role           `json:"roles"`
	Permissions []store.PermissionInfo `json:"permissions"`
}

func (s *Server) apiRoles(w http.ResponseWriter, r *http.Request) {
	roles, err := s.svc.Roles(r.Context())
	s.answer(w, http.StatusOK, "roles", rolesJSON{Roles: roles, Permissions: store.Permissions()}, err)
}

// roleRequest is PUT /api/v1/roles/{role}'s body.
type roleRequest struct {
	Permissions []string `json:"permissions"`
}

// decodeRole reads a role's permission set from JSON: strictly (unknown
// fields, duplicate keys, null are errors) and checked against the
// permissions and the administrator's floor.
func decodeRole(name string, data []byte) (store.Role, *httpError) {
	var req roleRequest
	if err := decodeStrict(data, &req); err != nil {
		return store.Role{}, jsonError(err)
	}
	ro := store.Role{Name: name, Permissions: req.Permissions}
	if ro.Permissions == nil {
		return store.Role{}, &httpError{status: http.StatusUnprocessableEntity, msg: "The permission set is not valid; see the fields.",
			fields: []FieldError{{"permissions", "Required: a list of permissions (empty for none)."}}}
	}
	if err := store.ValidateRole(ro); err != nil {
		fs, _ := fieldErrors(err)
		return store.Role{}, &httpError{status: http.StatusUnprocessableEntity, msg: "The permission set is not valid; see the fields.", fields: fs}
	}
	return ro, nil
}

func (s *Server) apiUpdateRole(w http.ResponseWriter, r *http.Request) {
	data, herr := readBody(w, r, maxBody)
	if herr != nil {
		writeError(w, herr)
		return
	}
	name := r.PathValue("role")
	if !slices.Contains(store.RoleNames(), name) {
		writeError(w, errorf(http.StatusNotFound, "There is no role %q (roles: %s).", name, strings.Join(store.RoleNames(), ", ")))
		return
	}
	ro, herr := decodeRole(name, data)
	if herr != nil {
		writeError(w, herr)
		return
	}
	out, err := s.svc.UpdateRole(r.Context(), ro)
	s.answer(w, http.StatusOK, "save role", out, err)
}
