#!/bin/sh
# Runs the box's load measurements (internal/box/load_test.go) the way the
# README's figures were taken: the box (in the test binary) pinned to one
# CPU and SIPp to another with taskset, and — as root — in a network
# namespace of its own, so that no other traffic shares its loopback.
#
#   scripts/load.sh capacity   # 500 calls relayed, then transcoded, RTP both ways
#   scripts/load.sh setups     # authenticated call setups per second from 16 addresses
#   scripts/load.sh soak       # 30 minutes at 50 calls/s with RTP
#
# The tests' variables pass through: LOAD_CALLS, LOAD_RATE, LOAD_SECONDS,
# LOAD_ADDRS, LOAD_HOLD_MS, SOAK_MINUTES, SOAK_RATE, LOAD_CPUPROFILE,
# LOAD_HEAPPROFILE; LOAD_BOX_CPU and LOAD_SIPP_CPU choose the CPUs (0, 1).
set -eu
GO=${GO:-go}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin/box.test

case ${1:-} in
capacity) export LOAD=1 run='^(TestLoadRelayedCalls|TestLoadTranscodedCalls)$' ;;
setups) export LOAD=1 run='^TestLoadCallSetups$' ;;
soak) export SOAK=1 run='^TestSoak$' ;;
*)
	echo "usage: $0 capacity|setups|soak" >&2
	exit 2
	;;
esac
command -v sipp >/dev/null || { echo "$0: needs sipp (Debian's sip-tester)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "$0: needs taskset (util-linux)" >&2; exit 1; }

mkdir -p "$root/bin"
(cd "$root" && $GO test -c -o "$bin" ./internal/box)
export LOAD_SIPP_CPU="${LOAD_SIPP_CPU:-1}"
set -- taskset -c "${LOAD_BOX_CPU:-0}" "$bin" -test.run "$run" -test.v -test.count=1 -test.timeout 3h
cd "$root/internal/box" # the tests read their SIPp scenarios from testdata
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null; then
	ns=minipbx-load-$$
	ip netns add "$ns"
	trap 'ip netns del "$ns"' EXIT INT TERM
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" "$@"
else
	echo "$0: not root: running in the machine's own network namespace" >&2
	"$@"
fi
