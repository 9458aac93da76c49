#!/usr/bin/env bash
# Installs every Debian package Patron needs to build, test and run the demo.
# Idempotent: installs only what is missing and runs `apt-get update` at most once.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  python3 libsqlite3-dev sqlite3 curl
  libicu-dev
  libphonenumber-dev libprotobuf-dev libre2-dev
  libidn2-dev
  libsodium-dev
  libmimalloc-dev
  libcpp-httplib-dev
  libkainjow-mustache-dev
  libcurl4-openssl-dev libssl-dev openssl
  libxlsxwriter-dev
  python3-aiosmtpd python3-dkim
  libroaring-dev
  libnlopt-dev
  libcli11-dev nlohmann-json3-dev libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # The PostgreSQL emitter's test runs a throwaway PostgreSQL server (initdb, pg_ctl, psql).
  postgresql
)

# Node.js and npm: the tests drive the server with the official Segment-spec SDKs from npm,
# and the web application (web/) is built with Vite 6 from npm (Node.js 18 or later: Debian 12's nodejs is enough).
command -v npm > /dev/null || packages+=(nodejs npm)
# Chromium: the web application's end-to-end tests (tests/browser) run in headless Chromium.
packages+=(chromium)

# `install-deps.sh bench` adds what the side-by-side benchmarks compare with:
# the sqlite3 shell, wrk, Node.js with npm (for DuckDB's npm package) and Postfix,
# whose smtp-sink receives the delivery benchmark's mail.
if [ "${1:-}" = "bench" ]; then
  packages+=(sqlite3 wrk postfix)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
