#!/bin/sh
# Prints the firmware version as semantic version: the tag vX.Y.Z on
# HEAD gives X.Y.Z; commits after it give X.Y.(Z+1)-dev.N; no tag gives
# 0.0.0-dev.N (N = commits since the tag, or in all). Bundles compare
# these to refuse downgrades, so every build has an ordered version.
set -eu
cd "$(dirname "$0")/.."
desc=$(git describe --tags --match 'v[0-9]*.[0-9]*.[0-9]*' --long 2>/dev/null || true)
if [ -z "$desc" ]; then
	echo "0.0.0-dev.$(git rev-list --count HEAD 2>/dev/null || echo 0)"
	exit 0
fi
tag=${desc%-*-g*}
n=${desc#"$tag"-}; n=${n%%-g*}
tag=${tag#v}
if [ "$n" = 0 ]; then echo "$tag"; exit 0; fi
major=${tag%%.*}; rest=${tag#*.}; minor=${rest%%.*}; patch=${rest#*.}; patch=${patch%%-*}
echo "$major.$minor.$((patch + 1))-dev.$n"
