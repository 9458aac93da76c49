#!/usr/bin/env bash
# Builds the 1M-record identity benchmark store and times the full and the
# incremental resolution (BENCHMARKS.md, "Identity resolution").
#
#   bench/identity_1m.sh [PATRON] [DIR] [RUNS]
#
# Defaults: build/release/patron, /tmp/patron-identity-1m, 3 incremental runs.
# `patron demo generate --customers 760000 --seed 42`; accounts, CRM customers,
# the newsletter less its last 10 000 rows, the purchased list and the shop's
# orders imported (events left out): about 1 025 000 customer records. Then a
# full `identity resolve` (timed), the 10 000 held-back rows imported, and
# RUNS incremental runs, each on a fresh copy of that state. The copy is
# synced before each run: otherwise the run's commit also writes the copy out
# of the page cache and takes up to ten times as long.
set -euo pipefail
bench=$(dirname "$(realpath "$0")")
patron=$(realpath "${1:-build/release/patron}")
dir=${2:-/tmp/patron-identity-1m}
runs=${3:-3}
mkdir -p "$dir"
cd "$dir"
rm -f id1m.db* start.db* run.db*
"$patron" --json demo generate --customers 760000 --seed 42 --out gen > manifest.json
total=$(wc -l < gen/newsletter.csv)
head -n $((total - 10000)) gen/newsletter.csv > newsletter_base.csv
{ head -n 1 gen/newsletter.csv; tail -n 10000 gen/newsletter.csv; } > newsletter_new10k.csv
python3 "$bench/import_manifest.py" "$patron" id1m.db manifest.json --skip events --skip products \
  --file newsletter=newsletter_base.csv
sync
/usr/bin/time -f "full: %e s wall, peak %M KB" "$patron" --db id1m.db --json identity resolve > full.json
python3 -c "import json; d = json.load(open('full.json')); print('full: %d records, %d customers, %.1f s by the resolver' % (d['records'], d['customers'], d['seconds']))"
"$patron" --db id1m.db --json import customers newsletter_new10k.csv --source newsletter \
  --source-kind internal --default-country IR > /dev/null
cp id1m.db start.db
for i in $(seq "$runs"); do
  cp start.db run.db
  rm -f run.db-wal run.db-shm
  sync
  /usr/bin/time -f "incremental: %e s wall, peak %M KB" \
    "$patron" --db run.db --json identity resolve --incremental > incremental.json
  python3 -c "import json; d = json.load(open('incremental.json')); print('incremental: %d new, %d customers, %.2f s by the resolver' % (d['new_records'], d['customers'], d['seconds']))"
done
