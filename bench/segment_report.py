#!/usr/bin/env python3
"""Combines the segment benchmark's results (patron.json, pg.json, duckdb.json in
OUT_DIR) into a Markdown table with answers checked and speed ratios."""
import json
import math
import os
import sys

out = sys.argv[1]
patron = json.load(open(os.path.join(out, "patron.json")))
def load(name):
    p = os.path.join(out, name)
    return json.load(open(p)) if os.path.exists(p) else {"segments": {}}
pg, duck = load("pg.json"), load("duckdb.json")

print(f"{patron['customers']:,} customers, {patron['events']:,} events, {patron['orders']:,} orders, "
      f"{patron['order_lines']:,} order lines. Engine snapshot built from SQLite in "
      f"{patron['snapshot_build_ms'] / 1000:.1f} s"
      + (f", loaded from its file in {patron['snapshot_load_ms'] / 1000:.2f} s" if "snapshot_load_ms" in patron else "")
      + f"; engine memory {patron['engine_bytes'] / 2**20:.0f} MiB "
      f"({patron['event_bytes_per_event']:.1f} bytes per event); peak RSS {patron['peak_rss_mb']} MiB.")
print()
print("| segment | customers | Patron ms | SQLite ms | PostgreSQL ms | DuckDB ms | vs SQLite | vs PostgreSQL | vs DuckDB | same answer |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
ratios = {"sqlite": [], "pg": [], "duckdb": []}
timeouts = {"sqlite": [], "pg": [], "duckdb": []}
all_equal = True
def cell(d, key="ms"):
    if not d:
        return "–"
    if "error" in d:
        return "error"
    if d.get("timeout"):
        return "timeout"
    return f"{d[key]:,.1f}"
for s in patron["segments"]:
    name, count, ms = s["name"], s["count"], s["ms"]
    others = {
        "sqlite": ({"ms": s["sqlite_ms"], "count": s["sqlite_count"]} if "sqlite_ms" in s
                   else {"timeout": True} if "sqlite_timeout" in s else None),
        "pg": pg["segments"].get(name),
        "duckdb": duck["segments"].get(name),
    }
    same = True
    row_ratios = []
    for key, d in others.items():
        if d and "count" in d and not d.get("timeout"):
            same = same and d["count"] == count
            r = d["ms"] / max(ms, 0.01)
            ratios[key].append(r)
            row_ratios.append(f"{r:,.0f}×")
        else:
            row_ratios.append("–")
    all_equal = all_equal and same
    for key, d in others.items():
        if d and d.get("timeout"):
            timeouts[key].append(name)
    print(f"| {name} | {count:,} | {ms:.2f} | {cell(others['sqlite'])} | {cell(others['pg'])} | "
          f"{cell(others['duckdb'])} | {' | '.join(row_ratios)} | {'yes' if same else '**NO**'} |")
def geo(v):
    return math.exp(sum(math.log(x) for x in v) / len(v)) if v else float("nan")
print()
def mean_of(key, name, digits):
    v = ratios[key]
    return f"{name} not run" if not v else f"{geo(v):,.{digits}f}× over {name} ({len(v)} segments)"
print(f"Geometric mean speed-up of Patron's engine: {mean_of('sqlite', 'SQLite', 0)}, "
      f"{mean_of('pg', 'PostgreSQL', 0)}, {mean_of('duckdb', 'DuckDB', 1)}. "
      f"Answers {'all equal' if all_equal else 'DIFFER (see table)'}.")
for k, names in timeouts.items():
    if names:
        print(f"{k}: timed out (not in its mean, so the mean understates the speed-up): {', '.join(names)}.")
# Issue #4's budget: 20 ms per segment at 1M customers / 20M events, 250 ms at 10M / 200M.
budget = 20 if patron["customers"] <= 2_000_000 else 250
over = [s["name"] for s in patron["segments"] if s["ms"] > budget]
print(f"Segments over {budget} ms: {', '.join(over) if over else 'none'}; "
      f"slowest {max(s['ms'] for s in patron['segments']):.1f} ms.")
