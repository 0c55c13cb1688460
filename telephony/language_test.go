package telephony

import (
	"strings"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// saidIn reports whether the exchange said prompts whose names contain
// the whole names s, in language l.
func (b *vmBox) saidIn(l prompts.Language, s string) bool {
	for _, line := range strings.Split(b.log.String(), "\n") {
		if !strings.Contains(line, "msg=say ") || !strings.Contains(line, " lang="+l.Code()+" ") {
			continue
		}
		_, p, _ := strings.Cut(line, "prompts=")
		p = " " + strings.Trim(p, `"`) + " "
		if strings.Contains(p, " "+s+" ") {
			return true
		}
	}
	return false
}

// TestMailboxSpeaksItsLanguage: the box speaks Italian, mailbox 201
// Russian, extension 202's user Kyrgyz. 202 dials *98 and is asked for
// the mailbox in Kyrgyz; logged in to 201, everything is Russian, with
// Russian counts, dates and times. A caller reaching 201's voicemail hears
// the Russian built-in greeting, one reaching 202's (no language of its
// own) the box's Italian.
func TestMailboxSpeaksItsLanguage(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 21, 9, 5, 0, 0, msk)}
	b := newVMBox(t, func(c *store.Config) {
		c.System.TimeZone = "Europe/Moscow"
		c.System.Language = "it"
		c.Voicemail.Boxes[0].Language = "ru"
		c.Extensions[3].Language = "ky" // 202
		c.ExtensionRules = []store.ExtensionRule{
			{Extension: "201", ForwardNoAnswer: "voicemail:201", NoAnswerS: 1},
			{Extension: "202", ForwardNoAnswer: "voicemail:202", NoAnswerS: 1},
		}
	}, clk.now)
	addMessage(t, b.vm, "201", channel.CallerID{Number: "102"}, tone(1000, 8000, 1200*time.Millisecond))
	clk.set(time.Date(2026, 11, 22, 15, 15, 0, 0, msk))
	addMessage(t, b.vm, "201", channel.CallerID{Withheld: "P"}, tone(700, 8000, 1200*time.Millisecond))
	clk.set(time.Date(2026, 11, 22, 15, 30, 0, 0, msk))

	in := newVMCaller("202", "*98")
	b.x.Accept(in)
	b.waitSaid(t, prompts.VMMailbox, 1)
	if !b.saidIn(prompts.Kyrgyz, prompts.VMMailbox) {
		t.Error("*98 from 202 did not ask for the mailbox in 202's Kyrgyz")
	}
	keys(in, "201#4826#1")
	b.waitSaid(t, "vm-message-n 1", 1)
	keys(in, "6")
	b.waitSaid(t, "vm-message-n 2", 1)
	keys(in, "**")
	in.waitHangup(t)
	b.st.waitRecord(t)
	for _, want := range []string{
		// У вас два новых сообщения.
		"vm-you-have 2 vm-new-few",
		// Сообщение номер один получено вчера в девять ноль пять с номера 1 0 2.
		"vm-message-n 1 vm-received yesterday h9 0 5 vm-from 1 0 2",
		// Сообщение номер два получено сегодня в пятнадцать пятнадцать от неизвестного абонента.
		"vm-message-n 2 vm-received today h15 15 vm-unknown-caller",
	} {
		if !b.saidIn(prompts.Russian, want) {
			t.Errorf("not said in Russian: %q", want)
		}
	}
	if b.saidIn(prompts.Italian, prompts.VMMainMenu) || b.saidIn(prompts.Kyrgyz, prompts.VMMainMenu) || !b.saidIn(prompts.Russian, prompts.VMMainMenu) {
		t.Error("the main menu of the Russian mailbox was not (only) Russian")
	}

	// Callers: 201's greeting in Russian, 202's in the box's Italian.
	for _, c := range []struct {
		ext  string
		lang prompts.Language
	}{{"201", prompts.Russian}, {"202", prompts.Italian}} {
		in := newVMCaller("101", c.ext)
		b.x.Accept(in)
		expect(t, b.sip, c.ext).emit(channel.Event{Type: channel.EventProgress})
		in.waitAnswered(t)
		want := strings.Join(c.lang.Unavailable(c.ext, false), " ")
		deadline := time.Now().Add(5 * time.Second)
		for !b.saidIn(c.lang, want) {
			if time.Now().After(deadline) {
				t.Fatalf("a caller to %s did not hear the greeting in %s", c.ext, c.lang.Name())
			}
			time.Sleep(10 * time.Millisecond)
		}
		in.end(channel.CauseNormal)
		b.st.waitRecord(t)
	}
}

// TestMailboxCountsAgreeInRussian: 21 new and 5 saved messages are
// "двадцать одно новое сообщение и пять сохранённых сообщений".
func TestMailboxCountsAgreeInRussian(t *testing.T) {
	b := newVMBox(t, func(c *store.Config) {
		c.Voicemail.Boxes[0].Language = "ru"
		c.Voicemail.Boxes[0].SkipPIN = true
	}, nil)
	for i := range 26 {
		m := addMessage(t, b.vm, "201", channel.CallerID{Number: "102"}, tone(1000, 8000, 1200*time.Millisecond))
		if i < 5 {
			if err := b.vm.SetHeard("201", m.ID, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	in := newVMCaller("201", "*97")
	b.x.Accept(in)
	b.waitSaid(t, prompts.VMMainMenu, 1)
	keys(in, "*")
	in.waitHangup(t)
	if want := "vm-you-have 20 1n vm-new-one-and 5 vm-old-many"; !b.saidIn(prompts.Russian, want) {
		t.Errorf("not said in Russian: %q", want)
	}
}

// TestQueueAnnouncesInItsLanguage: a Kyrgyz queue on an Italian box
// tells its callers their place in Kyrgyz ("Сиз кезекте биринчи
// орундасыз…"); with the real recordings, a Russian queue in Russian.
func TestQueueAnnouncesInItsLanguage(t *testing.T) {
	heardPlaceInQueue(t, prompts.Kyrgyz, func(c *store.Config) {
		c.System.Language = "it"
		c.Queues[0].Language = "ky"
	}, testPrompts(t), 3*time.Second)
	if !testing.Short() {
		heardPlaceInQueue(t, prompts.Russian, func(c *store.Config) { c.Queues[0].Language = "ru" }, nil, 10*time.Second)
	}
}

// TestMenuPlaysBuiltinsInItsLanguage: a menu naming goodbye.wav plays
// the goodbye of its language; a menu without one, the box's; one naming
// goodbye.ru.wav, the Russian goodbye whatever its language.
func TestMenuPlaysBuiltinsInItsLanguage(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.System.Language = "hy"
		c.Menus = []store.Menu{
			{Name: "it", Prompts: []store.Prompt{{File: "goodbye.wav"}, {File: "goodbye.ru.wav"}}, Language: "it"},
			{Name: "box", Prompts: []store.Prompt{{File: "goodbye.wav"}}},
		}
		c.InboundRoutes = []store.InboundRoute{
			{Name: "one", Lines: []int{1}, Destination: "menu:it"},
			{Name: "two", Lines: []int{2}, Destination: "menu:box"},
		}
	}, nil)
	b.x.prompts = testPrompts(t)
	for _, c := range []struct {
		port int
		lang prompts.Language
	}{{1, prompts.Italian}, {2, prompts.Armenian}} {
		in := fxoCaller(c.port, "5550001")
		b.x.Accept(in)
		waitHeard(t, &in.ep, b.x.prompts, c.lang, 3*time.Second, prompts.Goodbye)
		if c.lang == prompts.Italian {
			waitHeard(t, &in.ep, b.x.prompts, prompts.Russian, 3*time.Second, prompts.Goodbye)
		}
		in.end(channel.CauseNormal)
		b.st.waitRecord(t)
	}
}

// TestFeatureCodeConfirmsInTheCallersLanguage: *72 from an extension
// whose user speaks Armenian is confirmed in Armenian, in Armenian word
// order ("Ձեր բոլոր զանգերն այժմ կվերահասցեավորվեն 2 0 2 համարին").
func TestFeatureCodeConfirmsInTheCallersLanguage(t *testing.T) {
	b := featureBox(t, func(c *store.Config) {
		c.System.Language = "ru"
		c.Extensions[2].Language = "hy" // 201
	})
	b.x.prompts = testPrompts(t)
	for _, c := range []struct {
		from string
		lang prompts.Language
	}{{"201", prompts.Armenian}, {"202", prompts.Russian}} {
		in := sipCaller(c.from, "*72203")
		b.x.Accept(in)
		if cause := in.waitHangup(t); cause != channel.CauseNormal {
			t.Fatalf("*72 from %s: %v", c.from, cause)
		}
		b.st.waitRecord(t)
		want := append(c.lang.ForwardedTo(prompts.ForwardAlways, "203"), prompts.Goodbye)
		if !heardSayingIn(t, in.ep.heardSamples(), b.x.prompts, c.lang, want...) {
			t.Errorf("%s did not hear the confirmation in %s", c.from, c.lang.Name())
		}
	}
}

// TestParkSpeaksThePhonesLanguage: an analog phone whose extension speaks
// Kyrgyz parks its call and hears the slot in Kyrgyz.
func TestParkSpeaksThePhonesLanguage(t *testing.T) {
	b := featureBox(t, func(c *store.Config) {
		c.Features.ParkTimeoutS = 60
		c.Extensions[0].Language = "ky" // 101, FXS port 1
	})
	b.x.prompts = testPrompts(t)
	ph, o := phoneTalking(t, b)
	flash(ph)
	dial(ph, "700")
	ph.waitHangup(t)
	if !heardSayingIn(t, ph.ep.heardSamples(), b.x.prompts, prompts.Kyrgyz, prompts.Kyrgyz.ParkedAt("701")...) {
		t.Error("the parker did not hear the slot in Kyrgyz")
	}
	o.end(channel.CauseNormal)
}
