package dsp

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"minipbx/dsp/audiofile"
	"minipbx/internal/testutil"
)

// The talk-off corpus: speech synthesised by espeak-ng in many languages
// and voices, and music-like chords generated here. The receiver has never
// been tuned on particular clips; the corpus only checks that its guards
// (relative peaks, frequency by phase, twist, weighted energy share,
// duration) hold on material made of voices and instruments.

// talkoffTexts are spoken by every voice; they mix digits, vowels held in
// numbers, and running speech.
var talkoffTexts = map[string]string{
	"en":  "Hello, you have reached the sales department. Please hold the line, your call is important to us. Seven, eight, nine, zero. Beautiful music, really lovely weather today, isn't it?",
	"ru":  "Здравствуйте, вы позвонили в отдел продаж. Пожалуйста, оставайтесь на линии. Семь, восемь, девять, ноль. Прекрасная погода сегодня, не правда ли?",
	"uk":  "Добрий день, ви зателефонували до відділу продажу. Будь ласка, залишайтеся на лінії. Сім, вісім, дев'ять.",
	"de":  "Guten Tag, Sie sind mit der Vertriebsabteilung verbunden. Bitte bleiben Sie am Apparat. Sieben, acht, neun, null.",
	"fr":  "Bonjour, vous êtes bien au service commercial. Merci de patienter, votre appel est important. Sept, huit, neuf, zéro.",
	"it":  "Buongiorno, avete raggiunto l'ufficio vendite. Restate in linea, per favore. Sette, otto, nove, zero.",
	"es":  "Buenos días, ha llamado al departamento de ventas. Por favor, no cuelgue. Siete, ocho, nueve, cero.",
	"hy":  "Բարև ձեզ, դուք զանգահարել եք վաճառքի բաժին։ Խնդրում ենք սպասել։",
	"kk":  "Сәлеметсіз бе, сіз сату бөліміне қоңырау шалдыңыз. Күте тұрыңыз.",
	"ky":  "Саламатсызбы, сиз сатуу бөлүмүнө чалдыңыз. Күтө туруңуз.",
	"tr":  "Merhaba, satış departmanına ulaştınız. Lütfen hatta kalın. Yedi, sekiz, dokuz.",
	"cmn": "你好，这里是销售部。请不要挂机，您的电话对我们很重要。七，八，九，零。",
	"ja":  "こんにちは、営業部です。少々お待ちください。",
	"ar":  "مرحبا، لقد اتصلت بقسم المبيعات. يرجى الانتظار على الخط.",
	"hi":  "नमस्ते, आपने बिक्री विभाग को कॉल किया है। कृपया लाइन पर बने रहें।",
	"pl":  "Dzień dobry, dodzwoniłeś się do działu sprzedaży. Proszę czekać na linii.",
	"pt":  "Bom dia, você ligou para o departamento de vendas. Por favor, aguarde na linha.",
	"sv":  "Hej, du har kommit till försäljningsavdelningen. Var vänlig vänta.",
	"el":  "Γεια σας, καλέσατε το τμήμα πωλήσεων. Παρακαλώ περιμένετε.",
	"vi":  "Xin chào, bạn đã gọi đến phòng kinh doanh. Vui lòng giữ máy.",
	"fi":  "Hei, olet soittanut myyntiosastolle. Odota hetki.",
	"nl":  "Goedendag, u bent verbonden met de verkoopafdeling. Blijf aan de lijn.",
	"ko":  "안녕하세요, 영업부입니다. 잠시만 기다려 주세요.",
	"he":  "שלום, הגעת למחלקת המכירות. נא להמתין על הקו.",
	"ka":  "გამარჯობა, თქვენ დარეკეთ გაყიდვების განყოფილებაში.",
	"sw":  "Habari, umepiga simu idara ya mauzo. Tafadhali subiri.",
	"id":  "Selamat siang, Anda telah menghubungi bagian penjualan. Mohon tunggu.",
	"cs":  "Dobrý den, dovolali jste se do obchodního oddělení. Vydržte prosím.",
	"hu":  "Jó napot, az értékesítési osztályt hívta. Kérem, tartsa a vonalat.",
	"ro":  "Bună ziua, ați sunat la departamentul de vânzări. Vă rugăm să așteptați.",
}

// talkoffVoice is one synthesis: language, voice variant, pitch, speed.
type talkoffVoice struct {
	lang, variant string
	pitch, speed  int
}

func talkoffVoices() []talkoffVoice {
	variants := []string{"", "+f2", "+m3", "+f4", "+m7", "+klatt", "+croak", "+whisper"}
	var v []talkoffVoice
	i := 0
	for _, lang := range sortedKeys(talkoffTexts) {
		// Two voices per language, cycling through variants, pitches and speeds,
		// so the corpus spans low male to high female voices.
		for k := range 2 {
			v = append(v, talkoffVoice{lang, variants[i%len(variants)], 20 + (i*37)%70, 130 + (i*23)%70})
			i++
			_ = k
		}
	}
	return v
}

func sortedKeys(m map[string]string) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	for i := 1; i < len(k); i++ {
		for j := i; j > 0 && k[j] < k[j-1]; j-- {
			k[j], k[j-1] = k[j-1], k[j]
		}
	}
	return k
}

// synthSpeech renders every corpus voice with espeak-ng, converted to
// 8 kHz by audiofile.Import (windowed-sinc resampler, active level
// normalised to −20 dBm0).
func synthSpeech(t *testing.T) map[string][]int16 {
	t.Helper()
	espeak := testutil.Tool(t, "espeak-ng")
	speechCache.mu.Lock()
	defer speechCache.mu.Unlock()
	if speechCache.clips != nil {
		return speechCache.clips
	}
	dir := t.TempDir()
	voices := talkoffVoices()
	out := make(map[string][]int16)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	errs := make(chan error, len(voices))
	for i, v := range voices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			name := fmt.Sprintf("%s%s-p%d-s%d", v.lang, v.variant, v.pitch, v.speed)
			path := filepath.Join(dir, fmt.Sprintf("%02d.wav", i))
			cmd := exec.Command(espeak, "-v", v.lang+v.variant, "-p", fmt.Sprint(v.pitch), "-s", fmt.Sprint(v.speed),
				"-w", path, talkoffTexts[v.lang])
			if b, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("espeak-ng %s: %v: %s", name, err, b)
				return
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				errs <- err
				return
			}
			pcm, err := audiofile.Import(bytes.NewReader(raw), 0)
			if err != nil {
				errs <- fmt.Errorf("import %s: %w", name, err)
				return
			}
			mu.Lock()
			out[name] = pcm
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	speechCache.clips = out
	return out
}

// speechCache keeps the synthesised corpus for the other tests of this
// test binary (synthesis is the slow part; clips are only read).
var speechCache struct {
	mu    sync.Mutex
	clips map[string][]int16
}

// gain scales pcm by db decibels with saturation.
func gain(pcm []int16, db float64) []int16 {
	g := math.Pow(10, db/20)
	out := make([]int16, len(pcm))
	for i, v := range pcm {
		out[i] = sat16(float64(v) * g)
	}
	return out
}

func TestDTMFTalkOffSpeech(t *testing.T) {
	clips := synthSpeech(t)
	var samples, falses int
	for _, name := range sortedKeysPCM(clips) {
		for _, db := range []float64{+12, 0, -10} { // −8, −20 and −30 dBm0 active level
			pcm := gain(clips[name], db)
			samples += len(pcm)
			if ev := detectAll(NewDTMFDetector(), pcm, 160); len(ev) > 0 {
				falses += len(ev)
				t.Errorf("talk-off: %s at %+g dB: false digits %q", name, db, digitsOf(ev))
			}
		}
	}
	t.Logf("speech talk-off corpus: %d clips × 3 levels, %.0f s of speech, %d false digits",
		len(clips), float64(samples)/8000, falses)
}

func sortedKeysPCM(m map[string][]int16) []string {
	k := make(map[string]string, len(m))
	for s := range m {
		k[s] = ""
	}
	return sortedKeys(k)
}

// music renders seconds of random chords: two to four notes of the equal-
// tempered scale between 300 and 2000 Hz, each with a harmonic spectrum
// (string/brass-like 1/k, clarinet-like odd harmonics, or soft 1/k²),
// vibrato, attack and decay; chords last 80–700 ms and sometimes overlap.
func music(r *rand.Rand, seconds int, level float64) []int16 {
	out := make(sig, seconds*8000)
	for pos := 0; pos < len(out); {
		dur := 640 + r.IntN(5000)
		notes := 2 + r.IntN(3)
		for range notes {
			midi := 63 + r.IntN(33) // D#4 (311 Hz) … B6 (1976 Hz)
			f0 := 440 * math.Pow(2, float64(midi-69)/12)
			timbre := r.IntN(3)
			vib := r.Float64() * 0.006
			amp := DBm0ToPeak(level - 6 + r.Float64()*6)
			for i := 0; i < dur && pos+i < len(out); i++ {
				t := float64(i) / 8000
				env := math.Min(1, t/0.02) * math.Exp(-t*1.5)
				ph := 2 * math.Pi * f0 * (t + vib/(2*math.Pi*5)*math.Sin(2*math.Pi*5*t))
				var v float64
				for k := 1; float64(k)*f0 < 3800; k++ {
					var a float64
					switch timbre {
					case 0:
						a = 1 / float64(k)
					case 1:
						if k%2 == 1 {
							a = 1 / float64(k)
						}
					case 2:
						a = 1 / float64(k*k)
					}
					v += a * math.Sin(float64(k)*ph)
				}
				out[pos+i] += amp * env * v
			}
		}
		pos += dur - r.IntN(dur/3+1) // some overlap between chords
	}
	return out.pcm()
}

func TestDTMFTalkOffMusic(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	total, falses := 0, 0
	for _, level := range []float64{-10, -20} {
		pcm := music(r, 120, level)
		total += len(pcm)
		if ev := detectAll(NewDTMFDetector(), pcm, 160); len(ev) > 0 {
			falses += len(ev)
			t.Errorf("music at %g dBm0: %d false digits %q", level, len(ev), digitsOf(ev))
		}
	}
	t.Logf("music talk-off corpus: %.0f s of chords, %d false digits", float64(total)/8000, falses)
}

// TestDTMFUnderSpeech checks detection with speech underneath the digits:
// the corpus voices mixed at −25 dBm0 active level under digits of
// −10 dBm0 per tone (a caller who keeps talking, or a prompt still playing,
// while keying); −20 dBm0 is logged as a harder case.
func TestDTMFUnderSpeech(t *testing.T) {
	clips := synthSpeech(t)
	const digits = "159#2*0D"
	g := NewDTMFGenerator(DTMFGenConfig{LevelDBm0: -10, On: 60 * time.Millisecond, Off: 60 * time.Millisecond})
	_ = g.Queue(digits)
	tones := make([]int16, len(digits)*960+800)
	g.Read(tones)
	names := sortedKeysPCM(clips)
	for _, c := range []struct {
		db      float64 // gain applied to the −20 dBm0 clips
		maxMiss int     // clips allowed to lose a digit
	}{{-5, len(names) / 20}, {0, len(names)}} {
		misses, lost := 0, 0
		for _, name := range names {
			sp := gain(clips[name], c.db)
			mix := make(sig, len(tones))
			for i := range mix {
				mix[i] = float64(tones[i]) + float64(sp[(i+4000)%len(sp)])
			}
			got := digitsOf(detectAll(NewDTMFDetector(), mix.pcm(), 160))
			if got != digits {
				misses++
				lost += len(digits) - len(got)
				if len(got) > len(digits) || !isSubsequence(got, digits) {
					t.Errorf("speech %g dBm0, %s: false digit: got %q want %q", -20+c.db, name, got, digits)
				}
			}
		}
		t.Logf("speech at %g dBm0 under −10 dBm0 digits: %d of %d clips lost a digit (%d of %d digits)",
			-20+c.db, misses, len(names), lost, len(names)*len(digits))
		if misses > c.maxMiss {
			t.Errorf("speech at %g dBm0: %d of %d clips disturbed detection (limit %d)", -20+c.db, misses, len(names), c.maxMiss)
		}
	}
}

// isSubsequence reports whether s is a (not necessarily contiguous)
// subsequence of of: digits lost, none invented.
func isSubsequence(s, of string) bool {
	j := 0
	for i := 0; i < len(of) && j < len(s); i++ {
		if of[i] == s[j] {
			j++
		}
	}
	return j == len(s)
}
