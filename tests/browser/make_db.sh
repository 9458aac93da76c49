#!/usr/bin/env bash
# A small demo database for the browser tests: generated demo data imported
# through the real CLI, scored by the models, and an admin and a support user.
# usage: make_db.sh PATRON OUT_DIR CUSTOMERS
set -euo pipefail
patron=$1 out=$2 customers=$3
rm -rf "$out"
mkdir -p "$out"
db="$out/patron.db"
"$patron" --json demo generate --customers "$customers" --seed 7 --out "$out/data" > "$out/manifest.json"
python3 - "$out/manifest.json" > "$out/imports.txt" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1]))["files"]:
    # "|"-separated: `read` would merge empty tab-separated fields.
    print("|".join([f["kind"], f["path"], f["source"], f["source_kind"], f["default_country"], f["as_of"]]))
PY
while IFS='|' read -r kind path source source_kind country as_of; do
  args=(--db "$db" import "$kind" "$path" --source "$source" --source-kind "$source_kind")
  [ -n "$country" ] && args+=(--default-country "$country")
  [ -n "$as_of" ] && args+=(--as-of "$as_of")
  "$patron" "${args[@]}" > /dev/null
done < "$out/imports.txt"
"$patron" --db "$db" identity resolve > /dev/null  # doubtful pairs for the review queue
"$patron" --db "$db" model score --as-of 2026-11-01 > /dev/null
"$patron" --db "$db" segment save "loyal" 'count(order, within 365 days) >= 3' --description "Three or more orders this year" > /dev/null
printf 'browser test password\n' | "$patron" --db "$db" user add admin --role admin --password-stdin > /dev/null
printf 'browser test password\n' | "$patron" --db "$db" user add analyst --role analyst --password-stdin > /dev/null
