#!/usr/bin/env bash
# Load test (`make loadtest`) and memory soak (`make soak`, scripts/soak.sh).
#
# Builds bin/hetang and the load generator (cmd/hetang-load), starts the server
# on a free loopback port with the embedded layout, warms up, runs the request
# mix (locate, layers, OGC API items, tiles) at a fixed concurrency, writes the
# numbers and the machine into BENCHMARKS.md between this script's own markers
# and fails when any request failed (or, for the soak, when memory grew). The
# server is killed on exit, whatever happens.
#
#   LOAD_DURATION=30s LOAD_CONCURRENCY=8 scripts/loadtest.sh
#   SOAK_DURATION=10m SOAK_CONCURRENCY=4 SOAK_RATE=300 scripts/loadtest.sh soak
#   STRESS_DURATION=60s STRESS_HEAVY=20 STRESS_TINY=2 STRESS_BUDGET=1GiB \
#       STRESS_DEADLINE=30s scripts/loadtest.sh stress      (scripts/stress.sh)
#
# The stress mode runs the parcel stress test (hetang-load -stress): heavy
# parcels back to back from STRESS_HEAVY clients and tiny ones from
# STRESS_TINY, against a server with memory budget STRESS_BUDGET and request
# timeout STRESS_DEADLINE; it fails when a check fails (a dropped
# connection, a heavy answer later than the deadline + 1 s or other than
# 200/503, a tiny parcel not answered or p99 ≥ 100 ms, RSS over the budget)
# or the server dies.
#
# LOAD_MIX overrides the weighted mix; LOAD_SKIP_MISSING=1 skips request
# classes whose endpoint the server lacks (a partial build) instead of
# counting their 404s as errors;
# BENCHMARKS=FILE writes elsewhere (BENCHMARKS=/dev/null: nowhere).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-load}
case $mode in
load)
	duration=${LOAD_DURATION:-30s}
	concurrency=${LOAD_CONCURRENCY:-8}
	rate=${LOAD_RATE:-0}
	interval=1s
	extra=()
	marker=load
	;;
soak)
	duration=${SOAK_DURATION:-10m}
	concurrency=${SOAK_CONCURRENCY:-4}
	rate=${SOAK_RATE:-300}
	interval=10s
	extra=(-rss-growth-check)
	marker=soak
	;;
stress)
	duration=${STRESS_DURATION:-60s}
	marker=stress
	;;
*)
	echo "usage: $0 [load|soak|stress]" >&2
	exit 2
	;;
esac
mix=${LOAD_MIX:-locate=4,layers=2,ogc=2,tiles=4}
bench=${BENCHMARKS:-BENCHMARKS.md}
GO=${GO:-go}

work=$(mktemp -d)
server_pid=
cleanup() {
	if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "loadtest: building" >&2
mkdir -p bin
$GO build -ldflags "-X main.version=$(git describe --always --dirty 2>/dev/null || echo dev)" -o bin/hetang ./cmd/hetang
$GO build -o "$work/hetang-load" ./cmd/hetang-load

echo "loadtest: starting the server" >&2
stress_budget=${STRESS_BUDGET:-1GiB}
stress_deadline=${STRESS_DEADLINE:-30s}
server_env=()
if [[ $mode == stress ]]; then
	server_env=(HETANG_MEMORY_BUDGET="$stress_budget" HETANG_REQUEST_TIMEOUT="$stress_deadline")
fi
env "${server_env[@]}" HETANG_CACHE_DIR="$work/cache" HETANG_LOG_FORMAT=json \
	bin/hetang serve -addr 127.0.0.1:0 >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
base=
for _ in $(seq 1 300); do
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "loadtest: the server exited:" >&2
		cat "$work/server.log" >&2
		exit 1
	fi
	base=$(grep -o 'http://[^/ ]*' "$work/stdout" 2>/dev/null | head -1 || true)
	if [[ -n $base ]] && curl -fsS -o /dev/null "$base/readyz" 2>/dev/null; then
		break
	fi
	base=
	sleep 0.1
done
if [[ -z $base ]]; then
	echo "loadtest: the server did not become ready in 30 s" >&2
	cat "$work/server.log" >&2
	exit 1
fi
echo "loadtest: server pid $server_pid at $base; $mode for $duration" >&2

status=0
if [[ $mode == stress ]]; then
	"$work/hetang-load" -stress -target "$base" -d "$duration" -heavy "${STRESS_HEAVY:-20}" -tiny "${STRESS_TINY:-2}" \
		-budget "$stress_budget" -deadline "$stress_deadline" -pid "$server_pid" \
		-json "$work/result.json" -md "$work/result.md" || status=$?
else
	skip=()
	[[ ${LOAD_SKIP_MISSING:-0} == 1 ]] && skip=(-skip-missing)
	"$work/hetang-load" -target "$base" -c "$concurrency" -d "$duration" -n "${LOAD_MAX_REQUESTS:-5000000}" \
		-rate "$rate" -warmup "${LOAD_WARMUP:-3s}" -mix "$mix" -pid "$server_pid" -rss-interval "$interval" \
		"${skip[@]}" "${extra[@]}" -json "$work/result.json" -md "$work/result.md" || status=$?
fi
if [[ ! -s $work/result.md ]]; then
	echo "loadtest: the load generator wrote no result (exit $status)" >&2
	exit 1
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
	echo "loadtest: the server died during the run:" >&2
	tail -50 "$work/server.log" >&2
	exit 1
fi

# The machine, for the record.
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
{
	case $mode in
	soak) echo "Command: \`SOAK_DURATION=$duration make soak\`" ;;
	stress) echo "Command: \`STRESS_DURATION=$duration make stress\`" ;;
	*) echo "Command: \`LOAD_DURATION=$duration make loadtest\`" ;;
	esac
	if [[ $mode == stress ]]; then
		echo "(\`hetang-load -stress -heavy ${STRESS_HEAVY:-20} -tiny ${STRESS_TINY:-2} -d $duration -budget $stress_budget -deadline $stress_deadline\` against \`hetang serve\` with HETANG_MEMORY_BUDGET=$stress_budget and HETANG_REQUEST_TIMEOUT=$stress_deadline, on loopback)."
	else
		echo "(\`hetang-load -c $concurrency -d $duration$( [[ $rate != 0 ]] && echo " -rate $rate")\` against \`hetang serve\` with the embedded layout, on loopback)."
	fi
	echo
	echo "Machine: $(nproc) CPUs ($cpu), $mem RAM, $($GO version | awk '{print $3}'), Linux $(uname -r); load average before the run: $load_before."
	echo "Shared with other builds while measured, so treat throughput as a lower bound."
	echo
	cat "$work/result.md"
} >"$work/section.md"

if [[ $bench != /dev/null ]]; then
	python3 - "$bench" "$marker" "$work/section.md" <<'PY'
import os, sys
path, marker, section = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
title = {"load": "## Load", "soak": "## Soak", "stress": "## Stress"}[marker]
begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
block = f"{begin}\n{section}\n{end}"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    text = head + block + rest.split(end, 1)[1]
else:
    text = text.rstrip("\n") + f"\n\n{title}\n\n{block}\n"
with open(path + ".tmp", "w") as f:
    f.write(text if text.endswith("\n") else text + "\n")
os.replace(path + ".tmp", path)
PY
	echo "loadtest: wrote the \"$marker\" section of $bench" >&2
fi
if [[ $status -ne 0 ]]; then
	echo "loadtest: FAILED (see above); last server log lines:" >&2
	tail -20 "$work/server.log" >&2
fi
exit $status
