#!/bin/sh
# Counts the instructions one iteration of a benchmark executes in user
# space, on armv7 (qemu-arm's trace of every translated block executed)
# and on x86-64 (valgrind's callgrind), for the README's armv7 estimate.
# Each benchmark runs twice, N1 and N2 iterations; the difference divided
# by N2-N1 removes start-up and the benchmark's own set-up. System calls
# run in the host's kernel in both cases and are not counted.
#
#   scripts/insncount.sh ./telephony/media 'RelayPacket|TranscodePacket|JitterPushPop'
#
# Needs qemu-user-static and valgrind; the traces are large (hundreds of
# MB per run, in $TMPDIR, removed after).
set -eu
GO=${GO:-go}
pkg=${1:?package}
benches=${2:?benchmark regexp}
N1=${N1:-1000}
N2=${N2:-3000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $GO test -c -o "$tmp/arm.test" "$pkg"
$GO test -c -o "$tmp/x86.test" "$pkg"
list=$("$tmp/x86.test" -test.list "^Benchmark($benches)\$")

# armcount N BENCH: guest instructions executed by N iterations (and the
# program's start).
armcount() {
	GODEBUG=asyncpreemptoff=1 qemu-arm-static -d in_asm,nochain,exec -D "$tmp/trace" \
		"$tmp/arm.test" -test.run '^$' -test.bench "^$2\$" -test.benchtime "$1x" -test.cpu 1 >/dev/null
	awk '
		/^IN:/ { cur = ""; next }
		/^0x[0-9a-f]+:/ { if (cur == "") { cur = substr($1, 3, length($1) - 3); size[cur] = 0 }; size[cur]++; next }
		/^Trace / { cur = ""; split($0, a, "/"); exec[a[2]]++ }
		END { for (pc in exec) total += size[pc] * exec[pc]; printf "%d\n", total }' "$tmp/trace"
	rm -f "$tmp/trace"
}

# x86count N BENCH: instructions (callgrind's Ir) of N iterations.
x86count() {
	GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" \
		"$tmp/x86.test" -test.run '^$' -test.bench "^$2\$" -test.benchtime "$1x" -test.cpu 1 2>&1 >/dev/null |
		awk '/Collected/ { print $NF }'
	rm -f "$tmp/cg"
}

printf '%-28s %12s %12s %6s\n' benchmark armv7/op x86-64/op ratio
for b in $list; do
	a1=$(armcount "$N1" "$b")
	a2=$(armcount "$N2" "$b")
	x1=$(x86count "$N1" "$b")
	x2=$(x86count "$N2" "$b")
	awk -v b="$b" -v a1="$a1" -v a2="$a2" -v x1="$x1" -v x2="$x2" -v n="$((N2 - N1))" \
		'BEGIN { a = (a2 - a1) / n; x = (x2 - x1) / n; printf "%-28s %12.0f %12.0f %6.2f\n", b, a, x, a / x }'
done
