#!/usr/bin/env bash
# Measures the box-level figures the README quotes: the size of the static
# firmware binaries and the idle resident memory of pbxd on the simulated
# board. Usage: scripts/figures.sh (from the repository root; make figures).
set -euo pipefail
GO=${GO:-go}
out=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$out"' EXIT

for t in arm:7 arm64:; do
  arch=${t%%:*} arm=${t#*:}
  CGO_ENABLED=0 GOOS=linux GOARCH=$arch GOARM=$arm $GO build -trimpath -ldflags '-s -w' -o "$out/pbxd-$arch" ./cmd/pbxd
  printf 'static pbxd, linux/%-6s %6.1f MB\n' "$arch" "$(echo "$(stat -c %s "$out/pbxd-$arch") / 1048576" | bc -l)"
done

CGO_ENABLED=0 $GO build -trimpath -ldflags '-s -w' -o "$out/pbxd" ./cmd/pbxd
"$out/pbxd" -data "$out/data" -board sim -http 127.0.0.1:0 -http-redirect '' -sip 127.0.0.1:0 >"$out/log" 2>&1 &
pid=$!
sleep 10 # started, idle: no call, no registration
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
printf 'idle RSS of pbxd (simulated board, 2 FXS + 2 FXO) %6.1f MB\n' "$(echo "$rss / 1024" | bc -l)"
