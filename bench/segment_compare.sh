#!/usr/bin/env bash
# Side-by-side segment benchmark (`make bench-segments`): the same realistic
# segments (bench/segments.txt) over the same generated data, answered by
# Patron's engine, by SQLite and PostgreSQL 15 running the emitted SQL (with
# indexes), and by DuckDB through its npm package; answers compared, times and
# ratios written to OUT/segments.md for BENCHMARKS.md.
#   bench/segment_compare.sh BUILD_DIR [CUSTOMERS] [EVENTS]
# Environment: BENCH_OUT (default bench/out), SKIP_PG=1, SKIP_DUCKDB=1, SKIP_SQLITE=1,
# PG_TIMEOUT_S (default 600), SQLITE_TIMEOUT_S (default 600), DUCKDB_PATH (a DuckDB
# database file instead of memory; needed at 10M / 200M).
# For 10M / 200M on a small disk (the store is ~35 GB): CSV_ZSTD=1 writes the
# export compressed (PostgreSQL and DuckDB read it as it is), and SKIP_ENGINE=1
# reuses OUT's patron.json and sql/ without opening the store, so the store can
# be deleted once the engine/SQLite run and the export are done:
#   SKIP_PG=1 SKIP_DUCKDB=1 bench/segment_compare.sh build/bench 10000000 200000000
#   EXPORT=1 CSV_ZSTD=1 SKIP_ENGINE=1 SKIP_PG=1 SKIP_DUCKDB=1 bench/segment_compare.sh ...  # export only
#   rm OUT/patron.db; CSV_ZSTD=1 SKIP_ENGINE=1 bench/segment_compare.sh ...
set -euo pipefail
build=$(realpath "${1:?build directory with gen_segment_data and segment_compare}")
customers=${2:-1000000}
events=${3:-20000000}
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${BENCH_OUT:-bench/out}/segments_${customers}_${events}")
mkdir -p "$out/csv"
db="$out/patron.db"

csv_ext=csv
[ -n "${CSV_ZSTD:-}" ] && csv_ext=csv.zst

if [ -z "${SKIP_ENGINE:-}" ]; then
  if [ ! -f "$db" ]; then
    echo "== generating $customers customers and $events events into $db"
    "$build/gen_segment_data" "$db.tmp" "$customers" "$events"
    mv "$db.tmp" "$db"
  fi
  echo "== Patron engine$([ -z "${SKIP_SQLITE:-}" ] && echo " and SQLite")"
  sqlite_flag=(--sqlite --sqlite-timeout "${SQLITE_TIMEOUT_S:-600}")
  [ -n "${SKIP_SQLITE:-}" ] && sqlite_flag=()
  "$build/segment_compare" "$db" "$here/segments.txt" "$out" "${sqlite_flag[@]}"
elif [ ! -s "$out/patron.json" ]; then
  echo "SKIP_ENGINE needs an earlier run's $out/patron.json" >&2
  exit 1
fi

export_csv() {
  local table=$1 columns=$2 file="$out/csv/$1.$csv_ext"
  [ -f "$file" ] && return  # written through .tmp, so present means complete
  [ -f "$db" ] || { echo "no $file and no $db to export it from" >&2; exit 1; }
  if [ -n "${CSV_ZSTD:-}" ]; then
    sqlite3 -csv "$db" "SELECT $columns FROM $table" | zstd -q -T2 -3 > "$file.tmp"
    # An empty table stays an empty file (both readers skip it) rather than an empty frame.
    [ -n "$(zstd -dc "$file.tmp" | head -c1)" ] || : > "$file.tmp"
  else
    sqlite3 -csv "$db" "SELECT $columns FROM $table" > "$file.tmp"
  fi
  mv "$file.tmp" "$file"
}
if [ -z "${SKIP_PG:-}" ] || [ -z "${SKIP_DUCKDB:-}" ] || [ -n "${EXPORT:-}" ]; then
  echo "== exporting CSV for PostgreSQL and DuckDB"
  export_csv sources "id, name"
  export_csv customers "id, given_name, family_name, full_name, salutation, gender, birth_date, marital_status, education, income_band, household_size, language, time_zone, city, region, country, acquisition_channel, lifecycle_stage, source_id, created_at, updated_at"
  export_csv customer_tags "customer_id, tag"
  export_csv customer_attributes "customer_id, name, value"
  export_csv accounts "id, name, domain, industry_code, employees, revenue_minor, currency, tier, contract_status, city, country"
  export_csv account_members "account_id, customer_id"
  export_csv contact_points "customer_id, kind, phone_type, status, last_seen_at, last_verified_at"
  export_csv consents "id, customer_id, channel, purpose, status, recorded_at"
  export_csv categories "id, slug, name, parent_id"
  export_csv products "id, sku, name, category_id, brand"
  export_csv orders "id, customer_id, ordered_at, status, channel, currency, total_minor"
  export_csv order_lines "order_id, line_no, product_id, quantity, unit_price_minor, discount_minor"
  export_csv events "id, customer_id, type, occurred_at, properties"
fi

if [ -z "${SKIP_PG:-}" ]; then
  echo "== PostgreSQL 15"
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgdir=$(mktemp -d /tmp/patron-pg.XXXXXX)
  chmod 755 "$pgdir"
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$pgdir"; as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" --auth=trust -U postgres > "$pgdir/initdb.log"
  port=$((54000 + RANDOM % 1000))
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w start \
    -o "-p $port -k $pgdir -c listen_addresses='' -c shared_buffers=2GB -c work_mem=256MB -c max_parallel_workers_per_gather=2 -c jit=off" > /dev/null
  trap '"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop > /dev/null; rm -rf "$pgdir"' EXIT
  psql=(psql -h "$pgdir" -p "$port" -U postgres -v ON_ERROR_STOP=1 -q -X)
  "${psql[@]}" -f "$here/compare_schema.sql"
  for f in "$out"/csv/*."$csv_ext"; do
    t=$(basename "$f" ."$csv_ext")
    [ -s "$f" ] || continue
    if [ -n "${CSV_ZSTD:-}" ]; then
      "${psql[@]}" -c "\\copy $t FROM PROGRAM 'zstd -dc $f' CSV"
    else
      "${psql[@]}" -c "\\copy $t FROM '$f' CSV"
    fi
  done
  "${psql[@]}" -f "$here/compare_indexes.sql"
  python3 - "$out" "${PG_TIMEOUT_S:-600}" "${psql[@]}" <<'PY'
import json, os, re, subprocess, sys
out, timeout, psql = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
results = {"segments": {}}
for f in sorted(os.listdir(os.path.join(out, "sql"))):
    if not f.endswith(".pg.sql"):
        continue
    name = f[:-len(".pg.sql")]
    sql = open(os.path.join(out, "sql", f)).read().strip().rstrip(";")
    script = f"SET statement_timeout = '{timeout}s';\n\\timing on\n" + \
             f"SELECT count(*) FROM ({sql}) q;\n" * 2
    p = subprocess.run(psql + ["-A", "-t"], input=script, capture_output=True, text=True)
    times = [float(t) for t in re.findall(r"Time: ([0-9.]+) ms", p.stdout)]
    counts = [int(l) for l in p.stdout.splitlines() if l.strip().isdigit()]
    if p.returncode != 0 or len(times) < 2:
        timed_out = "statement timeout" in p.stderr
        results["segments"][name] = {"timeout": True} if timed_out else {"error": p.stderr.strip()[:300]}
    else:
        results["segments"][name] = {"count": counts[-1], "ms": times[-1]}
    print(f"pg {name:22} {results['segments'][name]}", file=sys.stderr)
json.dump(results, open(os.path.join(out, "pg.json"), "w"), indent=2)
PY
fi

if [ -z "${SKIP_DUCKDB:-}" ]; then
  echo "== DuckDB (npm @duckdb/node-api)"
  if [ ! -d "$here/node_modules/@duckdb/node-api" ]; then
    (cd "$here" && npm install --no-audit --no-fund --silent)
  fi
  node "$here/duckdb_segments.mjs" "$out" "$csv_ext"
fi

python3 "$here/segment_report.py" "$out" | tee "$out/segments.md"
