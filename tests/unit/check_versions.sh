#!/bin/sh
# A version is one row of model/version.def, and a half-made row must not compile: builds
# model/catalog.c against copies of version.def with one version added as a single line
# (must compile), with that line missing a cell, and with it marked as a second default
# (both must be refused).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/model"
cc=${CC:-cc}
marker='add a version above this line'
grep -q "$marker" "$root/src/model/version.def" || { echo "FAILED: no end marker in version.def"; exit 1; }

# with_row NAME ROW: compiles catalog.c with ROW added to the version table; 0 if it compiled
with_row() {
	cp "$root/src/model/catalog.c" "$root/src/model/catalog.h" "$root/src/model/catalog.def" "$tmp/model/"
	ROW="$2" awk -v m="$marker" 'index($0, m) { print ENVIRON["ROW"] } { print }' \
		"$root/src/model/version.def" >"$tmp/model/version.def"
	$cc -std=c11 -D_GNU_SOURCE -I"$tmp" -I"$root/src" -c -o "$tmp/$1.o" "$tmp/model/catalog.c" 2>"$tmp/$1.err"
}

row='	VBR(VBR_V13R9, "1.3-rev9", VBR_13, "13.0.1.1071", "jobId", "platformName", "initiatorName", "progress", "retryInfo", "ianaTimeZoneId", VBR_JOBS_13R1, OWN, 0) \'
if ! with_row ok "$row"; then
	echo "FAILED: a complete one-line version row does not compile"; cat "$tmp/ok.err"; exit 1
fi
row='	VBR(VBR_V13R9, "1.3-rev9", VBR_13, "13.0.1.1071", "jobId", "platformName", "initiatorName", "progress", "ianaTimeZoneId", VBR_JOBS_13R1, OWN, 0) \'
if with_row cell "$row"; then
	echo "FAILED: a version row with a cell missing compiled"; exit 1
fi
grep -qi 'argument' "$tmp/cell.err" || { echo "FAILED: unexpected error"; cat "$tmp/cell.err"; exit 1; }
row='	VBR(VBR_V13R9, "1.3-rev9", VBR_13, "13.0.1.1071", "jobId", "platformName", "initiatorName", "progress", "retryInfo", "ianaTimeZoneId", VBR_JOBS_13R1, OWN, 1) \'
if with_row dflt "$row"; then
	echo "FAILED: a second default version compiled"; exit 1
fi
grep -q 'exactly one version.def row is the default' "$tmp/dflt.err" ||
	{ echo "FAILED: unexpected error"; cat "$tmp/dflt.err"; exit 1; }
echo "check_versions: a version row is one line; a missing cell or a second default fails the build"
