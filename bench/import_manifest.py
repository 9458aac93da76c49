#!/usr/bin/env python3
"""Imports the files of a `patron demo generate --json` manifest into a store.

    bench/import_manifest.py PATRON DB MANIFEST [--skip KIND ...] [--file SOURCE=PATH ...]

Each file is imported as the manifest says (kind, source, source kind,
vendor, cost, default country, and --as-of for an earlier export). --skip
leaves out files of a kind (events, products); --file imports another file in
place of a source's (a list with rows held back). Used by the identity
benchmarks.
"""
import argparse
import json
import subprocess

parser = argparse.ArgumentParser()
parser.add_argument("patron")
parser.add_argument("db")
parser.add_argument("manifest")
parser.add_argument("--skip", action="append", default=[])
parser.add_argument("--file", action="append", default=[])
args = parser.parse_args()
replaced = dict(item.split("=", 1) for item in args.file)
with open(args.manifest) as f:
    files = json.load(f)["files"]
for f in files:
    if f["kind"] in args.skip:
        continue
    command = [args.patron, "--db", args.db, "--json", "import", f["kind"],
               replaced.get(f["source"], f["path"]), "--source", f["source"],
               "--source-kind", f["source_kind"]]
    for flag, key in (("--source-vendor", "vendor"), ("--source-cost", "cost"),
                      ("--default-country", "default_country"), ("--as-of", "as_of")):
        if f.get(key):
            command += [flag, f[key]]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
