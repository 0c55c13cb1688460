// Command pbxinit is the init of the minipbx firmware image (/sbin/init):
// PID 1 on the box. It mounts the kernel and RAM file systems and the
// data partition, runs a pending factory reset, counts the boot for
// bootloaders that cannot (cmdline.txt), then starts pbxd and keeps it
// running: restarts with exponential back-off when it dies (reset after a
// stable run), its output in a bounded in-memory ring mirrored to
// /run/minipbx/pbxd.log (the web UI shows that file) with a status in
// /run/minipbx/pbxd.json, zombies reaped, and SIGTERM forwarded at
// shutdown. pbxd exiting with status 75 (upgrade.ExitReboot) reboots the
// box cleanly.
//
// Signals to PID 1: SIGTERM or SIGINT (ctrl-alt-del) reboot, SIGUSR2
// powers off (busybox's conventions for `reboot` and `poweroff`).
//
// Not PID 1 (development), it only supervises: no mounts, no reboot.
//
//	pbxinit [flags] [-- pbxd arguments]
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
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"minipbx/upgrade/boot"
	"minipbx/upgrade/datadir"
)

func main() {
	pid1 := os.Getpid() == 1
	if pid1 && os.Args[0] == "/init" {
		// In an initramfs: load the drivers, switch to the real root.
		log := slog.New(slog.NewTextHandler(os.Stderr, nil))
		err := initramfsStage(log)
		log.Error("initramfs: cannot switch to the root file system", "err", err)
		select {}
	}
	code := run(os.Args[1:], pid1, linuxSystem{}, os.Stderr)
	if pid1 {
		// PID 1 must never exit (the kernel would panic): the reboot
		// has been asked for; wait for it.
		select {}
	}
	os.Exit(code)
}

type options struct {
	pbxd, data, runDir, bootConf, procCmdline, argsFile string
	logSize                                             int
	args                                                []string
}

func run(args []string, pid1 bool, sys System, console io.Writer) int {
	log := slog.New(slog.NewTextHandler(console, nil))
	fs := flag.NewFlagSet("pbxinit", flag.ContinueOnError)
	fs.SetOutput(console)
	var o options
	fs.StringVar(&o.pbxd, "pbxd", "/usr/bin/pbxd", "the firmware daemon to run")
	fs.StringVar(&o.data, "data", "/data", "data partition mount point")
	fs.StringVar(&o.runDir, "run", "/run/minipbx", "directory for pbxd.log and pbxd.json")
	fs.StringVar(&o.bootConf, "boot-conf", "/etc/minipbx/boot.conf", "boot configuration")
	fs.StringVar(&o.procCmdline, "proc-cmdline", "/proc/cmdline", "kernel command line")
	fs.StringVar(&o.argsFile, "pbxd-args", "/etc/minipbx/pbxd.args", "file of pbxd's arguments, one a line, used when none follow the flags")
	fs.IntVar(&o.logSize, "log-size", 256<<10, "bytes of pbxd's log kept in memory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.args = fs.Args()
	if len(o.args) == 0 {
		o.args = readArgs(o.argsFile)
	}
	if len(o.args) == 0 {
		o.args = []string{"-data", o.data}
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	powerOff := make(chan bool, 1)
	go func() {
		select {
		case sig := <-sigs:
			powerOff <- sig == syscall.SIGUSR2
			log.Info("pbxinit: shutting down", "signal", sig.String())
			stop()
		case <-ctx.Done():
		}
	}()

	conf, confErr := boot.LoadConfig(o.bootConf)
	if confErr != nil && !errors.Is(confErr, os.ErrNotExist) {
		log.Error("pbxinit: boot configuration", "err", confErr)
	}
	if pid1 {
		// Set PATH and a sane umask for everything below us.
		os.Setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
		unix.Umask(0o022)
		cmdline, _ := os.ReadFile(o.procCmdline)
		dataDev := conf.Data
		if _, err := os.Stat("/proc/self"); err != nil {
			sys.Mount("proc", "/proc", "proc", 0, "") // for the command line
			cmdline, _ = os.ReadFile(o.procCmdline)
		}
		if d := kernelArg(string(cmdline), "minipbx.data"); d != "" {
			dataDev = d
		}
		mountAll(sys, log, dataDev, o.data)
		loopbackUp(log)
		if spec := kernelArg(string(cmdline), "minipbx.net"); spec != "" {
			if err := configureNet(log, spec); err != nil {
				log.Error("pbxinit: network", "err", err)
			}
		}
		if cl, ok := mustBootloader(conf, log).(*boot.Cmdline); ok {
			st, reboot, err := cl.CountBoot()
			switch {
			case err != nil:
				log.Error("pbxinit: boot count", "err", err)
			case reboot:
				log.Warn("pbxinit: this slot used its last trial boot; returning to the previous firmware", "state", fmt.Sprintf("%+v", st))
				shutdown(sys, log, o.data, unix.LINUX_REBOOT_CMD_RESTART)
				return 1
			}
		}
	} else if err := becomeSubreaper(); err != nil {
		log.Warn("pbxinit: not a subreaper; orphans of pbxd will not be reaped here", "err", err)
	}
	if err := datadir.Init(o.data); err != nil {
		log.Error("pbxinit: data directory", "err", err)
	} else if did, err := datadir.ResetIfRequested(o.data); err != nil {
		log.Error("pbxinit: factory reset", "err", err)
	} else if did {
		log.Warn("pbxinit: factory reset done: the box starts as new")
	}

	outcome := supervise(ctx, o, log, console)
	if !pid1 {
		return 0
	}
	rebootCmd := unix.LINUX_REBOOT_CMD_RESTART
	select {
	case off := <-powerOff:
		if off && outcome != RebootRequested {
			rebootCmd = unix.LINUX_REBOOT_CMD_POWER_OFF
		}
	default:
	}
	if err := shutdown(sys, log, o.data, rebootCmd); err != nil {
		log.Error("pbxinit: reboot", "err", err)
		return 1
	}
	return 0
}

// readArgs reads one argument a line, skipping blank lines and '#'
// comments; a missing file gives none.
func readArgs(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var args []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			args = append(args, line)
		}
	}
	return args
}

func mustBootloader(conf boot.Config, log *slog.Logger) boot.Bootloader {
	bl, err := conf.Open()
	if err != nil {
		log.Error("pbxinit: bootloader", "err", err)
		return nil
	}
	return bl
}

// supervise runs pbxd until ctx ends or pbxd asks for a reboot.
func supervise(ctx context.Context, o options, log *slog.Logger, console io.Writer) Outcome {
	if err := os.MkdirAll(o.runDir, 0o755); err != nil {
		log.Error("pbxinit: run directory", "err", err)
	}
	reaper := NewReaper(log)
	defer reaper.Stop()
	ring := NewRing(o.logSize)
	s := &Supervisor{
		Path:       o.pbxd,
		Args:       o.args,
		Env:        os.Environ(),
		Ring:       ring,
		Console:    console,
		Reaper:     reaper,
		Logger:     log,
		StatusPath: filepath.Join(o.runDir, "pbxd.json"),
	}
	mctx, mstop := context.WithCancel(context.Background())
	mdone := make(chan struct{})
	go func() {
		defer close(mdone)
		mirror(mctx, ring, filepath.Join(o.runDir, "pbxd.log"), time.Second)
	}()
	outcome, err := s.Run(ctx)
	if err != nil {
		log.Error("pbxinit: supervisor", "err", err)
	}
	mstop()
	<-mdone
	return outcome
}
