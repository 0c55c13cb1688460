#!/bin/sh
# Runs the whole-box tests (internal/box) in two processes at once. They are
# real-time calls that mostly wait on the simulated board's clock and on
# SIPp, Chromium and spandsp (about 5 minutes of CPU in 17 of wall time on
# 2 cores), so two halves side by side halve the wall time without starving
# each other. The halves alternate through the sorted test names.
set -eu
GO=${GO:-go}
pkg=./internal/box/
names=$($GO test -tags spandsp -list '^Test' "$pkg" | grep '^Test' | sort)
half() { echo "$names" | awk -v r="$1" 'NR % 2 == r' | paste -sd'|' -; }
a=$(half 1)
b=$(half 0)
$GO test -count=1 -timeout 25m -tags spandsp -run "^($a)\$" "$pkg" &
pa=$!
$GO test -count=1 -timeout 25m -tags spandsp -run "^($b)\$" "$pkg" &
pb=$!
rc=0
wait $pa || rc=1
wait $pb || rc=1
exit $rc
