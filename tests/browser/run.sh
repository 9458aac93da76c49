#!/usr/bin/env bash
# The browser tests (ctest: browser_e2e): a small demo database, `patron serve`
# with the built web application on a free loopback port, and run.mjs driving
# Debian's headless Chromium through playwright-core. Screenshots go to OUT_DIR.
# SCRIPT (default run.mjs) is the test file: pages.mjs is ctest browser_pages.
# usage: run.sh PATRON WEB_ROOT OUT_DIR [SCRIPT]
set -euo pipefail
patron=$1 web_root=$2 out=$3 script=${4:-run.mjs}
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "browser_e2e: $*" >&2; exit 1; }
[ -f "$web_root/index.html" ] || fail "no web build in $web_root (run: make web-test)"
[ -d "$here/node_modules/playwright-core" ] || fail "playwright-core is not installed (run: make browser-deps)"
command -v "${CHROMIUM:-chromium}" > /dev/null || fail "Debian's chromium is not installed (run: make deps)"

rm -rf "$out"
mkdir -p "$out/screenshots"
# 400 people leave five doubtful pairs: two decided in English, one reviewed
# right to left in Persian.
bash "$here/make_db.sh" "$patron" "$out/demo" 400

# A real SMTP server (tests/tools/smtp_sink.py, Debian's python3-aiosmtpd) that
# the campaign test sends to; it keeps every message in $out/smtp.
mkdir -p "$out/smtp"
/usr/bin/python3 "$here/../tools/smtp_sink.py" --dir "$out/smtp" > "$out/smtp.out" 2> "$out/smtp.err" &
smtp_pid=$!
trap 'kill $smtp_pid 2>/dev/null; wait $smtp_pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do grep -q listening "$out/smtp.out" 2>/dev/null && break; sleep 0.1; done
smtp=$(grep -o '127.0.0.1:[0-9]*' "$out/smtp.out") || fail "the SMTP sink did not start: $(cat "$out/smtp.err")"
# public_url: an https address (never fetched) makes messages carry RFC 8058 List-Unsubscribe.
# identity_interval = 0: no automatic identity run changes the review queue
# while a test reads it (the runs are tested in tests/integration).
printf 'smtp_url = smtp://%s\npublic_url = https://patron.test\nidentity_interval = 0\n' "$smtp" > "$out/patron.conf"

"$patron" --db "$out/demo/patron.db" serve --config "$out/patron.conf" --listen 127.0.0.1:0 --web-root "$web_root" \
  --access-log off > "$out/serve.out" 2> "$out/serve.err" &
serve_pid=$!
trap 'kill $serve_pid $smtp_pid 2>/dev/null; wait $serve_pid $smtp_pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do grep -q listening "$out/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$out/serve.out") || fail "patron serve did not start: $(cat "$out/serve.err")"

cd "$here"
PATRON_URL=$url SMTP_DIR="$out/smtp" SCREENSHOTS="$out/screenshots" ADMIN_PASSWORD='browser test password' \
  node --test --test-reporter=spec "$script"
