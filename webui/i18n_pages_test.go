package webui

import (
	"regexp"
	"strings"
	"testing"
)

// TestPagesWithoutEnglish: the pages of a plan with every kind of object,
// shown in Russian, Armenian and Kyrgyz, hold no English sentence — in
// their text or their shown attributes. (A word in Latin letters may
// remain: names, codes, SIP; three such words in a row are a sentence
// left out of the catalog. Italian is written in Latin letters, so this
// test cannot tell its pages from English; TestCatalogComplete covers it.)
// It catches what the scanner of TestCatalogComplete cannot see: a text
// a template prints without T, or one put together at run time.
func TestPagesWithoutEnglish(t *testing.T) {
	c, db := dialPlanClient(t)
	everyKindPlan(t, db)
	pages := []string{"/status", "/extensions", "/extensions/new", "/extensions/105", "/dialplan", "/dialplan/flow", "/dialplan/route-tester",
		"/statistics", "/diagnostics", "/calls", "/call-recordings", "/recordings", "/voicemail", "/settings", "/settings/pbx", "/settings/mail",
		"/settings/webhooks", "/settings/billing", "/phones", "/fax", "/users", "/users/new", "/roles", "/audit", "/maintenance", "/me", "/campaigns", "/setup"}
	for _, s := range planSections {
		pages = append(pages, "/dialplan/"+s.Key, "/dialplan/"+s.Key+"/new")
	}
	tag := regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<code>.*?</code>|<[^>]*>`)
	attr := regexp.MustCompile(`(?:title|placeholder|aria-label)="([^"]*)"`)
	english := regexp.MustCompile(`\b[A-Za-z][a-z]+ [a-z]{2,} [a-z]{2,}\b`)
	for _, lang := range []string{"ru", "hy", "ky"} {
		c.header.Set("Accept-Language", lang)
		for _, p := range pages {
			w := c.get(p)
			if w.Code != 200 {
				continue
			}
			body := w.Body.String()
			texts := strings.Split(tag.ReplaceAllString(body, "\n"), "\n")
			for _, m := range attr.FindAllStringSubmatch(body, -1) {
				texts = append(texts, m[1])
			}
			for _, s := range texts {
				if m := english.FindString(s); m != "" {
					t.Errorf("%s %s: English in %q", lang, p, strings.TrimSpace(s))
				}
			}
		}
	}
}
