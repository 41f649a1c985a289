#!/bin/sh
# Instructions per durable progress PATCH, counted by valgrind's callgrind: a figure that
# the load of other work on the machine does not move (the CPU time per PATCH that
# `bench/bench.py --only ingest` prints does, by ±10 % under a load average of 5-10).
# User-space instructions only: the kernel's part (socket I/O, fdatasync, epoll) is not
# counted, and the batches are smaller than at full speed, so the commit's share per
# PATCH is larger. For comparing two builds, run both on the same machine.
#
#   bench/ingest_ir.sh [SESSIOND] [SECONDS]
#
# Needs valgrind, wrk, curl and the 10,000-session store that
# `bench/bench.py --only ingest --sizes 10000` leaves in build/bench. Prints the
# instructions per PATCH of the HTTP workers and of the writer thread, then per call of
# the functions that make up most of them.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/sessiond}
secs=${2:-12}
store=$root/build/bench/sessions-10000
[ -f "$store.db" ] || { echo "no $store.db: run bench/bench.py --only ingest --sizes 10000 first" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$store.db" "$dir/s.db"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SESSIOND_ADMIN_PASSWORD=benchpass1 valgrind --tool=callgrind --separate-threads=yes \
	--callgrind-out-file="$dir/cg.out" --log-file="$dir/vg.log" \
	"$bin" --listen "127.0.0.1:$port" --db "$dir/s.db" --log-level warn >/dev/null 2>&1 &
pid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/serverTime" -H 'x-api-version: 1.3-rev2'; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "sessiond did not start" >&2; kill $pid; exit 1; }
	sleep 0.1
done
BENCH_TOKEN=$(curl -s -X POST "http://127.0.0.1:$port/api/oauth2/token" -H 'x-api-version: 1.3-rev2' \
	-H 'Content-Type: application/x-www-form-urlencoded' -d 'grant_type=password&username=admin&password=benchpass1' |
	/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
BENCH_IDS=$store.running
export BENCH_TOKEN BENCH_IDS
# warm up (the writer's row cache, the statements), then count from zero
wrk -t2 -c64 -d3s -s "$root/bench/patch.lua" "http://127.0.0.1:$port/" >/dev/null
callgrind_control -z $pid >/dev/null 2>&1
wrk -t2 -c64 -d"${secs}s" -s "$root/bench/patch.lua" "http://127.0.0.1:$port/" >"$dir/wrk.txt"
callgrind_control -d $pid >/dev/null 2>&1
sleep 1
kill $pid
wait $pid 2>/dev/null || true
req=$(awk '/requests in/ {print $1}' "$dir/wrk.txt")
http=0
writer=0
: >"$dir/all.txt"
for f in "$dir"/cg.out.1-*; do
	a=$(callgrind_annotate --inclusive=yes "$f" 2>/dev/null)
	tot=$(echo "$a" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
	if echo "$a" | grep -q 'writer\.c:writer_main'; then
		writer=$((writer + tot))
	elif echo "$a" | grep -q 'server\.c:on_request'; then
		http=$((http + tot))
	fi
	callgrind_annotate --inclusive=yes --tree=calling "$f" 2>/dev/null >>"$dir/all.txt"
done
echo "PATCHes counted: $req"
echo "instructions per PATCH: HTTP workers $((http / req)), writer $((writer / req))"
for fn in op_apply sq_tx_session_update sq_tx_session_load sq_tx_savepoint sq_tx_commit ingest_session_patch \
	router_dispatch reply_session_status send_answer; do
	awk -v fn="$fn" '
		$0 ~ ("[:]" fn " [(]") && $0 ~ /> / {
			g = $1; gsub(",", "", g); c = $0; sub(/.*[(]/, "", c); sub(/x[)].*/, "", c); gsub(",", "", c)
			tot += g; calls += c
		}
		END { if(calls) printf "  %-22s %8.0f per call\n", fn, tot / calls }' "$dir/all.txt"
done
