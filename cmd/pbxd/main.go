// Command pbxd is the minipbx firmware daemon: it opens the configuration
// database, brings up the board (the reference hardware or the simulated
// one), and runs the exchange, its SIP service and the installer's web UI
// until SIGTERM, when it hangs calls up cleanly and closes the database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"minipbx/internal/box"
	"minipbx/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pbxd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		data     = fs.String("data", "/data", "data `directory`: database, TLS certificate, prompts")
		httpAddr = fs.String("http", ":8443", "web UI and REST API (HTTPS) listen `address`")
		redirect = fs.String("http-redirect", ":8080", "plain HTTP `address` that redirects to HTTPS (empty: off)")
		sipAddr  = fs.String("sip", ":5060", "SIP listen `address` (UDP and TCP)")
		sipTLS   = fs.String("sip-tls", ":5061", "SIP-over-TLS listen `address` for phones, with the box's certificate (empty: off)")
		boardSel = fs.String("board", "auto", "board: sim (simulated) or auto (probe the hardware, else simulate)")
		fxs      = fs.Int("fxs", 2, "FXS ports of the simulated board (1-8)")
		fxo      = fs.Int("fxo", 2, "FXO ports of the simulated board (0-8)")
		logLevel = fs.String("log-level", "info", "log level: debug, info, warn, error")
		selftest = fs.Bool("selftest", false, "run one internal call end to end on a throw-away database and the simulated board, then exit")
		showVer  = fs.Bool("version", false, "print the version and exit")
		bootConf = fs.String("boot-conf", box.DefaultBootConfig, "boot configuration `file` (slots, bootloader); absent: upgrades disabled")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: pbxd [flags]\n\nThe minipbx firmware daemon.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pbxd: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *showVer {
		fmt.Fprintln(stdout, "pbxd", version.Version)
		return 0
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "pbxd: -log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if *selftest {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if err := box.SelfTest(ctx, log, stdout); err != nil {
			fmt.Fprintf(stderr, "pbxd: selftest FAILED: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, "selftest passed")
		return 0
	}
	if *boardSel != "sim" && *boardSel != "auto" {
		fmt.Fprintf(stderr, "pbxd: -board must be sim or auto, not %q\n", *boardSel)
		return 2
	}

	box.SetMemoryLimit(log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	b, err := box.Open(ctx, box.Config{
		DataDir:      *data,
		HTTPAddr:     *httpAddr,
		RedirectAddr: *redirect,
		SIPAddr:      *sipAddr,
		SIPTLSAddr:   *sipTLS,
		Board:        *boardSel,
		SimFXS:       *fxs,
		SimFXO:       *fxo,
		Logger:       log,
		Version:      version.Version,
		Console:      stdout,
		BootConfig:   *bootConf,
	})
	if err != nil {
		fmt.Fprintf(stderr, "pbxd: %v\n", err)
		return 1
	}
	go func() {
		select {
		case <-b.Ready():
			log.Info("pbxd running", "version", version.Version, "board", b.BoardName(),
				"sip", b.SIPAddr(), "sip_tls", b.SIPTLSAddr(), "web", "https://"+b.WebAddr()+"/")
		case <-ctx.Done():
		}
	}()
	if err := b.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "pbxd: %v\n", err)
		return 1
	}
	// 75 (upgrade.ExitReboot) asks pbxinit to reboot the box: an upgrade
	// was installed, a factory reset requested, the reset button pressed,
	// or a trial boot failed its health check.
	code := b.ExitCode()
	log.Info("pbxd stopped", "exit", code)
	return code
}
