#!/usr/bin/env bash
# Parcel locate throughput before and after (`make bench-parcels`): builds
# the server at BEFORE (default c74c832, the last commit before the parcel
# work of issue 9) in a throwaway clone and at the working tree, starts each
# on loopback in turn (BEFORE under `prlimit --as=4G` and a time limit: that
# code could take 20 GB and minutes for one parcel) and measures
# POST /api/v1/locate with wrk for DUR seconds (default 10) per case: a
# small parcel (a 100 m square) and a 1,000-vertex parcel (a circle 2 km
# across), with 1 and 8 connections. Prints a Markdown table (parcels/s,
# p50/p99, and after/before) with the machine and its load average.
#
#   DUR=10 BEFORE=c74c832 scripts/parcelbench.sh > parcels.md
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-10}
BEFORE=${BEFORE:-c74c832}
GO=${GO:-go}
command -v wrk >/dev/null || { echo "parcelbench: wrk is needed (scripts/deps.sh bench installs it)" >&2; exit 1; }
command -v prlimit >/dev/null || { echo "parcelbench: prlimit (util-linux) is needed" >&2; exit 1; }

work=$(mktemp -d)
pid=
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "parcelbench: building $BEFORE in a throwaway clone and the working tree" >&2
git clone -q "$(git rev-parse --show-toplevel)" "$work/before"
git -C "$work/before" checkout -q "$BEFORE"
(cd "$work/before" && $GO build -o "$work/hetang-before" ./cmd/hetang)
$GO build -o "$work/hetang-after" ./cmd/hetang

python3 - "$work" <<'PY'
import math, sys
work = sys.argv[1]
def ring(n, r):
    pts = [(113.2 + r * math.cos(2 * math.pi * i / n), 27.87 + r * math.sin(2 * math.pi * i / n)) for i in range(n)]
    pts.append(pts[0])
    return '{"type":"Polygon","coordinates":[[' + ",".join("[%.7f,%.7f]" % p for p in pts) + "]]}"
open(work + "/small.json", "w").write('{"type":"Polygon","coordinates":[[[113.2,27.87],[113.201,27.87],[113.201,27.871],[113.2,27.871],[113.2,27.87]]]}')
open(work + "/v1000.json", "w").write(ring(1000, 0.01))
PY
for body in small v1000; do
	cat >"$work/$body.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/geo+json"
local f = io.open("$work/$body.json")
wrk.body = f:read("*a")
f:close()
EOF
done

start() { # which
	local bin=$work/hetang-$1
	local cmd=("$bin" serve -addr 127.0.0.1:0)
	if [[ $1 == before ]]; then
		cmd=(prlimit --as=$((4 << 30)) timeout 600 "${cmd[@]}")
	fi
	HETANG_CACHE_DIR="$work/cache-$1" HETANG_LOG_FORMAT=json "${cmd[@]}" >"$work/$1.out" 2>"$work/$1.log" &
	pid=$!
	for _ in $(seq 1 300); do
		addr=$(grep -o 'http://[^/ ]*' "$work/$1.out" 2>/dev/null | head -1 || true)
		if [[ -n $addr ]] && curl -fsS -o /dev/null "$addr/readyz" 2>/dev/null; then
			# Warm the parcel workers up (each builds its GEOS copy of the layout).
			for _ in 1 2 3 4 5 6 7 8; do
				curl -fsS -o /dev/null -H 'Content-Type: application/geo+json' --data-binary @"$work/v1000.json" "$addr/api/v1/locate"
			done
			return
		fi
		sleep 0.1
	done
	echo "parcelbench: the $1 server did not start" >&2
	cat "$work/$1.log" >&2
	exit 1
}
stop() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
}

declare -A rps p50 p99
for which in before after; do
	start "$which"
	for body in small v1000; do
		for c in 1 8; do
			out=$(timeout $((DUR + 60)) wrk -t1 -c"$c" -d"${DUR}s" --timeout 30s --latency -s "$work/$body.lua" "$addr/api/v1/locate" 2>&1)
			echo "$which $body c=$c: $(echo "$out" | grep -E 'Requests/sec|Non-2xx' | tr -s ' ' | tr '\n' ' ')" >&2
			if echo "$out" | grep -q 'Non-2xx'; then
				echo "parcelbench: $which answered errors for $body:" >&2
				echo "$out" >&2
				exit 1
			fi
			rps[$which,$body,$c]=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
			p50[$which,$body,$c]=$(echo "$out" | awk '$1 == "50%" {print $2}')
			p99[$which,$body,$c]=$(echo "$out" | awk '$1 == "99%" {print $2}')
		done
	done
	stop
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "\`DUR=$DUR scripts/parcelbench.sh\` (wrk -t1, ${DUR} s per case, POST /api/v1/locate on loopback), $(date -u '+%Y-%m-%d %H:%M') UTC; before = \`$BEFORE\` built in a throwaway clone (under prlimit --as=4G, timeout 600 s), after = \`$(git describe --always --dirty)\`."
echo "Machine: $(nproc) CPUs ($cpu); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| parcel | clients | before parcels/s | after parcels/s | after / before | before p50 / p99 | after p50 / p99 |"
echo "|---|---:|---:|---:|---:|---|---|"
for body in small v1000; do
	name="small (100 m square)"
	[[ $body == v1000 ]] && name="1,000 vertices (circle 2 km across)"
	for c in 1 8; do
		b=${rps[before,$body,$c]} a=${rps[after,$body,$c]}
		ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
		echo "| $name | $c | $b | $a | $ratio | ${p50[before,$body,$c]} / ${p99[before,$body,$c]} | ${p50[after,$body,$c]} / ${p99[after,$body,$c]} |"
	done
done
