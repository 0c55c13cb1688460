package box

import (
	"fmt"
	"syscall"

	"minipbx/telephony/sip"
)

// wantFiles is the descriptor limit pbxd asks for at start: every SIP
// connection, RTP socket, web client and open file takes one, and a flood
// of connections must meet the SIP server's own limits well before the
// process runs out.
const wantFiles = 65536

// raiseFileLimit raises RLIMIT_NOFILE towards wantFiles and returns the
// soft limit now in force. The Go runtime already lifts the soft limit to
// the hard one; pbxd runs as root on the board, which may lift the hard
// limit too. Elsewhere (a developer's machine, a container without
// CAP_SYS_RESOURCE) the hard limit stays and so does what Go set.
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("descriptor limit: %w", err)
	}
	if lim.Cur >= wantFiles {
		return lim.Cur, nil
	}
	want := syscall.Rlimit{Cur: wantFiles, Max: max(lim.Max, wantFiles)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return want.Cur, nil
	}
	if lim.Cur < lim.Max {
		want = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
			return want.Cur, nil
		}
	}
	return lim.Cur, nil
}

// sipConnLimits sizes the SIP server's TCP/TLS connection limits to the
// descriptors the process has: at most half of what is left after a
// reserve for RTP, the database, the web UI and the board (so a flood
// meets the SIP limits, not EMFILE), and never more than 512: each
// connection also holds sipgo's 32 KiB read buffer (34 KB of heap each,
// BenchmarkConnectionFlood), so a full table costs 17 MB, and the
// reference board's memory is small.
func sipConnLimits(files uint64) sip.ConnLimits {
	const reserve = 256
	n := 16
	if files > reserve+2*16 {
		n = int(min((files-reserve)/2, 512))
	}
	return sip.ConnLimits{Max: n, PerAddress: min(64, n)}
}
