#!/usr/bin/env bash
# The demo: generate realistic demo data, import every file with the real CLI,
# then print a tour, and end by serving the web application with a demo login.
# Usage: scripts/demo.sh PATRON_BINARY OUT_DIR [CUSTOMERS]
set -euo pipefail
patron=${1:?patron binary}
out=${2:-demo}
customers=${3:-20000}
db="$out/patron.db"

mkdir -p "$out"
rm -f "$db" "$db-wal" "$db-shm"
echo "== Generating demo data for $customers people in $out/ =="
"$patron" --json demo generate --customers "$customers" --seed 42 --out "$out/data" > "$out/manifest.json"
# Import in the generator's order, with each file's source description.
python3 - "$out/manifest.json" "$out/imports.txt" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as out:
    for f in m["files"]:
        as_of = f", as of {f['as_of']}" if f["as_of"] else ""
        print(f"  {f['kind']:<10} {f['path']:<36} {f['records']:>9} records  (source {f['source']}, {f['source_kind']}{as_of})")
        # "|"-separated: a tab is whitespace to `read`, which would merge the
        # empty vendor and cost of a source into one and shift its country.
        out.write("|".join([f["kind"], f["path"], f["source"], f["source_kind"], f["vendor"], f["cost"],
                             f["default_country"], f["as_of"]]) + "\n")
    print(f"  ground truth: {m['ground_truth']}")
PY
echo
echo "== Importing into $db =="
while IFS='|' read -r kind path source source_kind vendor cost country as_of; do
  args=(--db "$db" import "$kind" "$path" --source "$source" --source-kind "$source_kind")
  [ -n "$vendor" ] && args+=(--source-vendor "$vendor")
  [ -n "$cost" ] && args+=(--source-cost "$cost")
  [ -n "$country" ] && args+=(--default-country "$country")
  [ -n "$as_of" ] && args+=(--as-of "$as_of")
  echo "\$ patron ${args[*]}"
  "$patron" "${args[@]}" --report "$out/report-$(basename "$path").json"
  echo
done < "$out/imports.txt"

"$patron" --db "$db" demo tour

echo
echo "== Segments (the language: docs/segments.md) =="
segment() {
  echo "\$ patron segment $1 '$2'"
  "$patron" --db "$db" segment "$1" "$2"
  echo
}
segment explain 'city = "Tehran" and age between 20 and 35 and bought(category in ("phones", "phone-accessories"), within 365 days) and reachable(sms)'
segment explain 'bought(category = "school-supplies", in Mehr) and reachable(email)'
segment count 'did("cart_abandoned", within 90 days) then not bought() within 2 days'
"$patron" --db "$db" segment save "lapsed buyers" 'bought(before 365 days ago) and not bought(within 365 days)' \
  --description "Bought before, nothing in the last year"
"$patron" --db "$db" segment save "loyal" 'count(order, within 365 days) >= 3 and sum(order.amount, status = "completed", within 365 days) > 500' \
  --description "Three or more orders this year"
"$patron" --db "$db" segment list
echo
echo "== Models and insights (docs/models.md) =="
echo "\$ patron model score --as-of 2026-11-01"
"$patron" --db "$db" model score --as-of 2026-11-01
echo
echo "\$ patron insight products --by age --until 2026-11-01 --top 5"
"$patron" --db "$db" insight products --by age --until 2026-11-01 --top 5
echo
segment explain 'propensity("electronics") > 0.02 and recommended("phones") and best_channel = "sms"'
echo
echo "== Campaigns (docs/campaigns.md) =="
cat > "$out/win-back.json" <<'JSON'
{
  "name": "win-back",
  "channel": "email",
  "audience": "segment(\"lapsed buyers\")",
  "holdout_percent": 10,
  "from_address": "news@shop.example", "from_name": "Shop",
  "goal": {"within_days": 30},
  "cost_per_message": 0.002, "currency": "EUR",
  "contents": [
    {"variant": "A", "split_percent": 50, "subject": "{{name}}, we miss you",
     "text": "Hello {{name}},\n\nHere is 15% off your next order with code {{coupon}}.",
     "html": "<p>Hello {{name}},</p><p>Here is <b>15% off</b> your next order with code <b>{{coupon}}</b>.</p><p><a href=\"https://shop.example/\">Shop now</a></p>"},
    {"variant": "B", "split_percent": 50, "subject": "A gift for you, {{name}}",
     "text": "Hello {{name}},\n\nYour code {{coupon}} gives 15% off.{{#has_recommendations}}\nPicked for you:{{#recommendations}} {{name}};{{/recommendations}}{{/has_recommendations}}"},
    {"variant": "A", "language": "fa", "split_percent": 50, "subject": "{{name}}، دلمان برایتان تنگ شده",
     "text": "{{name}} عزیز،\n\nبا کد {{coupon}} پانزده درصد تخفیف بگیرید.",
     "html": "<p>{{name}} عزیز،</p><p>با کد <b>{{coupon}}</b> پانزده درصد تخفیف بگیرید.</p>"},
    {"variant": "B", "language": "fa", "split_percent": 50, "subject": "هدیه‌ای برای شما، {{name}}",
     "text": "کد {{coupon}} پانزده درصد تخفیف دارد."},
    {"variant": "A", "language": "sv", "split_percent": 50, "subject": "{{name}}, vi saknar dig",
     "text": "Hej {{name}}!\n\nHär är 15 % rabatt med koden {{coupon}}."},
    {"variant": "B", "language": "sv", "split_percent": 50, "subject": "En present till dig, {{name}}",
     "text": "Hej {{name}}! Koden {{coupon}} ger 15 % rabatt."}
  ]
}
JSON
echo "\$ patron campaign create --file win-back.json"
"$patron" --db "$db" campaign create --file "$out/win-back.json"
echo "\$ patron campaign preview win-back    # who gets what, and why the others do not"
"$patron" --db "$db" campaign preview win-back
echo
fa_customer=$("$patron" --db "$db" --json campaign preview win-back --sample 1000 | python3 -c '
import json, sys
plan = json.load(sys.stdin)
print(next((r["customer_id"] for r in plan.get("sample", []) if r["group"] == "target" and r.get("language") == "fa"), ""))')
if [ -n "$fa_customer" ]; then
  echo "\$ patron campaign preview win-back --customer $fa_customer   # the message as this customer gets it"
  "$patron" --db "$db" campaign preview win-back --customer "$fa_customer" | head -8
  echo
fi
"$patron" --db "$db" campaign create --name "loyal calls" --channel call_list \
  --audience 'segment("loyal") and reachable(phone)' \
  --text 'Call {{name}}: thank them for {{last_order_total}} on {{last_order_date}}; offer 20% with code {{coupon}}.' > /dev/null
echo "\$ patron campaign send 'loyal calls' --out calls.csv   # a call list for the sales team"
"$patron" --db "$db" campaign send "loyal calls" --out "$out/calls.csv"
echo "  $(($(wc -l < "$out/calls.csv") - 1)) customers to call, with their CLV, churn risk and last order: $out/calls.csv"
echo

echo "== The server: Segment-compatible collection and the REST API (docs/api.md) =="
write_key=$("$patron" --db "$db" key create --role collector --name website | grep -o 'pat_[A-Za-z0-9_-]*' | head -1)
api_key=$("$patron" --db "$db" key create --role support --name demo-agent | grep -o 'pat_[A-Za-z0-9_-]*' | head -1)
"$patron" --db "$db" serve --listen 127.0.0.1:0 --access-log off > "$out/serve.out" 2> "$out/serve.err" &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q listening "$out/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$out/serve.out")
email=$("$patron" --db "$db" --json customer show 1 | python3 -c 'import json,sys; v=json.load(sys.stdin); print(next((c["value"] for c in v["contact_points"] if c["kind"]=="email" and c["status"]!="invalid"), ""))')
echo "\$ curl -u WRITE_KEY: $url/v1/batch -d '{\"batch\":[...two events...]}'"
curl -s -u "$write_key:" "$url/v1/batch" -H 'Content-Type: application/json' -d '{"batch":[
  {"type":"track","anonymousId":"demo-visitor-1","event":"Product Viewed","properties":{"sku":"P-100","category":"phones"}},
  {"type":"identify","anonymousId":"demo-visitor-1","userId":"demo-web-1","traits":{"email":"new.visitor@example.com","firstName":"Darya"}}]}'
echo
echo "\$ curl -H 'Authorization: Bearer API_KEY' '$url/api/v1/customers?email=$email'"
curl -s -H "Authorization: Bearer $api_key" "$url/api/v1/customers?email=$email"
echo
kill $serve_pid && wait $serve_pid 2>/dev/null || true
trap - EXIT
echo
echo "Try: patron --db $db segment preview --saved loyal"
echo

# The web application: a demo admin with a fresh password, then `patron serve`
# in the foreground (Ctrl-C stops it). DEMO_SERVE=no (the default when stdin is
# not a terminal) prints how to start it instead; DEMO_LISTEN picks the address.
listen=${DEMO_LISTEN:-127.0.0.1:8080}
demo_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')
printf '%s\n' "$demo_password" | "$patron" --db "$db" user add demo --role admin --password-stdin > /dev/null
# Identity resolution: one customer per person, the doubtful pairs in the
# review queue (the web application's Data page), scored against the
# generator's ground truth (docs/identity.md, Quality).
echo "== One customer per person (docs/identity.md) =="
echo "\$ patron identity resolve"
"$patron" --db "$db" identity resolve
"$patron" --db "$db" identity clusters --csv > "$out/clusters.csv"
echo "Against the generator's ground truth ($out/data/ground_truth.csv), pairs of records:"
python3 "$(dirname "$(realpath "$0")")/../bench/identity_score.py" "$out" --summary | sed 's/^/  /'
echo
echo "== The web application (docs/web.md) =="
echo "  address:  http://$listen/"
echo "  sign in:  demo / $demo_password   (role admin; more users: patron --db $db user add NAME --role ROLE)"
serve_default=no
[ -t 0 ] && serve_default=yes
if [ "${DEMO_SERVE:-$serve_default}" = "yes" ]; then
  echo "  patron serve is running; Ctrl-C stops it."
  exec "$patron" --db "$db" serve --listen "$listen"
fi
echo "  start it with: $patron --db $db serve --listen $listen"
