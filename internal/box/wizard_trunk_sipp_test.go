package box

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSIPpWizardTrunkTestRegistration: the setup wizard's "Test
// registration" button really registers with the provider — SIPp as its
// registrar — and reports the answer: with the right password "200 OK",
// and the test registration is withdrawn at once (REGISTER with Expires:
// 0, which the scenario requires); with a wrong one the registrar's 403.
// Nothing is configured either way.
func TestSIPpWizardTrunkTestRegistration(t *testing.T) {
	port := freeUDPPortOn(t, registrarIP)
	b := startBox(t, "")
	ctx := tctx(t, 90*time.Second)
	if err := b.Service().SetAdminPassword(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	const user, pass = "74951112233", "pr0v-Secret"
	registrar := func() func() string {
		wait, _ := startSIPp(t, ctx, "-sf", scenario("trunk_registrar_test.xml"), "-key", "trunk_user", user, "-key", "trunk_pass", pass,
			"-i", registrarIP, "-p", strconv.Itoa(port), "-mi", registrarIP, "-mp", strconv.Itoa(freeUDPPortOn(t, registrarIP)),
			"-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin")
		waitUDPBound(t, registrarIP, port)
		return wait
	}
	base := "https://" + b.WebAddr()
	br := loggedIn(t, base, 80*time.Second)
	br.follow("setup-begin", chromedp.Navigate(base+"/setup"))
	br.follow("country", chromedp.Click(chromedp.ID("setup-begin")))
	br.follow("host", chromedp.Navigate(base+"/setup/trunk"))
	br.do(chromedp.Click(chromedp.ID("trunk")), fillByID("host", fmt.Sprintf("%s:%d", registrarIP, port)),
		fillByID("username", user), fillByID("password", pass))

	wait := registrar()
	br.follow("trunk-test-result", chromedp.Click(chromedp.ID("trunk-test")))
	if got := br.text("trunk-test-result"); !strings.Contains(got, "accepted the registration: 200 OK, for 600 seconds") {
		t.Errorf("the right password: %q", got)
	}
	wait() // the scenario saw the withdrawal

	wait = registrar()
	br.do(fillByID("password", "not-the-password"))
	br.follow("trunk-test-result", chromedp.Click(chromedp.ID("trunk-test")))
	if got := br.text("trunk-test-result"); !strings.Contains(got, "did not accept the registration: 403 Forbidden") {
		t.Errorf("a wrong password: %q", got)
	}
	wait()
	if cfg, err := b.Service().ExportConfig(context.Background()); err != nil || len(cfg.Trunks) != 0 {
		t.Errorf("a test registration configured trunks %+v (%v)", cfg.Trunks, err)
	}
	if st, _ := b.Service().Status(ctx); len(st.Trunks) != 0 {
		t.Errorf("a test registration left trunk states %+v", st.Trunks)
	}
}
