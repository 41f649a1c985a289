#!/bin/sh
# The layers point down: util <- model <- store <- core <- api <- http <- main.
# Reads every #include "…" under src/ (and tools/, which stands on util and model
# only) and fails when a file includes a header of a layer above its own.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
rank() {   # rank PATH: the layer of a path under src/ (or of an include written as such)
	case $1 in
	src/main.c | main.c) echo 7 ;;
	src/http/* | http/*) echo 6 ;;
	src/api/* | api/*) echo 5 ;;
	src/core/* | core/*) echo 4 ;;
	src/store/* | store/*) echo 3 ;;
	src/model/* | model/*) echo 2 ;;
	src/util/* | util/*) echo 1 ;;
	*) echo 0 ;;
	esac
}
bad=0
for f in $(find src tools -name '*.[ch]' | sort); do
	case $f in
	tools/*) mine=2 ;;   # the command-line client: util and model only
	*) mine=$(rank "$f") ;;
	esac
	dir=$(dirname "$f")
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		case $inc in
		*/*) target=$inc ;;
		*) target=${dir#src/}/$inc ;;   # a header beside the file
		esac
		r=$(rank "$target")
		case $f in tools/*) case $target in tools/*|sessionctl/*) r=0 ;; esac ;; esac
		if [ "$r" -gt "$mine" ]; then
			echo "layering: $f includes \"$inc\", a layer above its own"
			bad=1
		fi
		# the dialects stand on core's verbs: nothing above core reaches into the store
		if [ "$mine" -ge 5 ] && [ "$r" -eq 3 ]; then
			echo "layering: $f includes \"$inc\": above core, use core's verbs (core/core.h)"
			bad=1
		fi
	done
done
[ $bad -eq 0 ] && echo "check_layers: every include points down (util <- model <- store <- core <- api <- http <- main)"
exit $bad
