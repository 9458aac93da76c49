#!/usr/bin/env bash
# The weekly report in headless Chromium (ctest: report_browser): a small demo
# database, the report written in English, Persian and Arabic by the CLI, and
# report.mjs opening each file and checking charts, direction and layout.
# usage: report.sh PATRON OUT_DIR
set -euo pipefail
patron=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "report_browser: $*" >&2; exit 1; }
[ -d "$here/node_modules/playwright-core" ] || fail "playwright-core is not installed (run: make browser-deps)"
command -v "${CHROMIUM:-chromium}" > /dev/null || fail "Debian's chromium is not installed (run: make deps)"
rm -rf "$out"
mkdir -p "$out/screenshots"
bash "$here/make_db.sh" "$patron" "$out/demo" 300
db="$out/demo/patron.db"
now=2026-11-02T08:00:00Z
"$patron" --db "$db" report weekly --now "$now" --out "$out/weekly-en.html" > /dev/null
"$patron" --db "$db" report weekly --now "$now" --out "$out/weekly-fa.html" --lang fa --calendar persian --no-record > /dev/null
"$patron" --db "$db" report weekly --now "$now" --out "$out/weekly-ar.html" --lang ar --calendar islamic --no-record > /dev/null
REPORT_DIR="$out" SCREENSHOTS="$out/screenshots" node --test "$here/report.mjs"
