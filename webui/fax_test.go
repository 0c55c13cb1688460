package webui

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"minipbx/telephony"
)

// TestFaxPageAndAPI: the Fax page lists a received fax, shows it with
// its PDF inline, serves the PDF (inline or as a download) and the TIFF,
// and deletes it; the API does the same; IDs that are not fax IDs are
// 404 without reaching the store.
func TestFaxPageAndAPI(t *testing.T) {
	f := newFixture(t)
	id := "20261207T100000Z-0001"
	f.svc.fax.faxes = []telephony.Fax{{ID: id, Received: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), Receiver: "office",
		Caller: "0301234567", RemoteID: "+1 555 0100", Pages: 3, Complete: true, Bps: 9600, Modem: "V.29 9600", ECM: true}}
	c := f.client()
	c.ready()
	f.readyAPI()
	page := c.get("/fax")
	if body := page.Body.String(); page.Code != http.StatusOK || !strings.Contains(body, "0301234567") || !strings.Contains(body, "V.29 9600, ECM") ||
		!strings.Contains(body, `id="pdf-`+id+`"`) || !strings.Contains(body, `id="nav-fax"`) {
		t.Fatalf("page %d:\n%s", page.Code, body)
	}
	show := c.get("/fax/" + id)
	if show.Code != http.StatusOK || !strings.Contains(show.Body.String(), `href="/fax/`+id+`/pdf" class="button" id="fax-view"`) || !strings.Contains(show.Body.String(), "3 pages at V.29 9600, ECM, complete") {
		t.Fatalf("show %d:\n%s", show.Code, show.Body)
	}
	pdf := c.get("/fax/" + id + "/pdf")
	b, _ := io.ReadAll(pdf.Body)
	if pdf.Code != http.StatusOK || pdf.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.Header().Get("Content-Disposition"), "inline") ||
		string(b) != string(fakeFaxPDF) {
		t.Errorf("pdf %d %v %q", pdf.Code, pdf.Header(), b)
	}
	if d := c.get("/fax/" + id + "/pdf?download=1"); !strings.HasPrefix(d.Header().Get("Content-Disposition"), "attachment") ||
		!strings.Contains(d.Header().Get("Content-Disposition"), "fax-2026-12-07-1000.pdf") {
		t.Errorf("download %v", d.Header())
	}
	if tf := c.get("/fax/" + id + "/tiff"); tf.Code != http.StatusOK || tf.Header().Get("Content-Type") != "image/tiff" {
		t.Errorf("tiff %d %v", tf.Code, tf.Header())
	}
	for _, bad := range []string{"/fax/x", "/fax/20261207T100000Z-0002/pdf", "/fax/" + url.PathEscape("../pbx.db") + "/pdf"} {
		if w := c.get(bad); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", bad, w.Code)
		}
	}
	if w := f.api("GET", "/api/v1/faxes", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"remote_id":"+1 555 0100"`) {
		t.Errorf("api list: %d %s", w.Code, w.Body)
	}
	if w := f.api("GET", "/api/v1/faxes/"+id+"/pdf", ""); w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/pdf" {
		t.Errorf("api pdf: %d", w.Code)
	}
	if del := c.get("/fax/" + id + "/delete"); del.Code != http.StatusOK || !strings.Contains(del.Body.String(), "Delete the fax") {
		t.Errorf("delete page %d", del.Code)
	}
	if w := f.api("DELETE", "/api/v1/faxes/"+id, ""); w.Code != http.StatusNoContent {
		t.Errorf("delete: %d %s", w.Code, w.Body)
	}
	if w := f.api("DELETE", "/api/v1/faxes/"+id, ""); w.Code != http.StatusNotFound {
		t.Errorf("delete again: %d", w.Code)
	}
	if page := c.get("/fax"); !strings.Contains(page.Body.String(), `id="fax-empty"`) {
		t.Errorf("after delete:\n%s", page.Body)
	}
}
