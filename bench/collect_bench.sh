#!/usr/bin/env bash
# patron serve under load, on loopback (BENCHMARKS.md, "Event collection").
#   bash bench/collect_bench.sh BUILD_DIR [CUSTOMERS]
# 1. Throughput: /v1/batch with 100-event batches, durable (group commit),
#    as fast as 16 connections go, for 20 s.
# 2. Latency at a fixed 10k events/s (p99, measured from when each request was due).
# 3. Customer lookup by email at 2k requests/s over CUSTOMERS imported demo customers.
set -euo pipefail
build=${1:?build directory with patron and http_load}
customers=${2:-100000}
patron="$build/patron"
load="$build/http_load"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

db="$work/bench.db"
echo "== Demo customers ($customers) for the lookups =="
"$patron" --json demo generate --customers "$customers" --seed 7 --out "$work/demo" > "$work/manifest.json"
crm=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print([f["path"] for f in m["files"] if f["kind"]=="customers" and not f.get("as_of")][0])' "$work/manifest.json")
"$patron" --db "$db" import customers "$crm" --source crm > /dev/null
sqlite3 "$db" "SELECT value FROM contact_points WHERE kind = 'email' AND status <> 'invalid' ORDER BY random() LIMIT 20000" > "$work/emails.txt" 2>/dev/null \
  || python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print(r[0]) for r in c.execute("SELECT value FROM contact_points WHERE kind = \"email\" AND status <> \"invalid\" ORDER BY random() LIMIT 20000")]' "$db" > "$work/emails.txt"
write_key=$("$patron" --db "$db" key create --role collector --name web | grep -o 'pat_[A-Za-z0-9_-]*' | head -1)
api_key=$("$patron" --db "$db" key create --role support --name bench | grep -o 'pat_[A-Za-z0-9_-]*' | head -1)

"$patron" --db "$db" serve --listen 127.0.0.1:0 --access-log off > "$work/serve.out" 2> "$work/serve.err" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out")
echo "server: $url ($(nproc) cores, load generator on the same machine)"

echo "== 1. /v1/batch throughput, 100 events per request, 16 connections, 20 s =="
"$load" --url "$url" --key "$write_key" --mode batch --rate 0 --connections 16 --seconds 20 | tee "$work/throughput.json"
echo "== 2. /v1/batch at 10,000 events/s for 20 s =="
"$load" --url "$url" --key "$write_key" --mode batch --rate 10000 --connections 16 --seconds 20 | tee "$work/latency.json"
echo "== 3. GET /api/v1/customers?email= at 2,000 requests/s for 20 s =="
"$load" --url "$url" --key "$api_key" --mode lookup --emails "$work/emails.txt" --rate 2000 --connections 16 --seconds 20 | tee "$work/lookup.json"
stored=$(sqlite3 "$db" "SELECT count(*) FROM events" 2>/dev/null || echo "?")
echo "events stored: $stored"
curl -s "$url/metrics" | grep -E '^patron_event(s_accepted|s_duplicate|_commits|_commit_seconds)' || true
