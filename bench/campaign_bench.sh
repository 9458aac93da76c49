#!/usr/bin/env bash
# Campaign benchmark (BENCHMARKS.md, "Campaigns"): a store of N customers with
# email addresses, consents (some withdrawn, some never given), bounced
# addresses and last week's messages (the frequency cap); then
#  1. plan: audience, suppression by reason, holdout and variants for all N;
#  2. prepare: the same, written to the outbox;
#  3. send: SEND_MESSAGES of them, rendered and delivered to Postfix's
#     smtp-sink over 8 connections, with the outbox bookkeeping.
# Usage: bench/campaign_bench.sh PATRON_BINARY [N] [SEND_MESSAGES]
set -euo pipefail
patron=${1:?patron binary}
[ -x /usr/sbin/smtp-sink ] || { echo "the send step needs Postfix's smtp-sink: bash scripts/install-deps.sh bench" >&2; exit 1; }
n=${2:-1000000}
send_n=${3:-20000}
out=bench/out/campaign
rm -rf "$out"
mkdir -p "$out"
db="$out/bench.db"
"$patron" --db "$db" campaign list > /dev/null  # creates and migrates the store

now_us=$(( $(date +%s) * 1000000 ))
echo "== $n customers"
t0=$(date +%s%N)
sqlite3 "$db" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO sources (id, name, created_at) VALUES (1, 'bench', 0);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n)
INSERT INTO customers (id, given_name, family_name, language, country, created_at, updated_at)
SELECT i, 'Given' || (i % 5000), 'Family' || (i % 9000),
       CASE i % 3 WHEN 0 THEN 'fa' WHEN 1 THEN 'sv' ELSE 'en' END,
       CASE i % 3 WHEN 0 THEN 'IR' WHEN 1 THEN 'SE' ELSE 'GB' END, 0, 0 FROM n;
INSERT INTO contact_points (customer_id, kind, value, status, first_seen_at, last_seen_at, last_verified_at)
SELECT id, 'email', 'c' || id || '@example.com', CASE WHEN id % 20 = 0 THEN 'bounced' ELSE 'verified' END,
       $now_us, $now_us, $now_us FROM customers;
INSERT INTO consents (customer_id, channel, purpose, status, recorded_at, source_id, method, proof)
SELECT id, 'email', 'marketing', CASE WHEN id % 10 = 3 THEN 'withdrawn' ELSE 'granted' END, 1, 1, 'double_opt_in', 'form'
FROM customers WHERE id % 7 <> 0;
INSERT INTO events (customer_id, type, occurred_at, received_at, source_id, source_key, properties)
SELECT id, 'message_sent', $now_us - 172800000000, $now_us, 1, 'm' || id, '{"channel":"email"}'
FROM customers WHERE id % 20 = 1;
COMMIT;
SQL
t1=$(date +%s%N)
echo "  generated in $(( (t1 - t0) / 1000000 )) ms"

# The campaign's quiet hours would defer part of the audience by the time of day; the
# benchmark measures work, not waiting.
"$patron" --db "$db" campaign policy --set '{"quiet_hours": {"start": "00:00", "end": "00:00"}, "weekend_days": {"*": []}}' > /dev/null
cat > "$out/campaign.json" <<'JSON'
{"name": "bench", "channel": "email", "audience": "country in (\"IR\", \"SE\", \"GB\")", "holdout_percent": 10,
 "from_address": "news@shop.example", "from_name": "Shop",
 "contents": [
  {"variant": "A", "split_percent": 50, "subject": "Hello {{name}}", "text": "Your code {{coupon}}",
   "html": "<p>Hello {{name}}, <a href=\"https://shop.example/\">shop</a> with {{coupon}}</p>"},
  {"variant": "B", "split_percent": 50, "subject": "A gift, {{name}}", "text": "Code {{coupon}}"},
  {"variant": "A", "language": "fa", "split_percent": 50, "subject": "{{name}}، سلام", "text": "کد شما {{coupon}}",
   "html": "<p>{{name}} عزیز، کد شما <b>{{coupon}}</b></p>"},
  {"variant": "B", "language": "fa", "split_percent": 50, "subject": "هدیه", "text": "کد {{coupon}}"}]}
JSON
"$patron" --db "$db" campaign create --file "$out/campaign.json" > /dev/null

echo "== plan (snapshot built and saved first)"
"$patron" --db "$db" --json segment count 'country = "IR"' > /dev/null
t0=$(date +%s%N)
"$patron" --db "$db" --json campaign preview bench > "$out/plan.json"
t1=$(date +%s%N)
python3 - "$out/plan.json" "$(( (t1 - t0) / 1000000 ))" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
print(f"  audience {p['audience']}, targets {p['targets']}, holdout {p['holdout']}, suppressed {p['suppressed']}")
print("  " + ", ".join(f"{k} {v}" for k, v in p["suppressed_by_reason"].items() if v))
print(f"  plan {p['ms']:.0f} ms (command {int(sys.argv[2])} ms with the snapshot load)")
PY

echo "== prepare (the plan written to the outbox)"
t0=$(date +%s%N)
"$patron" --db "$db" --json campaign prepare bench > /dev/null
t1=$(date +%s%N)
echo "  prepare $(( (t1 - t0) / 1000000 )) ms"

echo "== send $send_n messages to smtp-sink"
port=$((20000 + RANDOM % 20000))
sink_user=(); [ "$(id -u)" -eq 0 ] && sink_user=(-u nobody)  # smtp-sink refuses to run as root
/usr/sbin/smtp-sink "${sink_user[@]}" -c "127.0.0.1:$port" 1000 > /dev/null 2>&1 &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT
sleep 0.5
t0=$(date +%s%N)
"$patron" --db "$db" --json campaign send bench --limit "$send_n" \
  --smtp "smtp://127.0.0.1:$port?tls=none&connections=8" --base-url https://patron.example > "$out/send.json"
t1=$(date +%s%N)
python3 - "$out/send.json" "$(( (t1 - t0) / 1000000 ))" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
secs = float(sys.argv[2])
print(f"  sent {r['sent']} in {r['ms'] / 1000:.1f} s: {r['sent'] / (r['ms'] / 1000):.0f} messages/s "
      f"(rendered, signed links, SMTP, outbox and message_sent events); command {secs / 1000:.1f} s")
PY
/usr/bin/time -v "$patron" --db "$db" --json campaign send bench --limit "$send_n" \
  --smtp "smtp://127.0.0.1:$port?tls=none&connections=8" > /dev/null 2> "$out/time.txt" || true
grep -E "Maximum resident" "$out/time.txt" | sed 's/^\s*/  second batch: /'
