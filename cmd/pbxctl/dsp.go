package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"minipbx/dsp"
	"minipbx/dsp/audiofile"
)

// dspHelp is the usage text of `pbxctl dsp`.
const dspHelp = `Usage: pbxctl dsp SUBCOMMAND [flags] ARGS

Signal-processing tools on WAV files: 8 kHz mono, 16-bit PCM, μ-law or A-law.

  dsp dtmf [-repeat N] FILE.wav
        Print one line per DTMF digit: its start in seconds (three
        decimals), a space, the digit ("1.240 5"). Nothing else goes to
        standard output. -repeat N runs the receiver over the audio N times
        (for timing; only the first pass's digits are printed, the timing
        goes to standard error).
  dsp tones [-zone CODE] FILE.wav
        Print the call-progress tones recognised for the zone (default ru):
        "0.480 busy", "3.220 none" (tone ended), dial, congestion,
        ringback, fax-cng, fax-ced.
  dsp learn FILE.wav
        Measure a busy (or any on/off) tone from a recording of at least
        three cycles; print its frequency, cadence and level, and the tone
        in indications notation for a custom zone.
  dsp callerid FILE.wav
        Print the caller ID messages found: FSK Bell 202 and V.23 (SDMF
        and MDMF), and DTMF caller ID ("A…C", "D…C", "B…C").
  dsp echo [-tail 128ms] [-nlp=false] -far FAR.wav -near NEAR.wav -o OUT.wav
        Run the FXO line echo canceller offline, exactly as a port runs
        it (20 ms frames): FAR is what was sent towards the line, NEAR
        what came back from it (echo plus the near talker), OUT the
        cancelled signal; all three 8 kHz, 16-bit PCM (FAR and NEAR may
        also be μ-law or A-law), FAR and NEAR of the same length. -tail is
        the longest echo delay covered (up to 256ms); -nlp=false turns the
        non-linear processor and comfort noise off (G.168's tests of the
        linear canceller). Prints one line per second of audio: the
        second (from 0), the ERLE in dB over the far end's speech in that
        second ("-" when the far end was silent), and the state the
        canceller judged it to be in for most of it: idle, far, near or
        double (double talk): "3 31.2 far".
  dsp zones
        List the tone zones and where their values come from.
  dsp gen dtmf [flags] -o OUT.wav DIGITS
        -level dBm0 (low-group tone, default -7), -twist dB (high minus
        low, default 0), -on 100ms, -off 100ms.
  dsp gen tone [flags] -o OUT.wav
        -zone CODE with -tone dial|busy|congestion|ringback|callwaiting|
        stutter (default dial), or -spec "425/350,0/350" (indications
        notation); -level dBm0 per component (default -10); -duration 5s.
  dsp gen callerid [flags] -o OUT.wav
        -number N, -name NAME, -private, -unavailable, -time "01-02 15:04"
        (month-day hour:minute; "now" by default, "" for none), -mwi on|off
        (message waiting), -sdmf (single data message format), -std
        bell202|v23 (default v23), -dtmf (DTMF caller ID "A<number>C"
        instead of FSK), -level dBm0 (default -13), -lead 500ms of
        silence before.
  All gen commands take -format pcm|ulaw|alaw (default pcm).
`

// runDSP is `pbxctl dsp ...`: args are the words after "dsp".
func runDSP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "help" {
		fmt.Fprint(stdout, dspHelp)
		if len(args) == 0 {
			return errors.New("dsp: missing subcommand")
		}
		return nil
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	var err error
	switch args[0] {
	case "dtmf":
		err = dspDTMF(ctx, args[1:], out, stderr)
	case "tones":
		err = dspTones(args[1:], out, stderr)
	case "learn":
		err = dspLearn(args[1:], out, stderr)
	case "callerid":
		err = dspCallerID(args[1:], out, stderr)
	case "echo":
		err = dspEcho(args[1:], out, stderr)
	case "zones":
		for _, c := range dsp.ZoneCodes() {
			z, _ := dsp.LookupZone(c)
			fmt.Fprintf(out, "%s\t%s\tdial %s; busy %s; congestion %s; ringback %s\n\t%s\n", z.Code, z.Name, z.Dial, z.Busy, z.Congestion, z.Ringback, z.Source)
		}
	case "gen":
		err = dspGen(args[1:], stderr)
	default:
		err = fmt.Errorf("dsp: unknown subcommand %q (see pbxctl dsp -h)", args[0])
	}
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("dsp: write output: %w", ferr)
	}
	return err
}

// dspFlags is a flag set that reports to stderr and does not exit.
func dspFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("pbxctl dsp "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, dspHelp) }
	return fs
}

// oneFile parses flags and returns the single FILE argument.
func oneFile(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		return "", fmt.Errorf("%s: want one WAV file, got %d arguments", fs.Name(), fs.NArg())
	}
	return fs.Arg(0), nil
}

// readAudio loads an 8 kHz mono WAV (PCM16, μ-law or A-law).
func readAudio(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dsp: %w", err)
	}
	defer f.Close()
	pcm, rate, err := audiofile.ReadWAV(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("dsp: %s: %w", path, err)
	}
	if rate != 8000 {
		return nil, fmt.Errorf("dsp: %s: sample rate %d Hz, need 8000 (convert it first, e.g. sox IN -r 8000 -c 1 OUT.wav)", path, rate)
	}
	return pcm, nil
}

// seconds formats a sample index as seconds with three decimals.
func seconds(sample int64) string {
	return fmt.Sprintf("%d.%03d", sample/8000, sample%8000/8)
}

// frames feeds pcm to fn in 20 ms frames, as the exchange does.
func frames(pcm []int16, fn func([]int16)) {
	for i := 0; i < len(pcm); i += 160 {
		fn(pcm[i:min(i+160, len(pcm))])
	}
}

func dspDTMF(ctx context.Context, args []string, out io.Writer, stderr io.Writer) error {
	fs := dspFlags("dtmf", stderr)
	repeat := fs.Int("repeat", 1, "process the audio `N` times (timing); print the first pass only")
	path, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	if *repeat < 1 {
		return fmt.Errorf("dsp dtmf: -repeat %d: must be at least 1", *repeat)
	}
	pcm, err := readAudio(path)
	if err != nil {
		return err
	}
	d := dsp.NewDTMFDetector()
	start := time.Now()
	for pass := range *repeat {
		if err := ctx.Err(); err != nil {
			return err
		}
		d.Reset()
		frames(pcm, func(f []int16) {
			for _, e := range d.Process(f) {
				if pass == 0 {
					fmt.Fprintf(out, "%s %c\n", seconds(e.Sample), e.Digit)
				}
			}
		})
	}
	if *repeat > 1 {
		el := time.Since(start)
		n := float64(len(pcm)) * float64(*repeat)
		fmt.Fprintf(stderr, "dtmf: %d passes over %.1f s of audio in %v: %.2f ns/sample, %.0f× real time\n",
			*repeat, float64(len(pcm))/8000, el.Round(time.Millisecond), float64(el.Nanoseconds())/n, n/8000/el.Seconds())
	}
	return nil
}

func dspTones(args []string, out io.Writer, stderr io.Writer) error {
	fs := dspFlags("tones", stderr)
	zone := fs.String("zone", "ru", "tone zone `CODE` ("+strings.Join(dsp.ZoneCodes(), ", ")+")")
	path, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	z, err := dsp.LookupZone(*zone)
	if err != nil {
		return fmt.Errorf("dsp tones: %w", err)
	}
	pcm, err := readAudio(path)
	if err != nil {
		return err
	}
	d := dsp.NewProgressDetector(z)
	frames(pcm, func(f []int16) {
		for _, e := range d.Process(f) {
			fmt.Fprintf(out, "%s %s\n", seconds(e.Sample), e.Tone)
		}
	})
	return nil
}

func dspLearn(args []string, out io.Writer, stderr io.Writer) error {
	fs := dspFlags("learn", stderr)
	path, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	pcm, err := readAudio(path)
	if err != nil {
		return err
	}
	l, err := dsp.LearnBusyTone(pcm)
	if err != nil {
		return fmt.Errorf("dsp learn: %s: %w", path, err)
	}
	freq := fmt.Sprintf("%g Hz", l.Freq1)
	if l.Freq2 != 0 {
		freq = fmt.Sprintf("%g+%g Hz", l.Freq1, l.Freq2)
	}
	fmt.Fprintf(out, "frequency %s\non %v\noff %v\nlevel %.1f dBm0\ncycles %d\nspec %s\n",
		freq, l.On, l.Off, l.LevelDBm0, l.Cycles, l.Spec())
	return nil
}

// describeCallerID renders a caller ID message on one line.
func describeCallerID(m dsp.CallerIDMessage) string {
	var b strings.Builder
	if m.MDMF {
		b.WriteString("mdmf")
	} else {
		b.WriteString("sdmf")
	}
	if m.HasTime {
		fmt.Fprintf(&b, " time=%s", m.Time.Format("01-02 15:04"))
	}
	switch {
	case m.Number != "":
		fmt.Fprintf(&b, " number=%s", m.Number)
	case m.NumberAbsent == 'P':
		b.WriteString(" number=private")
	case m.NumberAbsent == 'O':
		b.WriteString(" number=unavailable")
	}
	switch {
	case m.Name != "":
		fmt.Fprintf(&b, " name=%q", m.Name)
	case m.NameAbsent == 'P':
		b.WriteString(" name=private")
	case m.NameAbsent == 'O':
		b.WriteString(" name=unavailable")
	}
	if m.HasMessageWaiting {
		if m.MessageWaiting {
			b.WriteString(" mwi=on")
		} else {
			b.WriteString(" mwi=off")
		}
	}
	return b.String()
}

func dspCallerID(args []string, out io.Writer, stderr io.Writer) error {
	fs := dspFlags("callerid", stderr)
	path, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	pcm, err := readAudio(path)
	if err != nil {
		return err
	}
	found := 0
	for _, std := range []dsp.FSKStandard{dsp.Bell202, dsp.V23} {
		dec := dsp.NewCallerIDDecoder(std)
		var at int64
		frames(pcm, func(f []int16) {
			at += int64(len(f))
			if m, ok := dec.Process(f); ok {
				found++
				fmt.Fprintf(out, "%s fsk %s %s\n", seconds(at), strings.ToLower(std.String()), describeCallerID(m))
			}
		})
	}
	// DTMF caller ID: a run of digits starting with A, B or D and ending
	// with C (or a pause of more than a second).
	det := dsp.NewDTMFDetector()
	var run []byte
	var runAt, last int64
	flush := func() {
		if len(run) >= 2 && (run[0] == 'A' || run[0] == 'B' || run[0] == 'D') {
			if m, err := dsp.ParseDTMFCallerID(string(run)); err == nil {
				found++
				fmt.Fprintf(out, "%s dtmf %s %s\n", seconds(runAt), run, describeCallerID(m))
			}
		}
		run = run[:0]
	}
	frames(pcm, func(f []int16) {
		for _, e := range det.Process(f) {
			if len(run) > 0 && e.Sample-last > 8000 {
				flush()
			}
			if len(run) == 0 {
				runAt = e.Sample
			}
			run = append(run, e.Digit)
			last = e.Sample
			if e.Digit == 'C' {
				flush()
			}
		}
	})
	flush()
	if found == 0 {
		fmt.Fprintln(stderr, "callerid: no caller ID message found")
	}
	return nil
}

// formatFlag parses -format.
func formatFlag(s string) (audiofile.Format, error) {
	switch strings.ToLower(s) {
	case "pcm", "pcm16", "linear":
		return audiofile.PCM16, nil
	case "ulaw", "mulaw", "u-law", "pcmu":
		return audiofile.ULaw, nil
	case "alaw", "a-law", "pcma":
		return audiofile.ALaw, nil
	}
	return 0, fmt.Errorf("unknown -format %q (pcm, ulaw or alaw)", s)
}

func dspGen(args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("dsp gen: want dtmf, tone or callerid (see pbxctl dsp -h)")
	}
	kind := args[0]
	fs := dspFlags("gen "+kind, stderr)
	outPath := fs.String("o", "", "output `FILE`.wav")
	format := fs.String("format", "pcm", "WAV encoding: pcm, ulaw or alaw")
	var pcm []int16
	var gen func() error
	switch kind {
	case "dtmf":
		level := fs.Float64("level", dsp.DefaultDTMFLevel, "low-group tone level, `dBm0`")
		twist := fs.Float64("twist", 0, "high-group minus low-group level, `dB`")
		on := fs.Duration("on", dsp.DefaultDTMFOn, "tone `duration`")
		off := fs.Duration("off", dsp.DefaultDTMFOff, "pause `duration`")
		gen = func() error {
			if fs.NArg() != 1 {
				return errors.New("dsp gen dtmf: want the digits as one argument")
			}
			lvl := *level
			if lvl == 0 {
				lvl = -1e-9 // 0 dBm0 asked for explicitly, not "default"
			}
			g := dsp.NewDTMFGenerator(dsp.DTMFGenConfig{LevelDBm0: lvl, TwistDB: *twist, On: *on, Off: *off})
			if err := g.Queue(fs.Arg(0)); err != nil {
				return fmt.Errorf("dsp gen dtmf: %w", err)
			}
			buf := make([]int16, 160)
			for g.Busy() {
				g.Read(buf)
				pcm = append(pcm, buf...)
			}
			return nil
		}
	case "tone":
		zone := fs.String("zone", "ru", "tone zone `CODE`")
		tone := fs.String("tone", "dial", "dial, busy, congestion, ringback, callwaiting or stutter")
		spec := fs.String("spec", "", "tone in indications notation (overrides -zone/-tone)")
		level := fs.Float64("level", -10, "level per frequency component, `dBm0`")
		dur := fs.Duration("duration", 5*time.Second, "length of the file")
		gen = func() error {
			if fs.NArg() != 0 {
				return errors.New("dsp gen tone: unexpected arguments")
			}
			if *dur <= 0 || *dur > 10*time.Minute {
				return fmt.Errorf("dsp gen tone: -duration %v: want up to 10m", *dur)
			}
			var ts dsp.ToneSpec
			if *spec != "" {
				var err error
				if ts, err = dsp.ParseToneSpec(*spec); err != nil {
					return fmt.Errorf("dsp gen tone: %w", err)
				}
			} else {
				z, err := dsp.LookupZone(*zone)
				if err != nil {
					return fmt.Errorf("dsp gen tone: %w", err)
				}
				m := map[string]dsp.ToneSpec{"dial": z.Dial, "busy": z.Busy, "congestion": z.Congestion,
					"ringback": z.Ringback, "callwaiting": z.CallWaiting, "stutter": z.StutterDial}
				var ok bool
				if ts, ok = m[*tone]; !ok {
					return fmt.Errorf("dsp gen tone: unknown -tone %q", *tone)
				}
			}
			pcm = make([]int16, int(dur.Seconds()*8000))
			dsp.NewTonePlayer(ts, *level).Read(pcm)
			return nil
		}
	case "callerid":
		number := fs.String("number", "", "calling number")
		name := fs.String("name", "", "calling name")
		private := fs.Bool("private", false, "number (and name) withheld")
		unavailable := fs.Bool("unavailable", false, "number (and name) unavailable")
		when := fs.String("time", "now", `date and time "MM-DD hh:mm", "now" or "" (none)`)
		mwi := fs.String("mwi", "", "message waiting indication: on or off")
		sdmf := fs.Bool("sdmf", false, "single data message format (default multiple, MDMF)")
		std := fs.String("std", "v23", "FSK modem: bell202 or v23")
		useDTMF := fs.Bool("dtmf", false, "DTMF caller ID instead of FSK")
		level := fs.Float64("level", -13, "level, `dBm0`")
		lead := fs.Duration("lead", 500*time.Millisecond, "silence before the message")
		gen = func() error {
			if fs.NArg() != 0 {
				return errors.New("dsp gen callerid: unexpected arguments")
			}
			m := dsp.CallerIDMessage{Number: *number, Name: *name, MDMF: !*sdmf}
			switch {
			case *private:
				m.NumberAbsent = 'P'
				if m.Name == "" {
					m.NameAbsent = 'P'
				}
			case *unavailable:
				m.NumberAbsent = 'O'
				if m.Name == "" {
					m.NameAbsent = 'O'
				}
			}
			switch *when {
			case "":
			case "now":
				m.Time, m.HasTime = time.Now(), true
			default:
				t, err := time.Parse("01-02 15:04", *when)
				if err != nil {
					return fmt.Errorf("dsp gen callerid: -time %q: want MM-DD hh:mm", *when)
				}
				m.Time, m.HasTime = t, true
			}
			switch *mwi {
			case "":
			case "on", "off":
				m.HasMessageWaiting, m.MessageWaiting = true, *mwi == "on"
			default:
				return fmt.Errorf("dsp gen callerid: -mwi %q: want on or off", *mwi)
			}
			if *lead < 0 || *lead > time.Minute {
				return fmt.Errorf("dsp gen callerid: -lead %v out of range", *lead)
			}
			pcm = make([]int16, int(lead.Seconds()*8000))
			buf := make([]int16, 160)
			if *useDTMF {
				digits, err := dsp.EncodeDTMFCallerID(m)
				if err != nil {
					return fmt.Errorf("dsp gen callerid: %w", err)
				}
				g := dsp.NewDTMFGenerator(dsp.DTMFGenConfig{LevelDBm0: *level, On: 70 * time.Millisecond, Off: 70 * time.Millisecond})
				if err := g.Queue(digits); err != nil {
					return fmt.Errorf("dsp gen callerid: %w", err)
				}
				for g.Busy() {
					g.Read(buf)
					pcm = append(pcm, buf...)
				}
			} else {
				var s dsp.FSKStandard
				switch strings.ToLower(*std) {
				case "bell202", "bell":
					s = dsp.Bell202
				case "v23", "v.23", "etsi":
					s = dsp.V23
				default:
					return fmt.Errorf("dsp gen callerid: -std %q: want bell202 or v23", *std)
				}
				msg, err := dsp.EncodeCallerID(m)
				if err != nil {
					return fmt.Errorf("dsp gen callerid: %w", err)
				}
				mod := dsp.NewFSKModulator(s, *level)
				mod.Queue(msg)
				for mod.Read(buf) {
					pcm = append(pcm, buf...)
				}
			}
			pcm = append(pcm, make([]int16, 4000)...) // half a second of trailing silence
			return nil
		}
	default:
		return fmt.Errorf("dsp gen: unknown kind %q (dtmf, tone or callerid)", kind)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *outPath == "" {
		return fmt.Errorf("dsp gen %s: -o FILE.wav is required", kind)
	}
	f, err := formatFlag(*format)
	if err != nil {
		return fmt.Errorf("dsp gen %s: %w", kind, err)
	}
	if err := gen(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := audiofile.WriteWAV(&buf, pcm, f); err != nil {
		return fmt.Errorf("dsp gen %s: %w", kind, err)
	}
	if err := os.WriteFile(*outPath, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("dsp gen %s: %w", kind, err)
	}
	return nil
}

func dspEcho(args []string, out io.Writer, stderr io.Writer) error {
	fs := dspFlags("echo", stderr)
	tail := fs.Duration("tail", 128*time.Millisecond, "longest echo delay covered (up to 256ms)")
	nlp := fs.Bool("nlp", true, "non-linear processor and comfort noise")
	farPath := fs.String("far", "", "what was sent towards the line, `FAR.wav`")
	nearPath := fs.String("near", "", "what came back from the line, `NEAR.wav`")
	outPath := fs.String("o", "", "the cancelled signal, `OUT.wav`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return fmt.Errorf("dsp echo: unexpected arguments %q (the files are given by -far, -near and -o)", fs.Args())
	case *farPath == "" || *nearPath == "" || *outPath == "":
		return errors.New("dsp echo: -far, -near and -o are all required")
	case *tail < time.Millisecond || *tail > 256*time.Millisecond:
		return fmt.Errorf("dsp echo: -tail %v: want 1ms to 256ms", *tail)
	}
	far, err := readAudio(*farPath)
	if err != nil {
		return err
	}
	near, err := readAudio(*nearPath)
	if err != nil {
		return err
	}
	if len(far) != len(near) {
		return fmt.Errorf("dsp echo: %s has %d samples and %s %d: they must be of the same length", *farPath, len(far), *nearPath, len(near))
	}
	ec := dsp.NewEchoCanceller(dsp.EchoConfig{TailMS: int(*tail / time.Millisecond), NLPOff: !*nlp})
	clean := make([]int16, len(near))
	var last dsp.EchoStats
	for i := 0; i < len(near); i += 160 {
		j := min(i+160, len(near))
		ec.Process(near[i:j], far[i:j], clean[i:j])
		if j%8000 == 0 || j == len(near) {
			st := ec.Stats()
			sec := st.Sub(last)
			last = st
			erle := "-"
			if v, ok := sec.ERLE(); ok {
				erle = fmt.Sprintf("%.1f", v)
			}
			fmt.Fprintf(out, "%d %s %s\n", (j-1)/8000, erle, sec.State())
		}
	}
	var buf bytes.Buffer
	if err := audiofile.WriteWAV(&buf, clean, audiofile.PCM16); err != nil {
		return fmt.Errorf("dsp echo: %w", err)
	}
	if err := os.WriteFile(*outPath, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("dsp echo: %w", err)
	}
	return nil
}
