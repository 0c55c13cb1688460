package webui

import (
	"fmt"
	"net/http"
	"net/url"

	"minipbx/telephony/store"
)

// Who may use each route: one table, keyed like the mux ("METHOD
// pattern"), read by one middleware (authorize). Every route of
// pageRoutes and apiRoutes has an entry: a permission of store's roles
// (store.Permissions), signedIn for what every account may do with
// itself (log out, change its password, its own page), or anyone for the
// public routes. A route without an entry is refused to every role but
// the administrator, logged when the server starts, and fails
// TestAccessMatrix.
const (
	anyone   = "(anyone)"
	signedIn = "(signed in)"
)

func routePermissions() map[string]string {
	return map[string]string{
		"GET /login":    anyone,
		"POST /login":   anyone,
		"POST /logout":  signedIn,
		"GET /password": signedIn,
		// The password page serves every account; its first-login form
		// opens before anything else.
		"POST /password": signedIn,

		"GET /status":      store.PermStatus,
		"GET /status/live": store.PermStatus,
		"POST /sim":        store.PermSimulator,

		"POST /status/calls/{id}/action":                          store.PermOperator,
		"GET /status/calls/{id}/transfer":                         store.PermOperator,
		"POST /status/calls/{id}/transfer":                        store.PermOperator,
		"POST /status/conferences/{room}/members/{member}/action": store.PermOperator,
		"POST /status/extensions/{number}/dnd":                    store.PermOperator,

		"GET /extensions":                  store.PermExtensionsView,
		"GET /extensions/new":              store.PermExtensionsEdit,
		"POST /extensions/new":             store.PermExtensionsEdit,
		"GET /extensions/{number}":         store.PermExtensionsEdit, // shows the SIP password
		"POST /extensions/{number}":        store.PermExtensionsEdit,
		"GET /extensions/{number}/edit":    store.PermExtensionsEdit, // shows the SIP password
		"POST /extensions/{number}/edit":   store.PermExtensionsEdit,
		"GET /extensions/{number}/delete":  store.PermExtensionsEdit,
		"POST /extensions/{number}/delete": store.PermExtensionsEdit,

		"GET /calls": store.PermCallsAll,
		// The setup wizard changes settings, extensions and the dial plan
		// at once: the installer's permission to change settings covers it.
		"GET /setup":                   store.PermSettingsEdit,
		"POST /setup/start":            store.PermSettingsEdit,
		"POST /setup/cancel":           store.PermSettingsEdit,
		"POST /setup/dismiss":          store.PermSettingsEdit,
		"GET /setup/review":            store.PermSettingsEdit,
		"POST /setup/apply":            store.PermSettingsEdit,
		"GET /setup/done":              store.PermSettingsEdit,
		"GET /setup/{step}":            store.PermSettingsEdit,
		"POST /setup/{step}":           store.PermSettingsEdit,
		"GET /phones":                  store.PermExtensionsView,
		"POST /phones/provision":       store.PermExtensionsEdit,
		"POST /phones/{mac}/reissue":   store.PermExtensionsEdit,
		"POST /phones/{mac}/remove":    store.PermExtensionsEdit,
		"POST /phones/settings":        store.PermExtensionsEdit,
		"GET /calls.csv":               store.PermCallsAll,
		"GET /calls/{id}":              store.PermCallsAll,
		"GET /statistics":              store.PermStatistics,
		"GET /statistics/{chart}":      store.PermStatistics,
		"GET /settings/mail":           store.PermSettingsView,
		"POST /settings/mail":          store.PermSettingsEdit,
		"POST /settings/mail/test":     store.PermSettingsEdit,
		"GET /settings/billing":        store.PermSettingsView,
		"POST /settings/billing":       store.PermSettingsEdit,
		"GET /settings/webhooks":       store.PermSettingsView,
		"POST /settings/webhooks":      store.PermSettingsEdit,
		"POST /settings/webhooks/test": store.PermSettingsEdit,
		// Campaigns call outside numbers at the box's expense, as the dial
		// plan's routes let them: who may change the dial plan runs them.
		"GET /campaigns":                    store.PermDialPlanView,
		"POST /campaigns":                   store.PermDialPlanEdit,
		"POST /campaigns/do-not-call":       store.PermDialPlanEdit,
		"GET /campaigns/{name}":             store.PermDialPlanView,
		"POST /campaigns/{name}":            store.PermDialPlanEdit,
		"GET /campaigns/{name}/results.csv": store.PermDialPlanView,

		"GET /settings":                           store.PermSettingsView,
		"POST /settings":                          store.PermSettingsEdit,
		"POST /settings/fxo/{port}":               store.PermSettingsEdit,
		"GET /settings/pbx":                       store.PermSettingsView,
		"POST /settings/pbx":                      store.PermSettingsEdit,
		"POST /settings/pbx/board":                store.PermSettingsEdit,
		"GET /diagnostics":                        store.PermDiagnosticsView,
		"POST /diagnostics":                       store.PermDiagnosticsRun,
		"POST /diagnostics/run":                   store.PermDiagnosticsRun,
		"GET /dialplan":                           store.PermDialPlanView,
		"GET /dialplan/route-tester":              store.PermDialPlanView,
		"GET /dialplan/flow":                      store.PermDialPlanView,
		"GET /dialplan/new":                       store.PermDialPlanEdit,
		"GET /dialplan/{section}":                 store.PermDialPlanView,
		"POST /dialplan/{section}":                store.PermDialPlanEdit,
		"GET /dialplan/{section}/new":             store.PermDialPlanEdit,
		"POST /dialplan/{section}/new":            store.PermDialPlanEdit,
		"GET /dialplan/{section}/{index}/edit":    store.PermDialPlanView,
		"POST /dialplan/{section}/{index}/edit":   store.PermDialPlanEdit,
		"GET /dialplan/{section}/{index}/delete":  store.PermDialPlanEdit,
		"POST /dialplan/{section}/{index}/delete": store.PermDialPlanEdit,
		"POST /dialplan/{section}/{index}/up":     store.PermDialPlanEdit,

		"GET /call-recordings":              store.PermCallRecView,
		"GET /call-recordings/{id}/audio":   store.PermCallRecView,
		"GET /call-recordings/{id}/delete":  store.PermCallRecDelete,
		"POST /call-recordings/{id}/delete": store.PermCallRecDelete,

		"GET /fax":              store.PermFaxView,
		"GET /fax/{id}":         store.PermFaxView,
		"GET /fax/{id}/pdf":     store.PermFaxView,
		"GET /fax/{id}/tiff":    store.PermFaxView,
		"GET /fax/{id}/delete":  store.PermFaxDelete,
		"POST /fax/{id}/delete": store.PermFaxDelete,

		"GET /voicemail":                                store.PermVoicemailAll,
		"GET /voicemail/{box}":                          store.PermVoicemailAll,
		"GET /voicemail/{box}/{id}/audio":               store.PermVoicemailAll,
		"POST /voicemail/{box}/{id}/heard":              store.PermVoicemailAll,
		"GET /voicemail/{box}/{id}/delete":              store.PermVoicemailAll,
		"POST /voicemail/{box}/{id}/delete":             store.PermVoicemailAll,
		"POST /voicemail/{box}/greetings":               store.PermVoicemailAll,
		"GET /voicemail/{box}/greetings/{kind}/audio":   store.PermVoicemailAll,
		"POST /voicemail/{box}/greetings/{kind}/delete": store.PermVoicemailAll,
		"GET /recordings":                               store.PermRecordingsView,
		"POST /recordings":                              store.PermRecordingsEdit,
		"GET /recordings/{name}/audio":                  store.PermRecordingsView,
		"GET /recordings/{name}/delete":                 store.PermRecordingsEdit,
		"POST /recordings/{name}/delete":                store.PermRecordingsEdit,
		"GET /prompts/{name}/audio":                     store.PermRecordingsView,
		"GET /maintenance":                              store.PermMaintenance,
		"POST /maintenance/factory-reset":               store.PermMaintenance,

		// The account's own pages (me.go).
		"GET /me":                                    signedIn,
		"POST /me":                                   signedIn,
		"GET /me/forwarding":                         store.PermOwnForwarding,
		"POST /me/forwarding":                        store.PermOwnForwarding,
		"GET /me/voicemail":                          store.PermOwnVoicemail,
		"GET /me/voicemail/{id}/audio":               store.PermOwnVoicemail,
		"POST /me/voicemail/{id}/heard":              store.PermOwnVoicemail,
		"GET /me/voicemail/{id}/delete":              store.PermOwnVoicemail,
		"POST /me/voicemail/{id}/delete":             store.PermOwnVoicemail,
		"POST /me/voicemail/greetings":               store.PermOwnVoicemail,
		"GET /me/voicemail/greetings/{kind}/audio":   store.PermOwnVoicemail,
		"POST /me/voicemail/greetings/{kind}/delete": store.PermOwnVoicemail,
		"GET /me/calls":                              store.PermOwnCalls,
		"GET /me/tokens":                             store.PermOwnTokens,
		"POST /me/tokens":                            store.PermOwnTokens,
		"POST /me/tokens/{id}/revoke":                store.PermOwnTokens,

		// Accounts, roles, the audit log (accounts.go, audit.go).
		"GET /users":                             store.PermUsers,
		"GET /users/new":                         store.PermUsers,
		"POST /users/new":                        store.PermUsers,
		"GET /users/{login}":                     store.PermUsers,
		"POST /users/{login}":                    store.PermUsers,
		"POST /users/{login}/password":           store.PermUsers,
		"GET /users/{login}/delete":              store.PermUsers,
		"POST /users/{login}/delete":             store.PermUsers,
		"POST /users/{login}/tokens/{id}/revoke": store.PermUsers,
		"GET /roles":                             store.PermRoles,
		"POST /roles/{role}":                     store.PermRoles,
		"GET /audit":                             store.PermAudit,
		"GET /audit.csv":                         store.PermAudit,

		// The API.
		"GET /api/v1/openapi.json":           anyone,
		"GET /api/v1/version":                signedIn,
		"GET /api/v1/status":                 store.PermStatus,
		"GET /api/v1/events":                 store.PermStatus,
		"GET /api/v1/extensions":             store.PermExtensionsView,
		"POST /api/v1/extensions":            store.PermExtensionsEdit,
		"GET /api/v1/extensions/{number}":    store.PermExtensionsView,
		"PUT /api/v1/extensions/{number}":    store.PermExtensionsEdit,
		"DELETE /api/v1/extensions/{number}": store.PermExtensionsEdit,
		"GET /api/v1/calls":                  store.PermCallsAll,
		// Click-to-call rings any extension and dials out for it (within
		// the extension's class): an operator's act.
		"POST /api/v1/calls":                                       store.PermOperator,
		"POST /api/v1/trunks/test":                                 store.PermDialPlanEdit,
		"GET /api/v1/phones":                                       store.PermExtensionsView,
		"PUT /api/v1/phones/{mac}":                                 store.PermExtensionsEdit,
		"DELETE /api/v1/phones/{mac}":                              store.PermExtensionsEdit,
		"POST /api/v1/phones/{mac}/token":                          store.PermExtensionsEdit,
		"PUT /api/v1/provisioning/settings":                        store.PermExtensionsEdit,
		"GET /api/v1/calls.csv":                                    store.PermCallsAll,
		"GET /api/v1/calls/{id}":                                   store.PermCallsAll,
		"GET /api/v1/statistics":                                   store.PermStatistics,
		"GET /api/v1/statistics/{chart}":                           store.PermStatistics,
		"GET /api/v1/settings/mail":                                store.PermSettingsView,
		"PUT /api/v1/settings/mail":                                store.PermSettingsEdit,
		"POST /api/v1/settings/mail/test":                          store.PermSettingsEdit,
		"GET /api/v1/settings/billing":                             store.PermSettingsView,
		"PUT /api/v1/settings/billing":                             store.PermSettingsEdit,
		"GET /api/v1/settings/webhooks":                            store.PermSettingsView,
		"PUT /api/v1/settings/webhooks":                            store.PermSettingsEdit,
		"POST /api/v1/settings/webhooks/test":                      store.PermSettingsEdit,
		"GET /api/v1/campaigns":                                    store.PermDialPlanView,
		"POST /api/v1/campaigns":                                   store.PermDialPlanEdit,
		"GET /api/v1/campaigns/{name}":                             store.PermDialPlanView,
		"PUT /api/v1/campaigns/{name}":                             store.PermDialPlanEdit,
		"DELETE /api/v1/campaigns/{name}":                          store.PermDialPlanEdit,
		"PUT /api/v1/campaigns/{name}/state":                       store.PermDialPlanEdit,
		"POST /api/v1/campaigns/{name}/contacts":                   store.PermDialPlanEdit,
		"GET /api/v1/campaigns/{name}/results.csv":                 store.PermDialPlanView,
		"GET /api/v1/do-not-call":                                  store.PermDialPlanView,
		"PUT /api/v1/do-not-call/{number}":                         store.PermDialPlanEdit,
		"DELETE /api/v1/do-not-call/{number}":                      store.PermDialPlanEdit,
		"POST /api/v1/calls/{id}/actions":                          store.PermOperator,
		"POST /api/v1/conferences/{room}/members/{member}/actions": store.PermOperator,
		"PUT /api/v1/extensions/{number}/dnd":                      store.PermOperator,
		"GET /api/v1/settings":                                     store.PermSettingsView,
		"PUT /api/v1/settings":                                     store.PermSettingsEdit,
		"GET /api/v1/pbx-parameters":                               store.PermSettingsView,
		"PUT /api/v1/pbx-parameters":                               store.PermSettingsEdit,
		"GET /api/v1/board":                                        store.PermSettingsView,
		"PUT /api/v1/board/timeslots":                              store.PermSettingsEdit,
		"GET /api/v1/fxo-lines":                                    store.PermSettingsView,
		"PUT /api/v1/fxo-lines/{port}":                             store.PermSettingsEdit,
		"GET /api/v1/config":                                       store.PermConfigExport,
		"PUT /api/v1/config":                                       store.PermConfigImport,
		"POST /api/v1/admin/password":                              signedIn,
		"GET /api/v1/diagnostics":                                  store.PermDiagnosticsView,
		"PUT /api/v1/diagnostics":                                  store.PermDiagnosticsRun,
		"POST /api/v1/diagnostics/run":                             store.PermDiagnosticsRun,
		"GET /api/v1/diagnostics/runs":                             store.PermDiagnosticsView,
		"GET /api/v1/dialplan":                                     store.PermDialPlanView,
		"PUT /api/v1/dialplan":                                     store.PermDialPlanEdit,
		"GET /api/v1/dialplan/trace":                               store.PermDialPlanView,
		"GET /api/v1/call-recordings":                              store.PermCallRecView,
		"GET /api/v1/call-recordings/usage":                        store.PermCallRecView,
		"GET /api/v1/call-recordings/{id}/audio":                   store.PermCallRecView,
		"DELETE /api/v1/call-recordings/{id}":                      store.PermCallRecDelete,
		"GET /api/v1/faxes":                                        store.PermFaxView,
		"GET /api/v1/faxes/{id}":                                   store.PermFaxView,
		"GET /api/v1/faxes/{id}/pdf":                               store.PermFaxView,
		"GET /api/v1/faxes/{id}/tiff":                              store.PermFaxView,
		"DELETE /api/v1/faxes/{id}":                                store.PermFaxDelete,
		"GET /api/v1/voicemail":                                    store.PermVoicemailAll,
		"GET /api/v1/voicemail/{box}/messages":                     store.PermVoicemailAll,
		"GET /api/v1/voicemail/{box}/messages/{id}":                store.PermVoicemailAll,
		"PATCH /api/v1/voicemail/{box}/messages/{id}":              store.PermVoicemailAll,
		"DELETE /api/v1/voicemail/{box}/messages/{id}":             store.PermVoicemailAll,
		"GET /api/v1/voicemail/{box}/messages/{id}/audio":          store.PermVoicemailAll,
		"GET /api/v1/recordings":                                   store.PermRecordingsView,
		"PUT /api/v1/recordings/{name}":                            store.PermRecordingsEdit,
		"DELETE /api/v1/recordings/{name}":                         store.PermRecordingsEdit,
		"GET /api/v1/recordings/{name}/audio":                      store.PermRecordingsView,
		"GET /api/v1/prompts/{name}/audio":                         store.PermRecordingsView,
		"GET /api/v1/firmware":                                     store.PermMaintenance,
		"POST /api/v1/upgrade":                                     store.PermMaintenance,
		"GET /api/v1/upgrade/progress":                             store.PermMaintenance,
		"GET /api/v1/backup":                                       store.PermMaintenance,
		"POST /api/v1/restore":                                     store.PermMaintenance,
		"POST /api/v1/factory-reset":                               store.PermMaintenance,
		"POST /api/v1/sim/phones/{port}/offhook":                   store.PermSimulator,
		"POST /api/v1/sim/phones/{port}/onhook":                    store.PermSimulator,
		"POST /api/v1/sim/phones/{port}/dial":                      store.PermSimulator,
		"POST /api/v1/sim/lines/{port}/ring":                       store.PermSimulator,
		"POST /api/v1/sim/lines/{port}/hangup":                     store.PermSimulator,

		"GET /api/v1/me":                           signedIn,
		"PATCH /api/v1/me":                         signedIn,
		"GET /api/v1/me/forwarding":                store.PermOwnForwarding,
		"PUT /api/v1/me/forwarding":                store.PermOwnForwarding,
		"GET /api/v1/me/voicemail":                 store.PermOwnVoicemail,
		"GET /api/v1/me/voicemail/{id}/audio":      store.PermOwnVoicemail,
		"DELETE /api/v1/me/voicemail/{id}":         store.PermOwnVoicemail,
		"PUT /api/v1/me/greetings/{kind}":          store.PermOwnVoicemail,
		"DELETE /api/v1/me/greetings/{kind}":       store.PermOwnVoicemail,
		"GET /api/v1/me/calls":                     store.PermOwnCalls,
		"GET /api/v1/me/tokens":                    store.PermOwnTokens,
		"POST /api/v1/me/tokens":                   store.PermOwnTokens,
		"DELETE /api/v1/me/tokens/{id}":            store.PermOwnTokens,
		"GET /api/v1/users":                        store.PermUsers,
		"POST /api/v1/users":                       store.PermUsers,
		"GET /api/v1/users/{login}":                store.PermUsers,
		"PUT /api/v1/users/{login}":                store.PermUsers,
		"DELETE /api/v1/users/{login}":             store.PermUsers,
		"PUT /api/v1/users/{login}/password":       store.PermUsers,
		"GET /api/v1/users/{login}/tokens":         store.PermUsers,
		"DELETE /api/v1/users/{login}/tokens/{id}": store.PermUsers,
		"GET /api/v1/roles":                        store.PermRoles,
		"PUT /api/v1/roles/{role}":                 store.PermRoles,
		"GET /api/v1/audit":                        store.PermAudit,
		"GET /api/v1/audit.csv":                    store.PermAudit,
	}
}

// permissionOf is a route's permission ("" when the table has none).
func (s *Server) permissionOf(method, pattern string) string {
	return s.perms[method+" "+pattern]
}

// allowed reports whether the account of info may use a route needing
// perm. A route without a decision is the administrator's alone.
func allowed(info *authInfo, perm string) bool {
	switch perm {
	case anyone, signedIn:
		return true
	case "":
		return info.account.Role == store.RoleAdministrator
	}
	return info.role.Has(perm)
}

// authorize is the one place that decides whether an account's role may
// use a route. A refusal is 403 (a page that says so in a browser, JSON
// on the API) and an entry in the audit log.
func (s *Server) authorize(rt route, h http.Handler) http.Handler {
	perm := s.permissionOf(rt.method, rt.pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := authFrom(r.Context())
		if allowed(info, perm) {
			h.ServeHTTP(w, r.WithContext(store.WithActor(r.Context(), info.actor(r))))
			return
		}
		ctx := store.WithActor(r.Context(), info.actor(r))
		need := perm
		if need == "" {
			need = "(an administrator: this route has no permission of its own)"
		}
		if err := s.svc.RecordRefusal(ctx, rt.method+" "+rt.pattern, need); err != nil {
			s.log.Error("webui: refusal not in the audit log", "err", err)
		}
		s.log.Info("webui: refused by role", "login", info.account.Login, "role", info.account.Role, "route", rt.method+" "+rt.pattern, "needs", need)
		msg := fmt.Sprintf("Your account (%s, role %s) may not do this: it needs the permission \"%s\". Ask an administrator if you should. The attempt is in the audit log.",
			info.account.Login, info.account.Role, need)
		if rt.access == api || rt.access == apiDuringChange {
			writeError(w, errorf(http.StatusForbidden, "%s", msg))
			return
		}
		s.renderError(w, r, http.StatusForbidden, msg)
	})
}

// mayGet reports whether the request's account may open the page at path
// (for the navigation: a link only to what it may open).
func (s *Server) mayGet(info *authInfo, path string) bool {
	if s.mux == nil {
		return false
	}
	_, pattern := s.mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}})
	if pattern == "" {
		return false
	}
	return allowed(info, s.perms[pattern])
}
