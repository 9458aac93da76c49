#!/usr/bin/env bash
# Report speed (BENCHMARKS.md, "Reports"): synthetic customers and events from
# gen_segment_data, then the time of `patron report kpis` for one year, of the
# weekly report (computing the data-quality figures, and reading the ones a
# nightly `report quality --record` left), and — as the baseline all include —
# of loading the engine snapshot (a segment count).
# usage: bench/report_bench.sh BUILD_DIR CUSTOMERS EVENTS   (BUILD_DIR: a Release build with PATRON_BUILD_BENCH=ON,
#        or any build holding patron and gen_segment_data)
set -euo pipefail
build=$1 customers=${2:-200000} events=${3:-4000000}
patron=$build/patron gen=${GEN_SEGMENT_DATA:-$build/gen_segment_data}
db=${REPORT_BENCH_DB:-/tmp/report_bench_${customers}.db}
if [ ! -f "$db" ]; then
  "$gen" "$db" "$customers" "$events" > /dev/null
fi
# Wall time, and CPU time (user+sys) in parentheses: on a shared machine the CPU
# time is the steadier figure.
t() {
  local f; f=$(mktemp)
  /usr/bin/time -f "%e %U %S" -o "$f" "$@" > /dev/null
  awk '{ printf "%.2f (cpu %.2f)", $1, $2 + $3 }' "$f"; rm -f "$f"
}
"$patron" --db "$db" segment count 'country = "SE"' > /dev/null   # builds and saves the snapshot once
echo "snapshot load + segment count: $(t "$patron" --db "$db" segment count 'country = "SE"') s"
echo "report kpis (one year):        $(t "$patron" --db "$db" report kpis --from 2025-11-01 --to 2026-10-31 --now 2026-11-01) s"
echo "report cohorts (12 months):    $(t "$patron" --db "$db" report cohorts --months 12 --to 2026-10-31) s"
echo "report weekly, quality computed: $(t "$patron" --db "$db" report weekly --now 2026-11-02 --out /tmp/report_bench.html --no-record --fresh-quality) s"
echo "report quality --record:        $(t "$patron" --db "$db" report quality --record --now 2026-11-01T22:00:00Z) s"
echo "report weekly, quality recorded: $(t "$patron" --db "$db" report weekly --now 2026-11-02 --out /tmp/report_bench.html --no-record) s"
