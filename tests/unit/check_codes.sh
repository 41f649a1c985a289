#!/bin/sh
# The build must fail when two session types share a code: compiles model/catalog.c
# against a copy of catalog.def with one duplicated code and expects the compiler to
# refuse it (and the unmodified copy to compile).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$root/src/model/catalog.c" "$root/src/model/catalog.def" "$tmp/"
cc=${CC:-cc}
if ! $cc -std=c11 -D_GNU_SOURCE -I"$root/src" -c -o "$tmp/ok.o" "$tmp/catalog.c" 2>"$tmp/ok.err"; then
	echo "FAILED: catalog.c does not compile as it is"; cat "$tmp/ok.err"; exit 1
fi
echo 'X(  1, DuplicateOfBackupJob, VBR_NONE, NULL, Infrastructure, EMF_NONE, NULL, Unknown, "dup")' >>"$tmp/catalog.def"
if $cc -std=c11 -D_GNU_SOURCE -I"$root/src" -c -o "$tmp/dup.o" "$tmp/catalog.c" 2>"$tmp/dup.err"; then
	echo "FAILED: a duplicate type code compiled"; exit 1
fi
grep -q 'duplicate case value' "$tmp/dup.err" || { echo "FAILED: unexpected error"; cat "$tmp/dup.err"; exit 1; }
cp "$root/src/model/catalog.def" "$tmp/catalog.def"
echo 'RETIRED(2, OldAutomation)' >>"$tmp/catalog.def"
if $cc -std=c11 -D_GNU_SOURCE -I"$root/src" -c -o "$tmp/re.o" "$tmp/catalog.c" 2>"$tmp/re.err"; then
	echo "FAILED: a live type reusing a retired code compiled"; exit 1
fi
echo "check_codes: duplicate and reused type codes fail the build"
