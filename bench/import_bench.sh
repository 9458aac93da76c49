#!/usr/bin/env bash
# Import benchmark (`make bench`): validated customer import and order-line import
# at growing sizes, with rows/s and peak memory, beside `sqlite3 .import` of the
# same CSV without validation. Prints a Markdown table (also written to
# $BENCH_OUT/import.md) for BENCHMARKS.md.
#   bench/import_bench.sh BUILD_DIR/patron        (sizes: BENCH_SIZES="1000000 10000000")
set -euo pipefail
patron=$(realpath "${1:?path to the patron binary}")
bin_dir=$(dirname "$patron")
out=${BENCH_OUT:-bench/out}
sizes=${BENCH_SIZES:-"1000000 10000000"}
mkdir -p "$out"

now() { date +%s.%N; }
table="$out/import.md"
{
  echo "| work | rows | Patron rows/s | Patron peak RSS | sqlite3 .import rows/s | Patron time / sqlite3 time |"
  echo "|---|---:|---:|---:|---:|---:|"
} > "$table"

for n in $sizes; do
  customers="$out/customers_$n.csv"
  orders="$out/orders_$n.csv"
  [ -f "$customers" ] || "$bin_dir/gen_import_data" customers "$n" "$customers"
  [ -f "$orders" ] || "$bin_dir/gen_import_data" orders "$n" "$orders"
  events="$out/events_$n.jsonl"
  [ -f "$events" ] || "$bin_dir/gen_import_data" events "$n" "$events"
  db="$out/bench_$n.db"
  for kind in customers orders events; do
    file="$out/${kind}_$n.csv"
    [ "$kind" = events ] && file="$events"
    [ "$kind" = customers ] && rm -f "$db" "$db-wal" "$db-shm"
    "$patron" --db "$db" --json import "$kind" "$file" --source bench --default-country SE \
      --rejects "$out/rejects.csv" --report "$out/report_${kind}_$n.json" > /dev/null
    raw="$out/raw_$n.db"
    rm -f "$raw"
    t0=$(now)
    if [ "$kind" = events ]; then
      # JSON Lines: one TEXT column per line, as .import reads it with no separator.
      sqlite3 "$raw" "CREATE TABLE rows(line TEXT)" ".mode ascii" ".separator \"$(printf '\x1f')\" \"\\n\"" \
        ".import $file rows"
    else
      sqlite3 "$raw" ".mode csv" ".import $file rows"
    fi
    t1=$(now)
    rm -f "$raw"
    python3 - "$out/report_${kind}_$n.json" "$kind" "$n" "$t0" "$t1" >> "$table" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
kind, n, t0, t1 = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
sq = t1 - t0
label = {"customers": "customers, validated", "orders": "order lines", "events": "events (JSONL)"}[kind]
print(f"| {label} | {n:,} | {r['records_per_second']:,.0f} | {r['peak_rss_bytes'] / 2**20:,.0f} MiB | "
      f"{n / sq:,.0f} | {r['seconds'] / sq:.2f}× |")
PY
  done
  rm -f "$db" "$db-wal" "$db-shm"
done
cat "$table"
