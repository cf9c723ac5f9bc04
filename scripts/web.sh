#!/usr/bin/env bash
# Installs the web page's npm packages (npm ci, only when node_modules is
# missing or older than package-lock.json) and copies Leaflet's built files
# into web/static/vendor/leaflet/, which go:embed then packs into the binary.
# Idempotent: a second run with nothing changed does no network work.
set -euo pipefail
cd "$(dirname "$0")/../web"
stamp=node_modules/.package-lock.json
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  command -v npm >/dev/null || { echo "error: npm is missing; install Node.js (Debian: apt-get install -y nodejs npm)" >&2; exit 1; }
  echo "web: npm ci" >&2
  npm ci --no-audit --no-fund --ignore-scripts
  touch "$stamp"
fi
src=node_modules/leaflet/dist
dst=static/vendor/leaflet
mkdir -p "$dst/images"
cp -p "$src/leaflet.js" "$src/leaflet.css" "$dst/"
cp -p "$src"/images/*.png "$dst/images/"
