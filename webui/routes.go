package webui

import (
	"net/http"
	"strings"

	"minipbx/telephony/provision"
)

// pageRoutes are the HTML pages and their form actions.
func (s *Server) pageRoutes() []route {
	return []route{
		{"GET", "/login", public, s.loginPage},
		{"POST", "/login", public, s.loginSubmit},
		{"POST", "/logout", pageDuringChange, s.logout},
		{"GET", "/password", pageDuringChange, s.passwordPage},
		{"POST", "/password", pageDuringChange, s.passwordSubmit},
		{"GET", "/status", page, s.statusPage},
		{"POST", "/sim", page, s.simSubmit},
		{"GET", "/status/live", page, s.statusLive},
		{"POST", "/status/calls/{id}/action", page, s.callActionSubmit},
		{"GET", "/status/calls/{id}/transfer", page, s.transferPage},
		{"POST", "/status/calls/{id}/transfer", page, s.transferSubmit},
		{"POST", "/status/conferences/{room}/members/{member}/action", page, s.memberActionSubmit},
		{"POST", "/status/extensions/{number}/dnd", page, s.dndSubmit},
		{"GET", "/extensions", page, s.extensionsPage},
		{"GET", "/extensions/new", page, s.extensionNewPage},
		{"POST", "/extensions/new", page, s.extensionCreate},
		{"GET", "/extensions/{number}", page, s.extensionPage},
		{"POST", "/extensions/{number}", page, s.extensionPageSubmit},
		{"GET", "/extensions/{number}/edit", page, s.extensionEditPage},
		{"POST", "/extensions/{number}/edit", page, s.extensionUpdate},
		{"GET", "/extensions/{number}/delete", page, s.extensionDeletePage},
		{"POST", "/extensions/{number}/delete", page, s.extensionDelete},
		{"GET", "/calls", page, s.callsPage},
		{"GET", "/calls.csv", page, s.callsCSVPage},
		{"GET", "/calls/{id}", page, s.callDetailPage},
		{"GET", "/statistics", page, s.statisticsPage},
		{"GET", "/statistics/{chart}", page, s.statsChartCSVPage},
		{"GET", "/settings", page, s.settingsPage},
		{"POST", "/settings", page, s.settingsSubmit},
		{"POST", "/settings/fxo/{port}", page, s.fxoSubmit},
		{"GET", "/settings/mail", page, s.mailPage},
		{"POST", "/settings/mail", page, s.mailSubmit},
		{"POST", "/settings/mail/test", page, s.mailTest},
		{"GET", "/settings/billing", page, s.billingPage},
		{"POST", "/settings/billing", page, s.billingSubmit},
		{"GET", "/settings/webhooks", page, s.webhooksPage},
		{"POST", "/settings/webhooks", page, s.webhooksSubmit},
		{"POST", "/settings/webhooks/test", page, s.webhookTest},
		{"GET", "/campaigns", page, s.campaignPageRoute(s.campaignsPage)},
		{"POST", "/campaigns", page, s.campaignPageRoute(s.campaignsCreate)},
		{"POST", "/campaigns/do-not-call", page, s.campaignPageRoute(s.doNotCallSubmit)},
		{"GET", "/campaigns/{name}", page, s.campaignPageRoute(s.campaignPage)},
		{"POST", "/campaigns/{name}", page, s.campaignPageRoute(s.campaignSubmit)},
		{"GET", "/campaigns/{name}/results.csv", page, s.campaignAPI(s.campaignResultsCSV)},
		{"GET", "/diagnostics", page, s.diagnosticsPage},
		{"POST", "/diagnostics", page, s.diagnosticsSubmit},
		{"POST", "/diagnostics/run", page, s.diagnosticsRun},
		{"GET", "/dialplan", page, s.dialPlanPage},
		{"GET", "/dialplan/route-tester", page, s.routeTesterPage},
		{"GET", "/dialplan/flow", page, s.callFlowPage},
		{"GET", "/dialplan/new", page, s.createPage},
		{"GET", "/dialplan/{section}", page, s.dialPlanSectionPage},
		{"POST", "/dialplan/{section}", page, s.dialPlanSectionSubmit},
		{"GET", "/dialplan/{section}/new", page, s.dialPlanObjectPage},
		{"POST", "/dialplan/{section}/new", page, s.dialPlanObjectSubmit},
		{"GET", "/dialplan/{section}/{index}/edit", page, s.dialPlanObjectPage},
		{"POST", "/dialplan/{section}/{index}/edit", page, s.dialPlanObjectSubmit},
		{"GET", "/dialplan/{section}/{index}/delete", page, s.dialPlanObjectDeletePage},
		{"POST", "/dialplan/{section}/{index}/delete", page, s.dialPlanObjectDelete},
		{"POST", "/dialplan/{section}/{index}/up", page, s.dialPlanObjectRaise},
		{"GET", "/call-recordings", page, s.callRecordingsPage},
		{"GET", "/call-recordings/{id}/audio", page, s.callRecordingAudio},
		{"GET", "/call-recordings/{id}/delete", page, s.callRecordingDeletePage},
		{"POST", "/call-recordings/{id}/delete", page, s.callRecordingDelete},
		{"GET", "/fax", page, s.faxPage},
		{"GET", "/fax/{id}", page, s.faxShowPage},
		{"GET", "/fax/{id}/pdf", page, s.faxPDF},
		{"GET", "/fax/{id}/tiff", page, s.faxTIFF},
		{"GET", "/fax/{id}/delete", page, s.faxDeletePage},
		{"POST", "/fax/{id}/delete", page, s.faxDelete},
		{"GET", "/voicemail", page, s.voicemailPage},
		{"GET", "/voicemail/{box}", page, s.voicemailBoxPage},
		{"GET", "/voicemail/{box}/{id}/audio", page, s.voicemailAudio},
		{"POST", "/voicemail/{box}/{id}/heard", page, s.voicemailMark},
		{"GET", "/voicemail/{box}/{id}/delete", page, s.voicemailDeletePage},
		{"POST", "/voicemail/{box}/{id}/delete", page, s.voicemailDelete},
		{"GET", "/recordings", page, s.recordingsPage},
		{"POST", "/recordings", pageUpload, s.recordingUpload},
		{"GET", "/recordings/{name}/audio", page, s.recordingAudio},
		{"GET", "/recordings/{name}/delete", page, s.recordingDeletePage},
		{"POST", "/recordings/{name}/delete", page, s.recordingDelete},
		{"GET", "/prompts/{name}/audio", page, s.builtinPromptAudio},
		{"GET", "/maintenance", page, s.maintenancePage},
		{"POST", "/maintenance/factory-reset", page, s.maintenanceReset},

		// Greetings of any mailbox, and the account's own pages (me.go).
		{"POST", "/voicemail/{box}/greetings", pageUpload, s.greetingUpload},
		{"GET", "/voicemail/{box}/greetings/{kind}/audio", page, s.greetingAudio},
		{"POST", "/voicemail/{box}/greetings/{kind}/delete", page, s.greetingDelete},
		{"GET", "/me", page, s.mePage},
		{"POST", "/me", page, s.meSubmit},
		{"GET", "/me/forwarding", page, s.forwardingPage},
		{"POST", "/me/forwarding", page, s.forwardingSubmit},
		{"GET", "/me/voicemail", page, s.ownMailbox(s.voicemailBoxPage)},
		{"GET", "/me/voicemail/{id}/audio", page, s.ownMailbox(s.voicemailAudio)},
		{"POST", "/me/voicemail/{id}/heard", page, s.ownMailbox(s.voicemailMark)},
		{"GET", "/me/voicemail/{id}/delete", page, s.ownMailbox(s.voicemailDeletePage)},
		{"POST", "/me/voicemail/{id}/delete", page, s.ownMailbox(s.voicemailDelete)},
		{"POST", "/me/voicemail/greetings", pageUpload, s.ownMailbox(s.greetingUpload)},
		{"GET", "/me/voicemail/greetings/{kind}/audio", page, s.ownMailbox(s.greetingAudio)},
		{"POST", "/me/voicemail/greetings/{kind}/delete", page, s.ownMailbox(s.greetingDelete)},
		{"GET", "/me/calls", page, s.myCallsPage},
		{"GET", "/me/tokens", page, s.tokensPage},
		{"POST", "/me/tokens", page, s.tokenCreate},
		{"POST", "/me/tokens/{id}/revoke", page, s.tokenRevoke},

		// Accounts, roles and the audit log (accounts.go, audit.go), the
		// PBX parameters (parameters.go).
		{"GET", "/users", page, s.usersPage},
		{"GET", "/users/new", page, s.userNewPage},
		{"POST", "/users/new", page, s.userCreate},
		{"GET", "/users/{login}", page, s.userPage},
		{"POST", "/users/{login}", page, s.userUpdate},
		{"POST", "/users/{login}/password", page, s.userPassword},
		{"GET", "/users/{login}/delete", page, s.userDeletePage},
		{"POST", "/users/{login}/delete", page, s.userDelete},
		{"POST", "/users/{login}/tokens/{id}/revoke", page, s.userTokenRevoke},
		{"GET", "/roles", page, s.rolesPage},
		{"POST", "/roles/{role}", page, s.roleSubmit},
		{"GET", "/audit", page, s.auditPage},
		{"GET", "/audit.csv", page, s.auditCSV},
		{"GET", "/settings/pbx", page, s.parametersPage},
		{"POST", "/settings/pbx", page, s.parametersSubmit},
		{"POST", "/settings/pbx/board", page, s.boardSubmit},
		{"GET", "/phones", page, s.phonesPage},
		{"POST", "/phones/provision", page, s.phoneProvisionSubmit},
		{"POST", "/phones/{mac}/reissue", page, s.phoneReissueSubmit},
		{"POST", "/phones/{mac}/remove", page, s.phoneRemoveSubmit},
		{"POST", "/phones/settings", page, s.phonesSettingsSubmit},
		{"GET", "/setup", page, s.setupStartPage},
		{"POST", "/setup/start", page, s.setupStart},
		{"POST", "/setup/cancel", page, s.setupCancel},
		{"POST", "/setup/dismiss", page, s.setupDismiss},
		{"GET", "/setup/review", page, s.setupReviewPage},
		{"POST", "/setup/apply", page, s.setupApply},
		{"GET", "/setup/done", page, s.setupDonePage},
		{"GET", "/setup/{step}", page, s.setupStepPage},
		{"POST", "/setup/{step}", page, s.setupStepSubmit},
	}
}

// apiRoutes are the REST API; assets/openapi.json documents exactly these
// (a test compares the two).
func (s *Server) apiRoutes() []route {
	return []route{
		{"GET", "/api/v1/openapi.json", public, s.apiOpenAPI},
		{"GET", "/api/v1/version", api, s.apiVersion},
		{"GET", "/api/v1/status", api, s.apiStatus},
		{"GET", "/api/v1/events", api, s.apiEvents},
		{"GET", "/api/v1/extensions", api, s.apiExtensions},
		{"POST", "/api/v1/extensions", api, s.apiCreateExtension},
		{"GET", "/api/v1/extensions/{number}", api, s.apiExtension},
		{"PUT", "/api/v1/extensions/{number}", api, s.apiUpdateExtension},
		{"DELETE", "/api/v1/extensions/{number}", api, s.apiDeleteExtension},
		{"GET", "/api/v1/calls", api, s.apiCalls},
		{"POST", "/api/v1/calls", api, s.apiPlaceCall},
		{"POST", "/api/v1/calls/{id}/actions", api, s.apiCallAction},
		{"POST", "/api/v1/conferences/{room}/members/{member}/actions", api, s.apiMemberAction},
		{"PUT", "/api/v1/extensions/{number}/dnd", api, s.apiSetDND},
		{"GET", "/api/v1/calls.csv", api, s.apiCallsCSV},
		{"GET", "/api/v1/calls/{id}", api, s.apiCallRecord},
		{"GET", "/api/v1/statistics", api, s.apiStatistics},
		{"GET", "/api/v1/statistics/{chart}", api, s.apiStatsChartCSV},
		{"GET", "/api/v1/settings", api, s.apiSettings},
		{"PUT", "/api/v1/settings", api, s.apiUpdateSettings},
		{"GET", "/api/v1/settings/mail", api, s.apiMail},
		{"PUT", "/api/v1/settings/mail", api, s.apiUpdateMail},
		{"POST", "/api/v1/settings/mail/test", api, s.apiMailTest},
		{"GET", "/api/v1/settings/billing", api, s.apiBilling},
		{"PUT", "/api/v1/settings/billing", api, s.apiUpdateBilling},
		{"GET", "/api/v1/settings/webhooks", api, s.apiWebhooks},
		{"PUT", "/api/v1/settings/webhooks", api, s.apiUpdateWebhooks},
		{"POST", "/api/v1/settings/webhooks/test", api, s.apiWebhookTest},
		{"GET", "/api/v1/campaigns", api, s.campaignAPI(s.apiCampaigns)},
		{"POST", "/api/v1/campaigns", api, s.campaignAPI(s.apiCreateCampaign)},
		{"GET", "/api/v1/campaigns/{name}", api, s.campaignAPI(s.apiCampaign)},
		{"PUT", "/api/v1/campaigns/{name}", api, s.campaignAPI(s.apiUpdateCampaign)},
		{"DELETE", "/api/v1/campaigns/{name}", api, s.campaignAPI(s.apiDeleteCampaign)},
		{"PUT", "/api/v1/campaigns/{name}/state", api, s.campaignAPI(s.apiCampaignState)},
		{"POST", "/api/v1/campaigns/{name}/contacts", api, s.campaignAPI(s.apiImportContacts)},
		{"GET", "/api/v1/campaigns/{name}/results.csv", api, s.campaignAPI(s.campaignResultsCSV)},
		{"GET", "/api/v1/do-not-call", api, s.campaignAPI(s.apiDoNotCall)},
		{"PUT", "/api/v1/do-not-call/{number}", api, s.campaignAPI(s.apiAddDoNotCall)},
		{"DELETE", "/api/v1/do-not-call/{number}", api, s.campaignAPI(s.apiRemoveDoNotCall)},
		{"GET", "/api/v1/fxo-lines", api, s.apiFXOLines},
		{"PUT", "/api/v1/fxo-lines/{port}", api, s.apiUpdateFXOLine},
		{"GET", "/api/v1/config", api, s.apiExportConfig},
		{"PUT", "/api/v1/config", api, s.apiImportConfig},
		{"POST", "/api/v1/admin/password", apiDuringChange, s.apiSetPassword},
		{"GET", "/api/v1/diagnostics", api, s.apiDiagnostics},
		{"PUT", "/api/v1/diagnostics", api, s.apiUpdateDiagnostics},
		{"POST", "/api/v1/diagnostics/run", api, s.apiRunDiagnostics},
		{"GET", "/api/v1/diagnostics/runs", api, s.apiDiagnosticRuns},
		{"GET", "/api/v1/dialplan", api, s.apiDialPlan},
		{"PUT", "/api/v1/dialplan", api, s.apiUpdateDialPlan},
		{"GET", "/api/v1/dialplan/trace", api, s.apiTraceRoute},
		{"GET", "/api/v1/call-recordings", api, s.apiCallRecordings},
		{"GET", "/api/v1/call-recordings/usage", api, s.apiCallRecordingUsage},
		{"GET", "/api/v1/call-recordings/{id}/audio", api, s.apiCallRecordingAudio},
		{"DELETE", "/api/v1/call-recordings/{id}", api, s.apiDeleteCallRecording},
		{"GET", "/api/v1/faxes", api, s.apiFaxes},
		{"GET", "/api/v1/faxes/{id}", api, s.apiFax},
		{"GET", "/api/v1/faxes/{id}/pdf", api, s.apiFaxPDF},
		{"GET", "/api/v1/faxes/{id}/tiff", api, s.apiFaxTIFF},
		{"DELETE", "/api/v1/faxes/{id}", api, s.apiDeleteFax},
		{"GET", "/api/v1/voicemail", api, s.apiVoicemail},
		{"GET", "/api/v1/voicemail/{box}/messages", api, s.apiVoicemailMessages},
		{"GET", "/api/v1/voicemail/{box}/messages/{id}", api, s.apiVoicemailMessage},
		{"PATCH", "/api/v1/voicemail/{box}/messages/{id}", api, s.apiMarkVoicemail},
		{"DELETE", "/api/v1/voicemail/{box}/messages/{id}", api, s.apiDeleteVoicemail},
		{"GET", "/api/v1/voicemail/{box}/messages/{id}/audio", api, s.apiVoicemailAudio},
		{"GET", "/api/v1/recordings", api, s.apiRecordings},
		{"PUT", "/api/v1/recordings/{name}", api, s.apiSaveRecording},
		{"DELETE", "/api/v1/recordings/{name}", api, s.apiDeleteRecording},
		{"GET", "/api/v1/recordings/{name}/audio", api, s.apiRecordingAudio},
		{"GET", "/api/v1/prompts/{name}/audio", api, s.apiBuiltinPromptAudio},
		{"POST", "/api/v1/trunks/test", api, s.apiTestTrunk},
		{"GET", "/api/v1/firmware", api, s.apiFirmware},
		{"POST", "/api/v1/upgrade", api, s.apiUpgrade()},
		{"GET", "/api/v1/upgrade/progress", api, s.apiUpgradeProgress()},
		{"GET", "/api/v1/backup", api, s.apiBackup()},
		{"POST", "/api/v1/restore", api, s.apiRestore()},
		{"POST", "/api/v1/factory-reset", api, s.apiFactoryReset()},
		{"POST", "/api/v1/sim/phones/{port}/offhook", api, s.apiSimPhone("offhook")},
		{"POST", "/api/v1/sim/phones/{port}/onhook", api, s.apiSimPhone("onhook")},
		{"POST", "/api/v1/sim/phones/{port}/dial", api, s.apiSimPhone("dial")},
		{"POST", "/api/v1/sim/lines/{port}/ring", api, s.apiSimLine("ring")},
		{"POST", "/api/v1/sim/lines/{port}/hangup", api, s.apiSimLine("hangup")},

		{"GET", "/api/v1/me", api, s.apiMe},
		{"PATCH", "/api/v1/me", api, s.apiUpdateMe},
		{"GET", "/api/v1/me/forwarding", api, s.apiForwarding},
		{"PUT", "/api/v1/me/forwarding", api, s.apiUpdateForwarding},
		{"GET", "/api/v1/me/voicemail", api, s.ownMailbox(s.apiVoicemailMessages)},
		{"GET", "/api/v1/me/voicemail/{id}/audio", api, s.ownMailbox(s.apiVoicemailAudio)},
		{"DELETE", "/api/v1/me/voicemail/{id}", api, s.ownMailbox(s.apiDeleteVoicemail)},
		{"PUT", "/api/v1/me/greetings/{kind}", api, s.ownMailbox(s.apiSaveGreeting)},
		{"DELETE", "/api/v1/me/greetings/{kind}", api, s.ownMailbox(s.apiDeleteGreeting)},
		{"GET", "/api/v1/me/calls", api, s.apiMyCalls},
		{"GET", "/api/v1/me/tokens", api, s.apiTokens},
		{"POST", "/api/v1/me/tokens", api, s.apiCreateToken},
		{"DELETE", "/api/v1/me/tokens/{id}", api, s.apiRevokeToken},
		{"GET", "/api/v1/users", api, s.apiUsers},
		{"POST", "/api/v1/users", api, s.apiCreateUser},
		{"GET", "/api/v1/users/{login}", api, s.apiUser},
		{"PUT", "/api/v1/users/{login}", api, s.apiUpdateUser},
		{"DELETE", "/api/v1/users/{login}", api, s.apiDeleteUser},
		{"PUT", "/api/v1/users/{login}/password", api, s.apiUserPassword},
		{"GET", "/api/v1/users/{login}/tokens", api, s.apiUserTokens},
		{"DELETE", "/api/v1/users/{login}/tokens/{id}", api, s.apiRevokeUserToken},
		{"GET", "/api/v1/roles", api, s.apiRoles},
		{"PUT", "/api/v1/roles/{role}", api, s.apiUpdateRole},
		{"GET", "/api/v1/audit", api, s.apiAudit},
		{"GET", "/api/v1/audit.csv", api, s.apiAuditCSV},
		{"GET", "/api/v1/pbx-parameters", api, s.apiParameters},
		{"PUT", "/api/v1/pbx-parameters", api, s.apiUpdateParameters},
		{"GET", "/api/v1/board", api, s.apiBoard},
		{"PUT", "/api/v1/board/timeslots", api, s.apiUpdateTimeslots},
		{"GET", "/api/v1/phones", api, s.apiPhones},
		{"PUT", "/api/v1/phones/{mac}", api, s.apiProvisionPhone},
		{"DELETE", "/api/v1/phones/{mac}", api, s.apiRemovePhone},
		{"POST", "/api/v1/phones/{mac}/token", api, s.apiReissuePhone},
		{"PUT", "/api/v1/provisioning/settings", api, s.apiProvisioningSettings},
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range append(s.pageRoutes(), s.apiRoutes()...) {
		if _, ok := s.perms[rt.method+" "+rt.pattern]; !ok {
			s.log.Error("webui: a route has no permission decision (permissions.go); only administrators may use it", "route", rt.method+" "+rt.pattern)
		}
		mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	s.mux = mux
	mux.Handle("GET /static/", s.staticHandler())
	// The phones' files: outside the session, their URL's token is the
	// credential (phones.go).
	mux.Handle("GET "+provision.PathPrefix, s.provisionHandler())
	mux.HandleFunc("GET /{$}", s.home)

	// Requests the mux does not route (404, or 405 for a wrong method) get
	// a JSON error under /api/ and a page elsewhere.
	routed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if allow := rec.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		status := rec.status
		if status < 400 {
			// A redirect the mux itself makes (path cleaning): pass it on.
			h.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			if status == http.StatusMethodNotAllowed {
				writeError(w, errorf(status, "Method %s is not allowed here; allowed: %s.", r.Method, rec.header.Get("Allow")))
			} else {
				writeError(w, errorf(status, "No such API path %s; see /api/v1/openapi.json.", r.URL.Path))
			}
			return
		}
		msg := "There is no page at this address."
		if status == http.StatusMethodNotAllowed {
			msg = "This page cannot be used that way (method " + r.Method + ")."
		}
		s.renderError(w, r, status, msg)
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeError(w, errorf(http.StatusForbidden, "Cross-origin request refused: this request came from another site (Origin/Sec-Fetch-Site)."))
			return
		}
		s.renderError(w, r, http.StatusForbidden, "This request came from another web site and was refused. Use the box's own pages.")
	}))
	return securityHeaders(withGzip(s.recoverPanics(cop.Handler(routed))))
}

// statusRecorder captures what the mux's own not-found/405 handlers would
// write, so that the real response can be in the right format.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return len(b), nil
}
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// contentSecurityPolicy allows nothing but the box's own files: no inline
// scripts or styles, no frames, forms only to the box itself.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every response carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		if r.TLS != nil {
			// No includeSubDomains: the box does not own its parent domain.
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// staticHandler serves the embedded CSS and JavaScript. They change only
// with the firmware, so a short cache keeps pages fast without serving a
// stale script after an upgrade for long.
func (s *Server) staticHandler() http.Handler {
	fsh := http.StripPrefix("/static/", http.FileServerFS(s.static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			s.renderError(w, r, http.StatusNotFound, "There is no page at this address.")
			return
		}
		w.Header().Set("Cache-Control", "private, max-age=300")
		fsh.ServeHTTP(w, r)
	})
}
