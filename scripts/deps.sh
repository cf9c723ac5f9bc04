#!/usr/bin/env bash
# Installs the system packages a make target needs, when they are missing.
#   scripts/deps.sh build   GEOS, PROJ, GDAL (ogrinfo), pkg-config, npm when missing, and the fonts the
#                           server embeds in PDF site reports (fonts-droid-fallback for Chinese, fonts-dejavu-core)
#   scripts/deps.sh test    build + Chromium and CJK fonts (browser tests, screenshots), ezdxf (DXF audit),
#                           PROJ's cs2cs (proj-bin) and pdfinfo/pdftotext (poppler-utils) for the page's tests,
#                           PostgreSQL 15 + PostGIS 3 (the PostGIS store's tests start a throwaway cluster),
#                           the Prometheus Python client (its parser checks /metrics)
#   scripts/deps.sh bench   test + wrk (benchmarks against PostGIS, load tests)
# As root it runs apt-get; otherwise it uses sudo -n if that works, and else
# prints the exact command to run and fails.
set -euo pipefail
level=${1:-build}
pkgs=(gcc pkgconf libgeos-dev libproj-dev proj-data gdal-bin sqlite3 fonts-droid-fallback fonts-dejavu-core)
case "$level" in
  build) ;;
  test) pkgs+=(chromium fonts-noto-cjk python3-ezdxf proj-bin poppler-utils postgresql-15 postgresql-15-postgis-3 python3-prometheus-client) ;;
  bench) pkgs+=(chromium fonts-noto-cjk python3-ezdxf proj-bin poppler-utils postgresql-15 postgresql-15-postgis-3 python3-prometheus-client wrk) ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac
missing=()
# The page's assets come from npm; install Debian's Node.js and npm only when
# the machine has no npm of its own.
command -v npm >/dev/null || pkgs+=(nodejs npm)
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing missing packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "error: missing Debian packages: ${missing[*]}" >&2
  echo "install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
