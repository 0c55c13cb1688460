package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"minipbx/upgrade/backup"
	"minipbx/upgrade/datadir"
)

// The maintenance API (webui/maintenance.go).
const (
	pathUpgrade         = "/api/v1/upgrade"
	pathUpgradeProgress = "/api/v1/upgrade/progress"
	pathBackup          = "/api/v1/backup"
	pathRestore         = "/api/v1/restore"
	pathFactoryReset    = "/api/v1/factory-reset"
)

// transferTimeout bounds an upload or download of a bundle or backup.
const transferTimeout = 30 * time.Minute

const upgradeUsage = `Usage: pbxctl -url https://HOST:PORT upgrade FILE.mpxb [-force]

Installs a signed firmware update bundle on the running box through its API,
showing progress. The box checks the signature, board and version before it
writes anything, writes the image to its inactive slot, reads it back, and
reboots into it on trial: the new firmware confirms itself once its health
check passes, otherwise the box returns to the old one after 3 boots.
-force allows a downgrade (an older version).
`

const factoryResetUsage = `Usage:
  pbxctl -url https://HOST:PORT factory-reset [-yes]
  pbxctl -data DIR factory-reset [-yes]

Erases all user data: configuration, extensions, call records, recordings,
prompts, certificates and the admin password. The box comes back as new,
with a new admin password. On a running box (-url) the box reboots and
erases its data partition before pbxd starts again; on a stopped box
(-data) the data directory is emptied now (it must be a minipbx data
directory, with its .minipbx-data marker). Asks you to type "erase" unless
-yes is given.
`

const backupUsage = `Usage: pbxctl [connection] backup [-o FILE] [-prompts] [-voicemail]

Writes a backup of the configuration (SIP secrets included, never the admin
password; keep it private) as one .tar.gz, to FILE (mode 0600; default
minipbx-backup-DATE.tar.gz in the current directory; "-" for standard
output). -prompts includes the audio prompts, -voicemail the voicemail
messages and greetings (up to 192 MiB of them).
Connection: -data DIR (pbxd stopped) or -url https://HOST:PORT (running).
`

const restoreUsage = `Usage: pbxctl [connection] restore FILE [-no-prompts] [-no-voicemail | -voicemail-replace]

Replaces the configuration (and the prompts in the backup, unless
-no-prompts) with a backup's. Everything is validated first (a backup from an
older firmware is migrated forward); an invalid one is refused with the
reasons and nothing changes.
Voicemail in the backup is added to the box's: messages and greetings the
box lacks come back, everything it has (messages left since the backup, its
heard flags, greetings recorded since) stays. -voicemail-replace makes the
box's voicemail exactly the backup's (deleting messages left since);
-no-voicemail leaves it alone. A backup without voicemail never touches it.
Connection: -data DIR (pbxd stopped) or -url https://HOST:PORT (running).
`

// stream sends one request with a streamed body and returns the response
// of a 2xx status (the caller closes its body), or the API's error.
func (a *apiClient) stream(ctx context.Context, method, path string, q url.Values, body io.Reader, size int64, contentType string) (*http.Response, error) {
	u := *a.base
	u.Path = path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", contentType)
	}
	req.SetBasicAuth("admin", a.password)
	hc := *a.http
	hc.Timeout = transferTimeout
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reaching the box at %s: %w", a.base, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	ae := &apiError{Status: resp.StatusCode}
	if json.Unmarshal(data, ae) != nil || ae.Message == "" {
		ae.Message = strings.TrimSpace(string(firstLine(data)))
	}
	return nil, ae
}

// online opens the API connection for a command that needs the running box.
func (e *env) online(usage string) (*apiClient, error) {
	if e.conn.data != "" {
		return nil, usagef(usage, "this runs on the running box: use -url, not -data")
	}
	if e.conn.url == "" {
		return nil, usagef(usage, "say where the running box is: -url https://HOST:PORT")
	}
	return openOnline(e.conn, e.getenv)
}

func runUpgrade(e *env, args []string) error {
	fs := e.flags("upgrade")
	force := fs.Bool("force", false, "allow a downgrade")
	pos, err := parse(fs, upgradeUsage, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef(upgradeUsage, "give one bundle file")
	}
	a, err := e.online(upgradeUsage)
	if err != nil {
		return err
	}
	defer a.Close()
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	q := url.Values{}
	if *force {
		q.Set("force", "1")
	}
	ctx, stop := context.WithCancel(e.ctx)
	defer stop()
	done := make(chan struct{})
	go func() { // progress, from the box's own account of the write
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		last := ""
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			data, err := a.do(ctx, http.MethodGet, pathUpgradeProgress, nil)
			if err != nil {
				continue
			}
			var p struct {
				State       string
				Done, Total int64
			}
			if json.Unmarshal(data, &p) != nil || p.Total == 0 || (p.State != "writing" && p.State != "checking") {
				continue
			}
			line := fmt.Sprintf("%s: %d%% (%.1f of %.1f MiB written and read back)", p.State, 100*p.Done/(2*p.Total),
				float64(p.Done)/(1<<20), float64(2*p.Total)/(1<<20))
			if line != last {
				fmt.Fprintln(e.stderr, line)
				last = line
			}
		}
	}()
	fmt.Fprintf(e.stderr, "uploading %s (%.1f MiB)\n", pos[0], float64(fi.Size())/(1<<20))
	resp, err := a.stream(e.ctx, http.MethodPost, pathUpgrade, q, f, fi.Size(), "application/octet-stream")
	stop()
	<-done
	if err != nil {
		return fmt.Errorf("not installed, the box keeps its firmware: %w", err)
	}
	defer resp.Body.Close()
	var r struct{ Version, Slot, Board string }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&r); err != nil {
		return fmt.Errorf("the box's answer is not an upgrade result: %w", err)
	}
	fmt.Fprintf(e.stdout, "installed firmware %s (board %s) in slot %s; the box is rebooting into it on trial\n", r.Version, r.Board, r.Slot)
	return nil
}

// confirmErase asks the user to type "erase".
func confirmErase(e *env, what string) error {
	fmt.Fprintf(e.stderr, "This erases ALL user data of %s: configuration, call records, recordings,\nprompts, certificates and the admin password. Type erase to go on: ", what)
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("not confirmed: nothing was erased")
	}
	if strings.TrimSpace(line) != "erase" {
		return errors.New("not confirmed: nothing was erased")
	}
	return nil
}

func runFactoryReset(e *env, args []string) error {
	fs := e.flags("factory-reset")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	pos, err := parse(fs, factoryResetUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(factoryResetUsage, "unexpected %q", pos[0])
	}
	switch {
	case e.conn.data != "" && e.conn.url != "":
		return usagef(factoryResetUsage, "give either -data or -url, not both")
	case e.conn.data != "":
		dir := e.conn.data
		if err := datadir.Check(dir); err != nil {
			return err
		}
		// pbxd must not be running on it: the database lock tells.
		if _, err := os.Stat(datadir.Of(dir).Database()); err == nil {
			o, err := openOffline(dir, true, e.stderr)
			if err != nil {
				return err
			}
			o.Close()
		}
		if !*yes {
			if err := confirmErase(e, dir); err != nil {
				return err
			}
		}
		if err := datadir.FactoryReset(dir); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s is erased: the next pbxd start is a new box with a new admin password\n", dir)
		return nil
	case e.conn.url == "":
		return usagef(factoryResetUsage, "say where the box is: -data DIR (box stopped) or -url https://HOST:PORT (box running)")
	}
	a, err := e.online(factoryResetUsage)
	if err != nil {
		return err
	}
	defer a.Close()
	if !*yes {
		if err := confirmErase(e, "the box at "+e.conn.url); err != nil {
			return err
		}
	}
	resp, err := a.stream(e.ctx, http.MethodPost, pathFactoryReset, url.Values{"confirm": {"erase"}}, nil, 0, "")
	if err != nil {
		return err
	}
	resp.Body.Close()
	fmt.Fprintln(e.stdout, "factory reset requested: the box is rebooting, erasing its data, and comes back as new (its new admin password is on its console)")
	return nil
}

func runBackup(e *env, args []string) error {
	fs := e.flags("backup")
	out := fs.String("o", "", "output file")
	prompts := fs.Bool("prompts", false, "include the prompts")
	withVM := fs.Bool("voicemail", false, "include the voicemail messages and greetings")
	pos, err := parse(fs, backupUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(backupUsage, "unexpected %q", pos[0])
	}
	if *out == "" {
		*out = "minipbx-backup-" + time.Now().UTC().Format("20060102-150405") + ".tar.gz"
	}
	var write func(w io.Writer) error
	switch {
	case e.conn.data != "" && e.conn.url == "":
		o, err := openOffline(e.conn.data, true, e.stderr)
		if err != nil {
			return err
		}
		defer o.Close()
		write = func(w io.Writer) error {
			return backup.Backup(w, o.db, backup.BackupOptions{Firmware: "pbxctl (offline)", Prompts: *prompts, Voicemail: *withVM, DataDir: e.conn.data})
		}
	default:
		if e.conn.url == "" || e.conn.data != "" {
			_, err := e.open(backupUsage, true) // the usual message
			return err
		}
		a, err := openOnline(e.conn, e.getenv)
		if err != nil {
			return err
		}
		defer a.Close()
		q := url.Values{}
		if *prompts {
			q.Set("prompts", "1")
		}
		if *withVM {
			q.Set("voicemail", "1")
		}
		resp, err := a.stream(e.ctx, http.MethodGet, pathBackup, q, nil, 0, "")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		write = func(w io.Writer) error {
			// A box that fails halfway through a streamed backup breaks
			// the connection: Copy fails and no file is kept.
			_, err := io.Copy(w, io.LimitReader(resp.Body, backup.MaxUpload+1))
			return err
		}
	}
	if err := writeOut(e, *out, "backup", write); err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintf(e.stderr, "backup written to %s\n", *out)
	}
	return nil
}

// writeOut runs write into the file out (private, mode 0600), or to
// standard output for "-". A file is written beside its place and renamed
// once complete and synced, so a failure never leaves a truncated file
// that looks like a good one.
func writeOut(e *env, out, what string, write func(io.Writer) error) error {
	if out == "-" {
		return write(e.stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".pbxctl-"+what+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

func runRestore(e *env, args []string) error {
	fs := e.flags("restore")
	noPrompts := fs.Bool("no-prompts", false, "do not restore the prompts")
	noVM := fs.Bool("no-voicemail", false, "leave the box's voicemail as it is")
	replaceVM := fs.Bool("voicemail-replace", false, "make the box's voicemail exactly the backup's")
	pos, err := parse(fs, restoreUsage, args)
	if err != nil {
		return err
	}
	vmMode := backup.VoicemailMerge
	switch {
	case *noVM && *replaceVM:
		return usagef(restoreUsage, "-no-voicemail and -voicemail-replace contradict each other")
	case *noVM:
		vmMode = backup.VoicemailSkip
	case *replaceVM:
		vmMode = backup.VoicemailReplace
	}
	if len(pos) != 1 {
		return usagef(restoreUsage, "give one backup file")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	if e.conn.data != "" && e.conn.url == "" {
		o, err := openOffline(e.conn.data, false, e.stderr)
		if err != nil {
			return err
		}
		defer o.Close()
		rep, err := backup.Restore(f, o.db, backup.RestoreOptions{DataDir: e.conn.data, SkipPrompts: *noPrompts, Voicemail: vmMode})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "restored the backup of firmware %s (%s), %d prompts%s\n", rep.Info.Firmware, rep.Info.Created.Format(time.RFC3339), len(rep.Prompts), voicemailSummary(rep.Voicemail))
		return nil
	}
	if e.conn.url == "" || e.conn.data != "" {
		_, err := e.open(restoreUsage, false) // the usual message
		return err
	}
	a, err := openOnline(e.conn, e.getenv)
	if err != nil {
		return err
	}
	defer a.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	q := url.Values{}
	if *noPrompts {
		q.Set("prompts", "0")
	}
	switch vmMode {
	case backup.VoicemailSkip:
		q.Set("voicemail", "0")
	case backup.VoicemailReplace:
		q.Set("voicemail", "replace")
	}
	resp, err := a.stream(e.ctx, http.MethodPost, pathRestore, q, f, fi.Size(), "application/gzip")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Firmware  string
		Created   time.Time
		Prompts   []string
		Voicemail backup.VoicemailReport
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&r); err != nil {
		return fmt.Errorf("the box's answer is not a restore result: %w", err)
	}
	fmt.Fprintf(e.stdout, "restored the backup of firmware %s (%s), %d prompts%s; the box uses it now\n", r.Firmware, r.Created.Format(time.RFC3339), len(r.Prompts), voicemailSummary(r.Voicemail))
	return nil
}

// voicemailSummary says what a restore did with voicemail, for the line
// after "N prompts".
func voicemailSummary(v backup.VoicemailReport) string {
	switch {
	case !v.Included:
		return "; no voicemail in the backup (the box's is unchanged)"
	case v.Mode == string(backup.VoicemailSkip):
		return "; voicemail in the backup left out"
	}
	s := fmt.Sprintf(", voicemail: %d messages and %d greetings restored", v.Messages, v.Greetings)
	if v.KeptMessages+v.KeptGreetings > 0 {
		s += fmt.Sprintf(", %d messages and %d greetings already on the box kept", v.KeptMessages, v.KeptGreetings)
	}
	if v.RemovedMessages+v.RemovedGreetings > 0 {
		s += fmt.Sprintf(", %d messages and %d greetings not in the backup deleted", v.RemovedMessages, v.RemovedGreetings)
	}
	return s
}
