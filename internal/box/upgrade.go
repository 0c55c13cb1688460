package box

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"minipbx/telephony/store"
	"minipbx/upgrade"
	"minipbx/upgrade/backup"
	"minipbx/upgrade/boot"
	"minipbx/upgrade/datadir"
	"minipbx/webui"
)

// Default paths of the image (rootfs/README.md): the boot configuration
// the image carries, the hardware watchdog, and pbxinit's mirror of pbxd's
// output and state.
const (
	DefaultBootConfig = "/etc/minipbx/boot.conf"
	DefaultWatchdog   = "/dev/watchdog"
	DefaultRunDir     = "/run/minipbx"
)

// openStore prepares the data directory (datadir.Init marks it, refusing a
// directory holding anything else, so a factory reset can never wipe a
// home directory given by mistake) and opens the database through
// backup.OpenStore, which returns to the pre-upgrade snapshot when a
// rollback finds a database migrated by the newer firmware.
func (b *Box) openStore(ctx context.Context, limits *store.Limits) error {
	if err := datadir.Init(b.cfg.DataDir); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	db, restored, err := backup.OpenStore(ctx, b.cfg.DataDir, store.Options{Logger: b.log, Limits: limits})
	if err != nil {
		return err
	}
	b.db, b.restored = db, restored
	return nil
}

// openUpgrade builds the upgrade engine from the boot configuration. A box
// without one (a development machine, or bootloader=none) runs with
// upgrades disabled, and the web UI says why; a boot configuration that is
// present but broken is logged loudly and disables upgrades too, rather
// than keeping the exchange down.
func (b *Box) openUpgrade() {
	path := b.cfg.BootConfig
	if path == "" {
		path = DefaultBootConfig
	}
	bc, err := boot.LoadConfig(path)
	if errors.Is(err, os.ErrNotExist) {
		b.upgradeOff = "this box has no boot configuration (" + path + "): it is not running from a firmware image"
		return
	}
	if err != nil {
		b.upgradeOff = "the boot configuration cannot be read: " + err.Error()
		b.log.Error("upgrades disabled", "err", err)
		return
	}
	b.bootConfigured = true
	eng, err := upgrade.FromBootConfig(bc, b.cfg.Version, b.snapshot, b.log.With("part", "upgrade"))
	if err != nil {
		if errors.Is(err, upgrade.ErrNoSlots) {
			b.upgradeOff = "this board has no A/B root slots (bootloader=none)"
		} else {
			b.upgradeOff = "the upgrade engine cannot start: " + err.Error()
			b.log.Error("upgrades disabled", "err", err)
		}
		return
	}
	b.eng = eng
}

// healthCheck runs the health check (a field only so that a test can
// make a trial boot fail it).
func (b *Box) healthCheck(ctx context.Context) error {
	if b.healthOverride != nil {
		return b.healthOverride(ctx)
	}
	return b.health()(ctx)
}

// snapshot keeps the configuration as it is before an upgrade, for a
// rollback (the engine calls it once the new image is verified in place).
func (b *Box) snapshot(_ context.Context, to string) error {
	return datadir.SaveSnapshot(b.cfg.DataDir, b.cfg.Version, to, b.db.Snapshot, time.Now())
}

// requestExit stops Run and makes ExitCode report code. Only the first
// request counts. It never blocks: the reset button's callbacks call it
// from the panel's goroutine.
func (b *Box) requestExit(code int, why string) {
	b.exitOnce.Do(func() {
		b.log.Warn("pbxd stopping to reboot the box", "reason", why, "exit", code)
		b.exitCode.Store(int32(code))
		close(b.exitReq)
	})
}

// ExitCode is the exit status pbxd should end with once Run returned: 0,
// or upgrade.ExitReboot (75) when the box asked to be rebooted (an upgrade
// installed, a factory reset requested, the reset button pressed, a trial
// boot that failed its health check). pbxinit reboots on 75.
func (b *Box) ExitCode() int { return int(b.exitCode.Load()) }

// resetButton returns the panel's reset-button actions: a short press
// reboots, a 10-second hold wipes the data partition at the next boot.
func (b *Box) resetButton() (onReboot, onFactoryReset func()) {
	onReboot = func() { b.requestExit(upgrade.ExitReboot, "reset button pressed") }
	onFactoryReset = func() {
		if err := datadir.RequestFactoryReset(b.cfg.DataDir); err != nil {
			// Rebooting anyway would look like a reset that did nothing;
			// the status LED stays as it is and the log says why.
			b.log.Error("factory reset from the reset button failed", "err", err)
			return
		}
		b.requestExit(upgrade.ExitReboot, "reset button held 10 s: factory reset")
	}
	return onReboot, onFactoryReset
}

// health is the check a new firmware must pass before its trial slot is
// confirmed, and while it passes the hardware watchdog is fed: the
// database reads, SIP answers OPTIONS on the box's own address, the board
// has its ports, the web UI answers on its own address.
func (b *Box) health() func(context.Context) error {
	return upgrade.All(
		upgrade.Check{Name: "database", Fn: func(context.Context) error {
			_, err := b.db.ExportConfig()
			return err
		}},
		upgrade.Check{Name: "sip", Fn: func(ctx context.Context) error {
			return upgrade.SIPOptions(loopback(b.SIPAddr()))(ctx)
		}},
		upgrade.Check{Name: "board", Fn: func(context.Context) error {
			if len(b.board.Ports()) == 0 {
				return errors.New("no port answered")
			}
			return nil
		}},
		upgrade.Check{Name: "web", Fn: func(ctx context.Context) error {
			addr := b.WebAddr()
			if addr == "" {
				return errors.New("web UI not listening yet")
			}
			return upgrade.HTTPGet("https://" + loopback(addr) + "/login")(ctx)
		}},
	)
}

// loopback turns a bound wildcard address into one this host can reach.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	ip := net.ParseIP(host)
	switch {
	case host == "" || ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// confirm runs once per start, after SIP and the web UI are up: on a
// trial boot it confirms the slot when the health check passes, and asks
// for a reboot (one try used) when it does not in time. It then waits for
// the box to stop, as every part of Run does.
func (b *Box) confirm(ctx context.Context) error {
	select {
	case <-b.ready:
	case <-ctx.Done():
		return nil
	}
	confirmed, err := b.eng.Confirm(ctx, b.healthCheck, b.cfg.Confirm)
	switch {
	case errors.Is(err, upgrade.ErrUnhealthy):
		b.log.Error("trial boot: the new firmware is not healthy; rebooting (the bootloader returns to the old firmware after the last try)", "err", err)
		b.requestExit(upgrade.ExitReboot, "trial boot failed its health check")
	case err != nil && ctx.Err() == nil:
		b.log.Error("trial boot: confirmation failed", "err", err)
	case confirmed:
		b.log.Info("trial boot confirmed: this firmware stays", "version", b.cfg.Version)
	}
	<-ctx.Done()
	return nil
}

// watchdog feeds the hardware watchdog while the health check passes,
// on a box running from its image that has one. A device that cannot be
// opened is logged, not fatal: the exchange is more use running.
func (b *Box) watchdog() func(context.Context) error {
	path := b.cfg.Watchdog
	if path == "" {
		path = DefaultWatchdog
	}
	if !b.bootConfigured {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	w := &upgrade.Watchdog{Path: path, Health: b.healthCheck, Logger: b.log.With("part", "watchdog")}
	return func(ctx context.Context) error {
		if err := w.Run(ctx); err != nil {
			b.log.Error("hardware watchdog not fed", "err", err)
		}
		<-ctx.Done()
		return nil
	}
}

// maintenance is the box's side of the web UI's maintenance page and API
// (webui.Maintenance).
type maintenance struct{ b *Box }

var _ webui.Maintenance = maintenance{}

func (m maintenance) Firmware(context.Context) webui.FirmwareInfo {
	b := m.b
	fi := webui.FirmwareInfo{Version: b.cfg.Version, Board: b.BoardName(), Disabled: b.upgradeOff}
	if b.restored != nil {
		fi.Restored = fmt.Sprintf("This box returned to firmware %s after an upgrade to %s did not confirm itself; the configuration from before that upgrade (%s) was restored.",
			b.restored.FromVersion, b.restored.ToVersion, b.restored.Created.Format(time.RFC3339))
	}
	if b.eng == nil {
		return fi
	}
	fi.Enabled = true
	st, err := b.eng.Status()
	if err != nil {
		fi.BootError = err.Error()
	} else {
		fi.Board = st.Board
		fi.TestKeys = st.TestKeys
		fi.Booted, fi.Next, fi.Fallback = string(st.Boot.Booted), string(st.Boot.Next), string(st.Boot.Fallback)
		fi.Trial, fi.Tries, fi.MaxTries = st.Boot.Trial, st.Boot.Tries, st.Boot.MaxTries
	}
	p := b.eng.Progress()
	fi.UpgradeState, fi.UpgradeVersion, fi.UpgradeError = p.State, p.Version, p.Error
	return fi
}

func (m maintenance) UpgradeHandler() http.Handler {
	b := m.b
	if b.eng == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusConflict, map[string]string{"error": "Upgrades are disabled: " + b.upgradeOff + ".", "code": "no_slots"})
		})
	}
	return b.eng.UploadHandler(func(res upgrade.Result) {
		b.requestExit(upgrade.ExitReboot, "firmware "+res.Manifest.Version+" installed in slot "+string(res.Slot))
	})
}

func (m maintenance) ProgressHandler() http.Handler {
	b := m.b
	if b.eng == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, upgrade.Progress{State: "idle"})
		})
	}
	return b.eng.ProgressHandler()
}

func (m maintenance) BackupHandler() http.Handler {
	return backup.Handler(m.b.db, backup.BackupOptions{Firmware: m.b.cfg.Version, DataDir: m.b.cfg.DataDir, Logger: m.b.log})
}

// RestoreHandler restores through the database directly (validated as a
// whole first), then hands the restored configuration to the running
// exchange as an import of the same document, so that the analog ports,
// SIP and the diagnostics schedule follow it without a restart. The
// voicemail message store re-reads its directory after any restore that
// got as far as writing (a failure halfway may have put some messages
// back), so lamps and the Voicemail page show what is on disk.
func (m maintenance) RestoreHandler() http.Handler {
	b := m.b
	h := backup.RestoreHandler(b.db, backup.RestoreOptions{DataDir: b.cfg.DataDir, Logger: b.log})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if b.vm != nil && sw.status != http.StatusBadRequest && sw.status != http.StatusUnprocessableEntity {
			if err := b.vm.Reindex(); err != nil {
				b.log.Error("voicemail not re-read after a restore; restart the box to see the restored messages", "err", err)
			}
		}
		if sw.status != 0 && sw.status != http.StatusOK {
			return
		}
		cfg, err := b.db.ExportConfig()
		if err == nil {
			err = b.service.ImportConfig(r.Context(), cfg)
		}
		if err != nil {
			b.log.Error("restored configuration not applied to the running exchange; it applies at the next start", "err", err)
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (m maintenance) FactoryResetHandler() http.Handler {
	return backup.FactoryResetHandler(m.b.cfg.DataDir, func() {
		m.b.requestExit(upgrade.ExitReboot, "factory reset requested")
	})
}

func (m maintenance) SupervisorLog() (log, status []byte, err error) {
	dir := m.b.cfg.RunDir
	if dir == "" {
		dir = DefaultRunDir
	}
	log, err = os.ReadFile(dir + "/pbxd.log")
	if err != nil {
		return nil, nil, err
	}
	status, _ = os.ReadFile(dir + "/pbxd.json") // optional
	return log, status, nil
}
