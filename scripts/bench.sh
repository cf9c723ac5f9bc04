#!/usr/bin/env bash
# Benchmarks the spatial queries against PostGIS doing the same point-in-area
# query on the same data, in the same run, and prints ratios (ours / PostGIS):
#   1. in-process point-in-area (Go benchmark, one core) vs one PostGIS
#      backend running ST_Intersects with the GiST index over 1,000,000 points;
#   2. HTTP GET /api/v1/locate (wrk) vs pgbench over PostgreSQL's wire
#      protocol, same concurrency, req/s and p50/p99 latency; in the same
#      rounds the same server's GET /healthz and the bare net/http ceiling
#      (hetang-load ceiling), with the server's CPU time per request;
#   3. 1,000,000 CSV points through POST /api/v1/locate/batch (curl) vs COPY
#      of the same points into PostGIS plus the ST_Intersects join.
# A throwaway PostgreSQL cluster lives in a temp dir (unix socket only) and is
# removed at exit. Every step is bounded with timeout. Needs GEOS/PROJ/GDAL,
# PostgreSQL 15 + PostGIS 3, wrk (make bench installs them via scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

CONC=${CONC:-32}         # concurrent clients for HTTP and pgbench
DUR=${DUR:-10}           # seconds per load test
ROUNDS=${ROUNDS:-3}      # HTTP: rounds of healthz, locate, ceiling and pgbench, one after the other
STEPS=${STEPS:-"1 2 3"}  # which measurements to run (3 needs 2's server, which it starts anyway)
PIN=${PIN:-}             # PIN=1: servers and PostgreSQL on CPU 0, wrk and pgbench on CPU 1 (taskset)
BASE=${BASE:-}           # BASE=<git revision>: also measure that revision's healthz and locate in the same rounds
NPTS=${NPTS:-1000000}    # batch size
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-$((20000 + RANDOM % 20000))}

tmp=$(mktemp -d /tmp/hetang-bench.XXXXXX)
chmod 755 "$tmp"
srv_pid=""
base_pid=""
ceil_pid=""
pg_started=""
srv_cpu=()
cli_cpu=()
wrk_threads=2
if [ -n "$PIN" ]; then srv_cpu=(taskset -c 0); cli_cpu=(taskset -c 1); wrk_threads=1; fi
step() { [[ " $STEPS " == *" $1 "* ]]; }
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi

cleanup() {
  set +e
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
  for p in $ceil_pid $base_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -n "$pg_started" ] && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/pg" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

log() { printf '\n== %s\n' "$*" >&2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

log "build"
go build -o "$tmp/hetang" ./cmd/hetang
go build -o "$tmp/hetang-load" ./cmd/hetang-load
if [ -n "$BASE" ]; then
  mkdir -p "$tmp/base"
  git archive "$BASE" | tar -x -C "$tmp/base"
  (cd "$tmp/base" && go build -o "$tmp/hetang-base" ./cmd/hetang)
fi
"$tmp/hetang" build -o "$tmp/hetang.gpkg" >&2

log "PostgreSQL cluster in $tmp/pg (unix socket for set-up; pgbench over TCP 127.0.0.1:$PORT, the same loopback transport as the HTTP side)"
mkdir -p "$tmp/pg" "$tmp/sock"
[ ${#as_pg[@]} -gt 0 ] && chown postgres "$tmp/pg" "$tmp/sock"
timeout 60 "${as_pg[@]}" "$PGBIN/initdb" -D "$tmp/pg" -U postgres --auth=trust -E UTF8 >/dev/null
timeout 60 "${srv_cpu[@]}" "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/pg" -w -l "$tmp/sock/pg.log" \
  -o "-p $PORT -k $tmp/sock -c listen_addresses='127.0.0.1' -c shared_buffers=128MB -c fsync=off -c max_connections=100" start >/dev/null
pg_started=1
PSQL=(timeout 300 "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$tmp/sock" -p "$PORT" -U postgres)
"${PSQL[@]}" -c "CREATE DATABASE bench" >/dev/null
PSQL+=(-d bench)
"${PSQL[@]}" -c "CREATE EXTENSION postgis" >/dev/null

log "load the layers from the service's GeoPackage with ogr2ogr, GiST indexes"
timeout 120 ogr2ogr -f PostgreSQL "PG:host=$tmp/sock port=$PORT dbname=bench user=postgres" "$tmp/hetang.gpkg" \
  -lco GEOMETRY_NAME=geom -lco FID=ogc_fid -lco SPATIAL_INDEX=GIST -overwrite
"${PSQL[@]}" -c "CREATE INDEX IF NOT EXISTS areas_geom_gist ON areas USING gist (geom); ANALYZE;" >/dev/null
"${PSQL[@]}" -At -c "SELECT count(*) || ' areas, GiST: ' || count(*) FILTER (WHERE true) FROM areas" >&2

# Random points over the district's bounding box, the same box for both sides.
read -r XMIN YMIN XMAX YMAX < <("${PSQL[@]}" -At -F' ' -c "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)::geometry e FROM district) s")
echo "district bbox: $XMIN $YMIN $XMAX $YMAX" >&2

if step 1; then
log "1. in-process point-in-area"
ours_inproc=$(timeout 300 go test -run '^$' -bench '^BenchmarkAreaOf$' -benchtime 2s -cpu 1 ./internal/spatial/ | awk '/BenchmarkAreaOf/ { for (i = 1; i <= NF; i++) if ($(i+1) == "points/s") print $i }')
pg_sql="SELECT count(a.id) FROM (SELECT $XMIN + random() * ($XMAX - $XMIN) AS x, $YMIN + random() * ($YMAX - $YMIN) AS y FROM generate_series(1, $NPTS)) p
  LEFT JOIN LATERAL (SELECT id FROM areas WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)) LIMIT 1) a ON true"
t0=$(date +%s.%N)
"${PSQL[@]}" -At -c "SET max_parallel_workers_per_gather = 0; $pg_sql" >/dev/null
t1=$(date +%s.%N)
pg_inproc=$(awk -v n="$NPTS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
echo "ours: $ours_inproc points/s (one core)   PostGIS: $pg_inproc points/s (one backend)" >&2

fi

addr="127.0.0.1:$((PORT + 1))"
HETANG_CACHE_DIR="$tmp/cache" HETANG_LOG_FORMAT=text "${srv_cpu[@]}" "$tmp/hetang" serve -addr "$addr" -data "$tmp/hetang.gpkg" >/dev/null 2>"$tmp/serve.log" &
srv_pid=$!
for _ in $(seq 100); do curl -fs "http://$addr/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

if step 2; then
log "2. HTTP: /healthz, single-point /api/v1/locate, the bare net/http ceiling and PostGIS (pgbench), $CONC connections, ${DUR}s each, $ROUNDS rounds${PIN:+, servers on CPU 0 and clients on CPU 1}"
if [ -n "$BASE" ]; then
  # The base revision serves its own build of the embedded layout (the same data).
  base="127.0.0.1:$((PORT + 4))"
  HETANG_CACHE_DIR="$tmp/base-cache" HETANG_LOG_FORMAT=text "${srv_cpu[@]}" "$tmp/hetang-base" serve -addr "$base" >/dev/null 2>"$tmp/base.log" &
  base_pid=$!
  for _ in $(seq 150); do curl -fs "http://$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
fi
# Two ceilings: a 100-byte answer (healthz's size) and one the size of a
# typical locate answer, so the cost of the answer's size alone shows.
ceil="127.0.0.1:$((PORT + 2))"
ceil_big="127.0.0.1:$((PORT + 3))"
"${srv_cpu[@]}" "$tmp/hetang-load" ceiling -addr "$ceil" >/dev/null 2>&1 &
ceil_pid=$!
locate_bytes=$(curl -fs "http://$addr/api/v1/locate?lon=$(awk -v a="$XMIN" -v b="$XMAX" 'BEGIN { print (a + b) / 2 }')&lat=$(awk -v a="$YMIN" -v b="$YMAX" 'BEGIN { print (a + b) / 2 }')" | wc -c)
"${srv_cpu[@]}" "$tmp/hetang-load" ceiling -addr "$ceil_big" -size "$locate_bytes" >/dev/null 2>&1 &
ceil_pid="$ceil_pid $!"
for c in "$ceil" "$ceil_big"; do
  for _ in $(seq 50); do curl -fs "http://$c/" >/dev/null 2>&1 && break; sleep 0.1; done
done
cat > "$tmp/locate.lua" <<LUA
math.randomseed(42)
request = function()
  local x = $XMIN + math.random() * ($XMAX - $XMIN)
  local y = $YMIN + math.random() * ($YMAX - $YMIN)
  return wrk.format("GET", string.format("/api/v1/locate?lon=%.6f&lat=%.6f", x, y))
end
LUA
cat > "$tmp/pip.sql" <<SQL
\set xi random(0, 1000000)
\set yi random(0, 1000000)
SELECT id FROM areas WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint($XMIN + :xi * ($XMAX - $XMIN) / 1000000.0, $YMIN + :yi * ($YMAX - $YMIN) / 1000000.0), 4326)) LIMIT 1;
SQL
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.3f", v }'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# wrk_run NAME PID URL [wrk args]: one wrk run, a line "NAME rps p50 p99 cpu-µs/request" in $tmp/http.txt.
wrk_run() {
  local name=$1 pid=$2 url=$3 out t0 t1 n
  shift 3
  t0=$(ticks "$pid")
  out=$(timeout $((DUR + 30)) "${cli_cpu[@]}" wrk -t"$wrk_threads" -c"$CONC" -d"${DUR}s" --latency "$@" "$url" 2>&1)
  t1=$(ticks "$pid")
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  printf '%s %s %s %s %s\n' "$name" "$(awk '/Requests\/sec/ { print $2 }' <<<"$out")" \
    "$(awk '$1 == "50%" { print $2 }' <<<"$out" | to_ms)" "$(awk '$1 == "99%" { print $2 }' <<<"$out" | to_ms)" \
    "$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / hz * 1e6 / n; else print "?" }')" >> "$tmp/http.txt"
  tail -1 "$tmp/http.txt" >&2
}
# pg_run ROUND: one pgbench run, a line "postgis tps p50 p99 -".
pg_run() {
  rm -f "$tmp"/pgb*
  (cd "$tmp" && timeout $((DUR + 60)) "${cli_cpu[@]}" "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PORT" -U postgres -c "$CONC" -j "$wrk_threads" -T "$DUR" -M prepared \
    -f "$tmp/pip.sql" -l --log-prefix="$tmp/pgb" bench > "$tmp/pgbench.out" 2>&1) || true
  # Per-transaction log: the 3rd field is the latency in µs.
  cat "$tmp"/pgb* 2>/dev/null | awk '{ print $3 }' | sort -n > "$tmp/lat.txt"
  local nlat
  nlat=$(wc -l < "$tmp/lat.txt")
  pct() { awk -v p="$1" -v n="$nlat" 'NR == int(n * p / 100) + 1 { printf "%.3f", $1 / 1000; exit }' "$tmp/lat.txt"; }
  printf 'postgis %s %s %s -\n' "$(awk '/^tps/ { print $3; exit }' "$tmp/pgbench.out")" "$(pct 50)" "$(pct 99)" >> "$tmp/http.txt"
  tail -1 "$tmp/http.txt" >&2
}
: > "$tmp/http.txt"
for r in $(seq "$ROUNDS"); do
  echo "round $r (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  # With BASE, the two servers take turns going first, so a change of the
  # machine's load within a round weighs on both alike.
  if [ -n "$BASE" ] && [ $((r % 2)) -eq 0 ]; then
    wrk_run "healthz@$BASE" "$base_pid" "http://$base/healthz"
    wrk_run "locate@$BASE" "$base_pid" "http://$base" -s "$tmp/locate.lua"
  fi
  wrk_run healthz "$srv_pid" "http://$addr/healthz"
  wrk_run locate "$srv_pid" "http://$addr" -s "$tmp/locate.lua"
  if [ -n "$BASE" ] && [ $((r % 2)) -eq 1 ]; then
    wrk_run "healthz@$BASE" "$base_pid" "http://$base/healthz"
    wrk_run "locate@$BASE" "$base_pid" "http://$base" -s "$tmp/locate.lua"
  fi
  wrk_run ceiling "${ceil_pid%% *}" "http://$ceil/"
  wrk_run ceiling-${locate_bytes}B "${ceil_pid##* }" "http://$ceil_big/"
  pg_run
done
# median NAME FIELD: the median over the rounds (field 2 rps, 3 p50, 4 p99, 5 CPU µs/request).
median() { awk -v k="$1" -v f="$2" '$1 == k { print $f }' "$tmp/http.txt" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
spread() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/http.txt" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f–%.0f", lo, hi }'; }
ratios=$(awk '$1 == "healthz" { h = $2 } $1 == "locate" { printf "%s%.2f", sep, $2 / h; sep = ", " }' "$tmp/http.txt")
base_ratios=$(awk -v b="$BASE" '$1 == "healthz@" b { h = $2 } $1 == "locate@" b { printf "%s%.2f", sep, $2 / h; sep = ", " }' "$tmp/http.txt")
ours_rps=$(median locate 2); ours_p50=$(median locate 3); ours_p99=$(median locate 4)
pg_tps=$(median postgis 2); pg_p50=$(median postgis 3); pg_p99=$(median postgis 4)
{
  echo
  echo "HTTP, $CONC connections, ${DUR}s per run, $ROUNDS rounds${PIN:+ (servers on CPU 0, clients on CPU 1)}; medians (min–max req/s)"
  echo "| peer | req/s | range | p50 ms | p99 ms | server CPU µs/request |"
  echo "|---|---:|---:|---:|---:|---:|"
  for k in healthz locate ${BASE:+"healthz@$BASE" "locate@$BASE"} ceiling "ceiling-${locate_bytes}B" postgis; do
    echo "| $k | $(median $k 2) | $(spread $k) | $(median $k 3) | $(median $k 4) | $(median $k 5) |"
  done
  echo "locate / healthz per round: $ratios; medians: $(ratio "$ours_rps" "$(median healthz 2)"); locate / ceiling $(ratio "$ours_rps" "$(median ceiling 2)"); the ceiling with a ${locate_bytes}-byte answer / with 100 bytes $(ratio "$(median "ceiling-${locate_bytes}B" 2)" "$(median ceiling 2)"); locate / PostGIS $(ratio "$ours_rps" "$pg_tps")"
  if [ -n "$BASE" ]; then
    echo "$BASE: locate / healthz per round: $base_ratios; medians: $(ratio "$(median "locate@$BASE" 2)" "$(median "healthz@$BASE" 2)")"
  fi
} | tee "$tmp/http.md" >&2
fi

if step 3; then
log "3. batch: $NPTS CSV points"
awk -v n="$NPTS" -v x0="$XMIN" -v y0="$YMIN" -v x1="$XMAX" -v y1="$YMAX" 'BEGIN { srand(7); print "lon,lat,id"; for (i = 1; i <= n; i++) printf "%.6f,%.6f,%d\n", x0 + rand() * (x1 - x0), y0 + rand() * (y1 - y0), i }' > "$tmp/points.csv"
t_ours=$(timeout 300 curl -fsS -o "$tmp/out.csv" -w '%{time_total}' -H 'Content-Type: text/csv' --data-binary @"$tmp/points.csv" "http://$addr/api/v1/locate/batch")
rows=$(($(wc -l < "$tmp/out.csv") - 1))
ours_batch=$(awk -v n="$rows" -v t="$t_ours" 'BEGIN { printf "%.0f", n / t }')
echo "ours: $rows points in ${t_ours}s (answers with area, cities, bases, corridor and 4 geodesic distances)" >&2
t0=$(date +%s.%N)
"${PSQL[@]}" >/dev/null <<SQL
CREATE TEMP TABLE pts (lon float8, lat float8, id int);
\copy pts FROM '$tmp/points.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE ans AS SELECT p.id, a.id AS area FROM pts p LEFT JOIN LATERAL
  (SELECT id FROM areas WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)) LIMIT 1) a ON true;
SQL
t1=$(date +%s.%N)
pg_batch=$(awk -v n="$NPTS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
echo "PostGIS: COPY + ST_Intersects join of $NPTS points in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')s (area only)" >&2

fi

cat <<OUT

Queries benchmark ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); concurrency $CONC)
                                   ours            PostGIS         ours/PostGIS
in-process point-in-area points/s  ${ours_inproc:-?}  ${pg_inproc:-?}  $(ratio "${ours_inproc:-0}" "${pg_inproc:-0}")
HTTP locate req/s                  ${ours_rps:-?}  ${pg_tps:-?}  $(ratio "${ours_rps:-0}" "${pg_tps:-0}")
HTTP locate p50 ms                 ${ours_p50:-?}  ${pg_p50:-?}  $(ratio "${ours_p50:-0}" "${pg_p50:-0}")
HTTP locate p99 ms                 ${ours_p99:-?}  ${pg_p99:-?}  $(ratio "${ours_p99:-0}" "${pg_p99:-0}")
batch points/s ($NPTS)          ${ours_batch:-?}  ${pg_batch:-?}  $(ratio "${ours_batch:-0}" "${pg_batch:-0}")
OUT
if [ -f "$tmp/http.md" ]; then cat "$tmp/http.md"; fi
