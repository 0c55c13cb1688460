package webui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browserLogin logs in as admin on a fresh fake service (making the forced
// password change) and leaves the browser on the status page.
func browserLogin(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", "initial-pass"), chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("forced-change")),
		fill("new_password", "correct horse battery"), fill("confirm_password", "correct horse battery"),
		chromedp.Click(chromedp.ID("password-form-submit")), chromedp.WaitVisible(chromedp.ID("ports")))
}

// TestBrowserLanguagePickerArmenian: the account's language, chosen on its
// own page, is the language of every page after it; and the Armenian
// script is drawn with real glyphs from the fonts the machine has (no
// font service): each letter of a sample has its own width, where a
// missing glyph would be the same box for all, as wide as the box drawn
// for a code point no font has.
func TestBrowserLanguagePickerArmenian(t *testing.T) {
	svc := newFakeService()
	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)
	browserLogin(t, ctx, base)

	do(t, ctx, chromedp.Navigate(base+"/me"), chromedp.WaitVisible(chromedp.ID("me-form")),
		chromedp.SetValue(chromedp.ID("language"), "hy"), chromedp.Click(chromedp.ID("me-form-submit")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if got := text(t, ctx, "flash"); got != "Պահպանված է։" {
		t.Errorf("flash %q, want the Armenian for Saved.", got)
	}
	do(t, ctx, chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.ID("ports")))
	if lang := run(t, ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "hy" {
		t.Fatalf("html lang %q, want hy", lang)
	}
	if got := text(t, ctx, "nav-extensions"); got != "Ներքին համարներ" {
		t.Errorf("navigation %q, want Armenian", got)
	}
	// What the script writes is Armenian too (the page's #i18n words).
	waitJS(t, ctx, "the live status in Armenian", `document.getElementById('live').textContent === 'Ուղիղ եթեր'`)
	screenshot(t, ctx, "status-hy")

	// The widths of Armenian letters in the page's font, and of U+E000
	// (private use: no font of the machine has it, so it is the missing-
	// glyph box).
	widths := run(t, ctx, chromedp.Evaluate[[]float64](`(() => {
		const probe = s => { const e = document.createElement('span'); e.textContent = s;
			e.style.fontSize = '40px'; document.getElementById('main').append(e);
			const w = e.getBoundingClientRect().width; e.remove(); return w; };
		return ['\uE000', 'Մ', 'ի', 'ւ', 'Ք', 'լ', 'Ժ'].map(probe);
	})()`))
	tofu, letters := widths[0], widths[1:]
	distinct := map[string]bool{}
	for _, w := range letters {
		distinct[fmt.Sprintf("%.1f", w)] = true
		if w == tofu {
			t.Errorf("an Armenian letter is %.1f px wide, as wide as a missing glyph: widths %v", w, widths)
		}
	}
	if len(distinct) < 3 {
		t.Errorf("Armenian letters have %d distinct widths %v: drawn as boxes, not glyphs", len(distinct), letters)
	}
	fonts := run(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).fontFamily`))
	for _, f := range []string{"Noto Sans Armenian", "DejaVu Sans", "Arial Unicode MS"} {
		if !strings.Contains(fonts, f) {
			t.Errorf("font-family %q does not name %s", fonts, f)
		}
	}
}

// TestBrowserNarrowScreen: at 390 px, in English and in Kyrgyz, the menu
// is one button that opens it (a details element: no script needed) and
// no page is wider than the screen, its tables scrolling inside; at 1366 px the menu is shown as a
// row of links and the button is not there.
func TestBrowserNarrowScreen(t *testing.T) {
	svc := newFakeService()
	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)
	browserLogin(t, ctx, base)

	visible := func(id string) bool {
		return run(t, ctx, chromedp.Evaluate[bool](`(() => { const e = document.getElementById('`+id+`'); const r = e.getBoundingClientRect(); return e.checkVisibility({visibilityProperty: true}) && r.width > 0 && r.height > 0; })()`))
	}
	// English, then Kyrgyz (the longest words of the five).
	for _, lang := range []string{"en", "ky"} {
		do(t, ctx, chromedp.EmulateViewport(1366, 900), chromedp.Navigate(base+"/me"), chromedp.WaitVisible(chromedp.ID("me-form")),
			chromedp.SetValue(chromedp.ID("language"), lang), chromedp.Click(chromedp.ID("me-form-submit")),
			chromedp.WaitVisible(chromedp.ID("flash")), chromedp.EmulateViewport(390, 844))
		for _, page := range []string{"/status", "/extensions", "/extensions/101", "/calls", "/users", "/dialplan", "/dialplan/route-tester", "/dialplan/flow", "/settings", "/me", "/diagnostics", "/statistics", "/phones", "/audit"} {
			do(t, ctx, chromedp.Navigate(base+page), chromedp.WaitVisible(chromedp.ID("page-title")))
			screenshot(t, ctx, "narrow-"+lang+strings.ReplaceAll(page, "/", "-"))
			if w := run(t, ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 390 {
				t.Errorf("%s in %s at 390 px: the page is %.0f px wide", page, lang, w)
			}
			if visible("nav-status") {
				t.Errorf("%s in %s at 390 px: the menu is open before its button is pressed", page, lang)
			}
			if !visible("menu-button") {
				t.Errorf("%s in %s at 390 px: no menu button", page, lang)
			}
		}
	}
	// The button opens the menu, and its links work.
	do(t, ctx, chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.ID("menu-button")),
		chromedp.Click(chromedp.ID("menu-button")), chromedp.WaitVisible(chromedp.ID("nav-extensions")),
		chromedp.Click(chromedp.ID("nav-extensions")), chromedp.WaitVisible(chromedp.ID("new-extension")))
	screenshot(t, ctx, "narrow-menu")
	if w := run(t, ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("extensions at 390 px: %.0f px wide", w)
	}

	do(t, ctx, chromedp.EmulateViewport(1366, 900), chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.ID("ports")))
	if !visible("nav-extensions") || visible("menu-button") {
		t.Errorf("at 1366 px: menu links visible %v, menu button visible %v; want links, no button", visible("nav-extensions"), visible("menu-button"))
	}
}
