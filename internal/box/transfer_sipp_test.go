package box

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/store"
)

// Calls that change hands with SIPp as the phone: transfer by REFER with
// its NOTIFYs (and the refusals), busy lamps through a call's life and a
// park slot's, and a BLF key's pickup by INVITE with Replaces.

// TestSIPpReferTransfer: SIPp (301, no outside calls) calls the analog
// phone 101 and transfers it: to another domain (403, the call kept), to
// an outside number its class forbids (NOTIFY 100, then 403), then to the
// analog phone 102 (NOTIFY 100, then 200 once 102 answered). 101 and 102
// then talk. The box tells 301 that 102 rings (NOTIFY 180) and ends
// 301's call itself once the transfer is done.
func TestSIPpReferTransfer(t *testing.T) {
	b := startBox(t, "")
	secret := b.addSIPExtension(t, "301", "SIPp transferrer", false)
	ctx := tctx(t, 60*time.Second)
	ph1, ph2 := b.Sim().Phone(1), b.Sim().Phone(2)
	answered := make(chan error, 2)
	for _, ph := range []interface {
		WaitRing(context.Context) error
		OffHook()
	}{ph1, ph2} {
		go func() {
			err := ph.WaitRing(ctx)
			if err == nil {
				time.Sleep(300 * time.Millisecond)
				ph.OffHook()
			}
			answered <- err
		}()
	}
	sipp(t, ctx, "-sf", scenario("refer.xml"), "-inf", injection(t, "301", "95551234", "102"), "-au", "301", "-ap", secret,
		"-s", "101", "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-m", "1",
		"-timeout", "40s", "-timeout_error", "-nostdin", b.SIPAddr())
	for range 2 {
		if err := <-answered; err != nil {
			t.Fatalf("an analog phone did not ring: %v", err)
		}
	}
	if m := measure(t, ph1.Talk, phoneEar(ph2)); m.SNR < 25 {
		t.Errorf("101→102 1 kHz SNR %.1f dB", m.SNR)
	}
	ph1.OnHook()
	if err := ph2.Hears(ctx, dsp.ToneBusy); err != nil {
		t.Errorf("102 hears no busy tone after 101 hung up: %v", err)
	}
	ph2.OnHook()
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "301" })
	t.Logf("record: legs %v, path %s", legNames(r), pathOf(r))
	if p := pathOf(r); !strings.Contains(p, "transfer-failed:fxs:1>95551234/301") || !strings.Contains(p, "transferred:fxs:1>102/301") {
		t.Errorf("path %s: want the refused transfer to 95551234 and the transfer to 102, both by 301", p)
	}
}

// blfScenario writes the busy-lamp watcher expecting NOTIFYs of number in
// the dialog states given (terminated, early, confirmed), versions 0, 1…
func blfScenario(t *testing.T, number string, states ...string) string {
	t.Helper()
	tmpl, err := os.ReadFile(scenario("blf_watch.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks strings.Builder
	vars := []string{}
	for i, st := range states {
		v := func(name string) string { n := fmt.Sprintf("%s%d", name, i); vars = append(vars, n); return n }
		fmt.Fprintf(&blocks, `  <recv request="NOTIFY" timeout="30000">
    <action>
      <ereg regexp="^ *application/dialog-info\+xml" search_in="hdr" header="Content-Type:" check_it="true" assign_to="%s"/>
      <ereg regexp="version=&quot;%d&quot; state=&quot;full&quot; entity=&quot;sip:%s@" search_in="body" check_it="true" assign_to="%s"/>
      <ereg regexp="&lt;state&gt;%s&lt;/state&gt;" search_in="body" check_it="true" assign_to="%s"/>
`, v("c"), i, number, v("v"), st, v("s"))
		if st == "early" {
			// What a BLF key needs to pick the call up.
			fmt.Fprintf(&blocks, `      <ereg regexp="call-id=&quot;([^&quot;]+)&quot; local-tag=&quot;([^&quot;]+)&quot; remote-tag=&quot;([^&quot;]+)&quot; direction=&quot;recipient&quot;" search_in="body" check_it="true" assign_to="%s,%s,%s,%s"/>
      <exec command="echo '[$%[2]s];to-tag=[$%[4]s];from-tag=[$%[3]s]' > dialog.txt"/>
`, v("d"), v("cid"), v("ltag"), v("rtag"))
		}
		blocks.WriteString(`    </action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
`)
	}
	s := strings.ReplaceAll(string(tmpl), "EXPECTED_NOTIFIES", blocks.String())
	s = strings.ReplaceAll(s, "EXPECTED_VARIABLES", strings.Join(vars, ","))
	p := filepath.Join(t.TempDir(), "blf_"+number+".xml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// watchLamp starts a SIPp busy-lamp key of extension ext watching number
// and waits until its subscription stands; wait ends it (failing the test
// when SIPp saw anything but the states given); dir is its working
// directory (dialog.txt).
func watchLamp(t *testing.T, ctx context.Context, b *testBox, ext, secret, number string, states ...string) (wait func() string, dir string) {
	t.Helper()
	wait, exited, dir := startSIPpIn(t, ctx, "-sf", blfScenario(t, number, states...), "-inf", injection(t, ext), "-au", ext, "-ap", secret,
		"-s", number, "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-m", "1",
		"-timeout", "50s", "-timeout_error", "-nostdin", b.SIPAddr())
	deadline := time.Now().Add(10 * time.Second)
	for b.sip.Watchers(number) == 0 {
		select {
		case <-exited:
			wait()
			t.Fatalf("SIPp watching %s ended before it subscribed", number)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("SIPp did not subscribe to %s", number)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let it take the first NOTIFY
	return wait, dir
}

// TestSIPpBusyLamps: SIPp keys watch extension 101 through a call from
// the telco line (idle, ringing, talking, idle: terminated, early,
// confirmed, terminated) and park slot 701 while a phone waits there.
func TestSIPpBusyLamps(t *testing.T) {
	b := startBox(t, "")
	secret := b.addSIPExtension(t, "301", "SIPp keys", false)
	parker := b.addSIPExtension(t, "201", "Parker", false)
	ctx := tctx(t, 60*time.Second)
	ext, _ := watchLamp(t, ctx, b, "301", secret, "101", "terminated", "early", "confirmed", "terminated")
	slot, _ := watchLamp(t, ctx, b, "301", secret, "701", "terminated", "confirmed", "terminated")

	ph := b.Sim().Phone(1)
	line := b.Sim().Line(1)
	ringFromTelco(t, line, "5551234")
	if err := ph.WaitRing(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	ph.OffHook()
	time.Sleep(time.Second)
	ph.OnHook()
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	ext()

	// A phone parks itself on the first slot (the park code), then leaves.
	p := b.phone(t, "201", parker)
	call, err := p.Dial(ctx, store.DefaultParkCode)
	if err != nil {
		t.Fatalf("201 dials the park code: %v", err)
	}
	time.Sleep(2 * time.Second)
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	slot()
}

// TestSIPpBLFPickup: a SIPp key watching 101 sees a telco call ring it and
// picks the call up with an INVITE carrying Replaces made of the ringing
// dialog the NOTIFY named; 101 stops ringing, the caller talks to SIPp.
func TestSIPpBLFPickup(t *testing.T) {
	b := startBox(t, "")
	secret := b.addSIPExtension(t, "301", "SIPp key", false)
	ctx := tctx(t, 60*time.Second)
	watch, dir := watchLamp(t, ctx, b, "301", secret, "101", "terminated", "early", "terminated")
	ph := b.Sim().Phone(1)
	line := b.Sim().Line(1)
	ringFromTelco(t, line, "5551234")
	if err := ph.WaitRing(ctx); err != nil {
		t.Fatal(err)
	}
	var dialog string
	for deadline := time.Now().Add(10 * time.Second); dialog == ""; time.Sleep(50 * time.Millisecond) {
		if d, err := os.ReadFile(filepath.Join(dir, "dialog.txt")); err == nil {
			dialog = strings.TrimSpace(string(d))
		}
		if time.Now().After(deadline) {
			t.Fatal("the busy lamp never showed the ringing dialog")
		}
	}
	t.Logf("picking up %s", dialog)
	sipp(t, ctx, "-sf", scenario("uac_replaces.xml"), "-inf", injection(t, "301"), "-key", "replaces", dialog, "-au", "301", "-ap", secret,
		"-s", "101", "-d", "2000", "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-m", "1",
		"-timeout", "20s", "-timeout_error", "-nostdin", b.SIPAddr())
	watch()
	if ph.Ringing() {
		t.Error("101 still rings after the pickup")
	}
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatalf("the line was not released when SIPp hung up: %v", err)
	}
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "5551234" })
	t.Logf("record: legs %v, path %s", legNames(r), pathOf(r))
	if p := pathOf(r); !strings.Contains(p, "picked-up:sip:301>/301") || r.Disposition != "answered" {
		t.Errorf("record %s %s: want picked up by 301", p, r.Disposition)
	}
}

// TestSIPpIntercom: the analog phone 101 dials the intercom code and 302;
// the INVITE asks 302's phone (SIPp) to answer by itself, in every form
// phones read, and the two talk at once.
func TestSIPpIntercom(t *testing.T) {
	b := startBox(t, "")
	secret := b.addSIPExtension(t, "302", "SIPp intercom", false)
	ctx := tctx(t, 40*time.Second)
	port := freeUDPPort(t)
	wait, _ := startSIPp(t, ctx, "-sf", scenario("uas_autoanswer.xml"), "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(freeUDPPort(t)), "-rtp_echo", "-aa", "-m", "1",
		"-timeout", "30s", "-timeout_error", "-nostdin")
	waitUDPBound(t, "127.0.0.1", port)
	sipp(t, ctx, "-sf", scenario("register.xml"), "-inf", injection(t, "302"), "-au", "302", "-ap", secret,
		"-key", "uas_port", strconv.Itoa(port), "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)), "-m", "1",
		"-timeout", "15s", "-timeout_error", "-nostdin", b.SIPAddr())
	ph := b.Sim().Phone(1)
	ph.OffHook()
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph.DialDTMF(store.DefaultIntercomCode + "302"); err != nil {
		t.Fatal(err)
	}
	// Talking over one's own digits makes them speech to the receiver.
	if err := ph.WaitDialled(ctx); err != nil {
		t.Fatal(err)
	}
	// SIPp echoes what it hears: the phone hears its own voice back.
	if m := measure(t, ph.Talk, phoneEar(ph)); m.SNR < 25 {
		t.Errorf("101→302→101 1 kHz SNR %.1f dB", m.SNR)
	}
	ph.OnHook()
	wait()
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "101" })
	if p := pathOf(r); !strings.Contains(p, "intercom:>302/") || r.Disposition != "answered" {
		t.Errorf("record %s %s: want an answered intercom call to 302", p, r.Disposition)
	}
}
