package mail

import (
	"time"

	"minipbx/telephony/store"
)

// texts are the words of the box's e-mails in one language. The mails
// speak the language their reader hears the box in: a mailbox's own, else
// its extension's, else the box's voice (System.Language); alarms speak
// the box's. The table is small and whole on purpose: a language is a row
// with every field filled (TestTextsComplete), and the web UI's catalog
// (webui/assets/i18n) is not reachable from here without a layer upward.
type texts struct {
	// voicemail takes box, caller, received, minutes, seconds.
	voicemail        string
	deleted, stays   string
	voicemailSubject string // caller, minutes, seconds
	unknownCaller    string
	missed           string // extension, caller, when, result, disposition
	leftVoicemail    string
	missedSubject    string // caller
	quotaBox         string
	quotaExtension   string // extension
	quota            string // what, percent, used, quota
	quotaSubject     string // box name, percent
	// alarm takes the box, the run, its trigger, when it finished and
	// the faults found, one a line; alarmSubject the run's verdict.
	alarm        string
	alarmSubject string
	// verdicts and triggers name a diagnostics run's verdict and why it
	// ran (store.Verdict*, DiagRun.Trigger); an unknown one is shown as
	// it is.
	verdicts, triggers map[string]string
	// fax takes receiver, sender, sender's ID, received, pages, state, speed.
	fax           string
	faxSubject    string // sender, pages
	faxComplete   string
	faxIncomplete string // cause
	none          string
	// test and testSubject take the box's name: the settings page's test
	// message.
	test, testSubject string
	// when formats a moment: weekday and month names are English in
	// Go's layouts, so other languages write the date in numbers.
	when string
}

var mailTexts = map[string]texts{
	"en": {
		voicemail:        "You have a new voicemail message in mailbox %s.\n\nFrom: %s\nReceived: %s\nLength: %d:%02d\n\nThe recording is attached (a WAV file).\n",
		deleted:          "It has been deleted from the mailbox now that this e-mail is on its way.\n",
		stays:            "It stays in the mailbox: dial *97 to hear or delete it.\n",
		voicemailSubject: "Voicemail from %s (%d:%02d)",
		unknownCaller:    "an unknown caller",
		missed:           "Extension %s missed a call.\n\nFrom: %s\nWhen: %s\nResult: %s (%s)\n",
		leftVoicemail:    "The caller left a voicemail message.\n",
		missedSubject:    "Missed call from %s",
		quotaBox:         "The box's call recordings",
		quotaExtension:   "Extension %s's call recordings",
		quota:            "%s use %d %% of their quota (%s of %s). When it is full the oldest recordings are removed to make room.\n",
		quotaSubject:     "[%s] Call recordings at %d %% of their quota",
		alarm:            "The diagnostics of %s found a fault (run %d, %s, %s).\n\n%s\n\nSee the Diagnostics page.\n",
		alarmSubject:     "Diagnostics: %s",
		verdicts:         map[string]string{"pass": "pass", "warn": "warning", "fail": "fault", "skip": "skipped"},
		triggers:         map[string]string{"schedule": "scheduled", "missed": "scheduled, run late", "manual": "started by hand", "boot": "at start-up"},
		test:             "This is a test message from the telephone exchange %s.\nIts e-mail settings work: voicemail, missed-call notices and alarms will arrive like this one.\n",
		testSubject:      "Test message from %s",
		when:             "Monday 2 January 2006, 15:04",
		fax:              "Fax %s received a fax.\n\nFrom: %s\nSender's ID: %s\nReceived: %s\nPages: %d (%s)\nSpeed: %s\n\nThe fax is attached (a PDF file); it stays on the box's Fax page.\n",
		faxSubject:       "Fax from %s (pages: %d)",
		faxComplete:      "complete",
		faxIncomplete:    "incomplete: %s",
		none:             "none",
	},
	"ru": {
		voicemail:        "В почтовом ящике %s новое голосовое сообщение.\n\nОт: %s\nПолучено: %s\nДлительность: %d:%02d\n\nЗапись во вложении (файл WAV).\n",
		deleted:          "Оно удалено из почтового ящика, так как это письмо уже отправлено.\n",
		stays:            "Оно остаётся в почтовом ящике: наберите *97, чтобы прослушать или удалить его.\n",
		voicemailSubject: "Голосовое сообщение от %s (%d:%02d)",
		unknownCaller:    "неизвестного абонента",
		missed:           "Пропущенный вызов на внутренний номер %s.\n\nОт: %s\nКогда: %s\nИтог: %s (%s)\n",
		leftVoicemail:    "Звонящий оставил голосовое сообщение.\n",
		missedSubject:    "Пропущенный вызов от %s",
		quotaBox:         "Записи разговоров станции",
		quotaExtension:   "Записи разговоров внутреннего номера %s",
		quota:            "%s занимают %d %% квоты (%s из %s). Когда квота заполнится, самые старые записи будут удаляться, чтобы освободить место.\n",
		quotaSubject:     "[%s] Записи разговоров заняли %d %% квоты",
		alarm:            "Диагностика станции %s обнаружила неисправность (запуск %d, %s, %s).\n\n%s\n\nПодробности на странице «Диагностика».\n",
		alarmSubject:     "Диагностика: %s",
		verdicts:         map[string]string{"pass": "норма", "warn": "предупреждение", "fail": "неисправность", "skip": "пропущено"},
		triggers:         map[string]string{"schedule": "по расписанию", "missed": "по расписанию, с опозданием", "manual": "вручную", "boot": "при запуске"},
		test:             "Это тестовое сообщение от телефонной станции %s.\nЕё настройки почты работают: голосовые сообщения, уведомления о пропущенных вызовах и тревоги будут приходить так же.\n",
		testSubject:      "Тестовое сообщение от %s",
		when:             "02.01.2006, 15:04",
		fax:              "Факс %s принял факс.\n\nОт: %s\nИдентификатор отправителя: %s\nПолучен: %s\nСтраниц: %d (%s)\nСкорость: %s\n\nФакс во вложении (файл PDF); он остаётся на странице «Факс» станции.\n",
		faxSubject:       "Факс от %s (страниц: %d)",
		faxComplete:      "полностью",
		faxIncomplete:    "не полностью: %s",
		none:             "нет",
	},
	"hy": {
		voicemail:        "%s փոստարկղում նոր ձայնային հաղորդագրություն կա։\n\nՈւմից՝ %s\nՍտացվել է՝ %s\nՏևողություն՝ %d:%02d\n\nՁայնագրությունը կցված է (WAV ֆայլ)։\n",
		deleted:          "Այն ջնջվել է փոստարկղից, քանի որ այս նամակն արդեն ուղարկված է։\n",
		stays:            "Այն մնում է փոստարկղում. հավաքեք *97՝ այն լսելու կամ ջնջելու համար։\n",
		voicemailSubject: "Ձայնային հաղորդագրություն՝ %s (%d:%02d)",
		unknownCaller:    "անհայտ զանգող",
		missed:           "%s ներքին համարը բաց է թողել զանգը։\n\nՈւմից՝ %s\nԵրբ՝ %s\nԱրդյունք՝ %s (%s)\n",
		leftVoicemail:    "Զանգողը թողել է ձայնային հաղորդագրություն։\n",
		missedSubject:    "Բաց թողնված զանգ՝ %s",
		quotaBox:         "Կայանի զանգերի ձայնագրությունները",
		quotaExtension:   "%s ներքին համարի զանգերի ձայնագրությունները",
		quota:            "%s զբաղեցնում են իրենց քվոտայի %d %%-ը (%s՝ %s-ից)։ Երբ այն լցվի, ամենահին ձայնագրությունները կհեռացվեն՝ տեղ ազատելու համար։\n",
		quotaSubject:     "[%s] Զանգերի ձայնագրությունները զբաղեցնում են քվոտայի %d %%-ը",
		alarm:            "%s կայանի ախտորոշումը անսարքություն է հայտնաբերել (գործարկում %d, %s, %s)։\n\n%s\n\nՄանրամասները՝ «Ախտորոշում» էջում։\n",
		alarmSubject:     "Ախտորոշում՝ %s",
		verdicts:         map[string]string{"pass": "նորմալ", "warn": "զգուշացում", "fail": "անսարքություն", "skip": "բաց թողնված"},
		triggers:         map[string]string{"schedule": "ըստ ժամանակացույցի", "missed": "ըստ ժամանակացույցի, ուշացումով", "manual": "ձեռքով", "boot": "գործարկման ժամանակ"},
		test:             "Սա փորձնական հաղորդագրություն է %s հեռախոսակայանից։\nՆրա էլ. փոստի կարգավորումները աշխատում են. ձայնային հաղորդագրությունները, բաց թողնված զանգերի ծանուցումները և ահազանգերը կգան այսպես։\n",
		testSubject:      "Փորձնական հաղորդագրություն՝ %s",
		when:             "02.01.2006, 15:04",
		fax:              "%s ֆաքսը ստացել է ֆաքս։\n\nՈւմից՝ %s\nՈւղարկողի նույնացուցիչ՝ %s\nՍտացվել է՝ %s\nԷջեր՝ %d (%s)\nԱրագություն՝ %s\n\nՖաքսը կցված է (PDF ֆայլ). այն մնում է կայանի «Ֆաքս» էջում։\n",
		faxSubject:       "Ֆաքս՝ %s (էջեր՝ %d)",
		faxComplete:      "ամբողջական",
		faxIncomplete:    "թերի՝ %s",
		none:             "չկա",
	},
	"ky": {
		voicemail:        "%s почта кутусунда жаңы үн билдирүүсү бар.\n\nКимден: %s\nАлынды: %s\nУзактыгы: %d:%02d\n\nЖазуу тиркелген (WAV файлы).\n",
		deleted:          "Бул кат жөнөтүлгөндүктөн, ал почта кутусунан өчүрүлдү.\n",
		stays:            "Ал почта кутусунда калат: угуу же өчүрүү үчүн *97 териңиз.\n",
		voicemailSubject: "Үн билдирүүсү: %s (%d:%02d)",
		unknownCaller:    "белгисиз чалуучу",
		missed:           "%s ички номери чалууну өткөрүп жиберди.\n\nКимден: %s\nКачан: %s\nНатыйжа: %s (%s)\n",
		leftVoicemail:    "Чалуучу үн билдирүүсүн калтырды.\n",
		missedSubject:    "Өткөрүлгөн чалуу: %s",
		quotaBox:         "Станциянын сүйлөшүү жазуулары",
		quotaExtension:   "%s ички номеринин сүйлөшүү жазуулары",
		quota:            "%s квотасынын %d %% ээлейт (%s / %s). Квота толгондо орун бошотуу үчүн эң эски жазуулар өчүрүлөт.\n",
		quotaSubject:     "[%s] Сүйлөшүү жазуулары квотанын %d %% ээледи",
		alarm:            "%s станциясынын диагностикасы бузулууну тапты (ишке киргизүү %d, %s, %s).\n\n%s\n\nКененирээк «Диагностика» бетинде.\n",
		alarmSubject:     "Диагностика: %s",
		verdicts:         map[string]string{"pass": "нормалдуу", "warn": "эскертүү", "fail": "бузулуу", "skip": "өткөрүлүп жиберилди"},
		triggers:         map[string]string{"schedule": "график боюнча", "missed": "график боюнча, кечигүү менен", "manual": "кол менен", "boot": "ишке киргенде"},
		test:             "Бул %s телефон станциясынан сыноо билдирүүсү.\nАнын почта жөндөөлөрү иштейт: үн билдирүүлөрү, өткөрүлгөн чалуулар жөнүндө кабарлар жана эскертүүлөр ушундай келет.\n",
		testSubject:      "%s станциясынан сыноо билдирүүсү",
		when:             "02.01.2006, 15:04",
		fax:              "%s факсы факс кабыл алды.\n\nКимден: %s\nЖөнөтүүчүнүн идентификатору: %s\nАлынды: %s\nБарактар: %d (%s)\nЫлдамдык: %s\n\nФакс тиркелген (PDF файлы); ал станциянын «Факс» барагында калат.\n",
		faxSubject:       "Факс: %s (барактар: %d)",
		faxComplete:      "толук",
		faxIncomplete:    "толук эмес: %s",
		none:             "жок",
	},
	"it": {
		voicemail:        "Hai un nuovo messaggio vocale nella casella %s.\n\nDa: %s\nRicevuto: %s\nDurata: %d:%02d\n\nLa registrazione è allegata (un file WAV).\n",
		deleted:          "È stato cancellato dalla casella ora che questa e-mail è in viaggio.\n",
		stays:            "Resta nella casella: componi *97 per ascoltarlo o cancellarlo.\n",
		voicemailSubject: "Messaggio vocale da %s (%d:%02d)",
		unknownCaller:    "un chiamante sconosciuto",
		missed:           "L'interno %s ha perso una chiamata.\n\nDa: %s\nQuando: %s\nEsito: %s (%s)\n",
		leftVoicemail:    "Il chiamante ha lasciato un messaggio vocale.\n",
		missedSubject:    "Chiamata persa da %s",
		quotaBox:         "Le registrazioni delle chiamate del centralino",
		quotaExtension:   "Le registrazioni delle chiamate dell'interno %s",
		quota:            "%s occupano il %d %% della loro quota (%s su %s). Quando è piena, le registrazioni più vecchie vengono rimosse per fare spazio.\n",
		quotaSubject:     "[%s] Registrazioni delle chiamate al %d %% della quota",
		alarm:            "La diagnostica di %s ha trovato un guasto (esecuzione %d, %s, %s).\n\n%s\n\nVedi la pagina Diagnostica.\n",
		alarmSubject:     "Diagnostica: %s",
		verdicts:         map[string]string{"pass": "ok", "warn": "avviso", "fail": "guasto", "skip": "saltato"},
		triggers:         map[string]string{"schedule": "programmata", "missed": "programmata, in ritardo", "manual": "avviata a mano", "boot": "all'avvio"},
		test:             "Questo è un messaggio di prova dal centralino %s.\nLe sue impostazioni e-mail funzionano: messaggi vocali, avvisi di chiamata persa e allarmi arriveranno così.\n",
		testSubject:      "Messaggio di prova da %s",
		when:             "02/01/2006, 15:04",
		fax:              "Il fax %s ha ricevuto un fax.\n\nDa: %s\nIdentificativo del mittente: %s\nRicevuto: %s\nPagine: %d (%s)\nVelocità: %s\n\nIl fax è allegato (un file PDF); resta nella pagina Fax del centralino.\n",
		faxSubject:       "Fax da %s (pagine: %d)",
		faxComplete:      "completo",
		faxIncomplete:    "incompleto: %s",
		none:             "nessuno",
	},
}

// textsFor is the texts of the first of langs the table has, else English.
func textsFor(langs ...string) texts {
	for _, l := range langs {
		if t, ok := mailTexts[l]; ok {
			return t
		}
	}
	return mailTexts["en"]
}

// extensionLanguage is the language an extension's user hears the box in
// ("" when the extension is unknown or follows the box).
func extensionLanguage(c *store.Config, number string) string {
	for _, e := range c.Extensions {
		if e.Number == number {
			return e.Language
		}
	}
	return ""
}

// word is w as named in the table m, else w itself.
func word(m map[string]string, w string) string {
	if t, ok := m[w]; ok {
		return t
	}
	return w
}

func (t texts) at(tm time.Time, loc *time.Location) string { return tm.In(loc).Format(t.when) }

// orNone is s, or the language's word for none when s is empty.
func (t texts) orNone(s string) string {
	if s == "" {
		return t.none
	}
	return s
}
