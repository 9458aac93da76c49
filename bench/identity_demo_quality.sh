#!/usr/bin/env bash
# Scores `patron identity resolve` on generated demo data against the
# generator's ground truth, and says what the missed pairs share.
#
#   bench/identity_demo_quality.sh [PATRON] [PEOPLE] [SEED] [DIR]
#
# Defaults: build/release/patron, 2000 people, seed 42, /tmp/patron-identity-quality.
# Prints pairwise precision and recall over customer records (as the
# integration test IdentityTest.DemoDataResolvesAgainstGroundTruth does), the
# missed pairs by source pair and by what the two records share (email, phone,
# address, birth date; else the same names, other names, or a record without a
# name), and, among record pairs with exactly the same given and family name
# still in two clusters, how many are one person and how many two.
set -euo pipefail
patron=${1:-build/release/patron}
people=${2:-2000}
seed=${3:-42}
dir=${4:-/tmp/patron-identity-quality}
patron=$(realpath "$patron")
rm -rf "$dir"
mkdir -p "$dir"
"$patron" --json demo generate --customers "$people" --seed "$seed" --out "$dir/data" > "$dir/manifest.json"
python3 "$(dirname "$(realpath "$0")")/import_manifest.py" "$patron" "$dir/patron.db" "$dir/manifest.json"
"$patron" --db "$dir/patron.db" --json identity resolve > "$dir/resolve.json"
"$patron" --db "$dir/patron.db" identity clusters --csv > "$dir/clusters.csv"
python3 - "$dir" <<'PY'
import collections, csv, itertools, sqlite3, sys
d = sys.argv[1]
truth = {}
with open(d + "/data/ground_truth.csv") as f:
    for source, key, person in itertools.islice(csv.reader(f), 1, None):
        truth[(source, key)] = person
record = {}  # customer id -> (person, resolved id, source)
with open(d + "/clusters.csv") as f:
    for source, key, customer, resolved in itertools.islice(csv.reader(f), 1, None):
        if (source, key) in truth:
            record[int(customer)] = (truth[(source, key)], resolved, source)

def pairs(counter):
    return sum(n * (n - 1) // 2 for n in counter.values())
predicted = collections.Counter(r[1] for r in record.values())
people = collections.Counter(r[0] for r in record.values())
both = collections.Counter((r[1], r[0]) for r in record.values())
correct = pairs(both)
print(f"records {len(record)}  true pairs {pairs(people)}  "
      f"precision {correct / max(1, pairs(predicted)):.4f}  recall {correct / max(1, pairs(people)):.4f}")

db = sqlite3.connect(d + "/patron.db")
info = {}
for cid, given, family, birth in db.execute("SELECT id, given_name, family_name, birth_date FROM customers"):
    info[cid] = {"given": given, "family": family, "birth": birth, "email": set(), "phone": set(), "address": set()}
for cid, kind, value in db.execute("SELECT customer_id, kind, value FROM contact_points"):
    if cid in info:
        info[cid][kind].add(value)
by_person = collections.defaultdict(list)
for cid, (person, _, _) in record.items():
    by_person[person].append(cid)
missed = collections.Counter()
for cids in by_person.values():
    for a, b in itertools.combinations(cids, 2):
        if record[a][1] == record[b][1]:
            continue
        x, y = info[a], info[b]
        shared = [k for k in ("email", "phone", "address") if x[k] & y[k]]
        if x["birth"] and x["birth"] == y["birth"]:
            shared.append("birth date")
        named = (x["given"] or x["family"]) and (y["given"] or y["family"])
        if shared:
            what = "+".join(shared)
        elif not named:
            what = "a record without a name"
        elif x["given"] and x["family"] and (x["given"], x["family"]) == (y["given"], y["family"]):
            what = "the same names only"
        else:
            what = "other names only"
        missed[(" & ".join(sorted((record[a][2], record[b][2]))), what)] += 1
print(f"missed pairs: {sum(missed.values())}")
by_what = collections.Counter()
for (sources, what), n in missed.items():
    by_what[what] += n
for what, n in by_what.most_common():
    print(f"  {n:6d}  {what}")
for (sources, what), n in missed.most_common(12):
    print(f"  {n:6d}  {sources}: {what}")

namesakes = collections.defaultdict(list)
for cid, (person, resolved, _) in record.items():
    x = info[cid]
    if x["given"] and x["family"]:
        namesakes[(x["given"].lower(), x["family"].lower())].append(cid)
apart = collections.Counter()
for cids in namesakes.values():
    for a, b in itertools.combinations(cids, 2):
        if record[a][1] != record[b][1]:
            apart["one person" if record[a][0] == record[b][0] else "two people"] += 1
print("exact same given and family name, in two clusters: "
      f"{apart['one person']} one person, {apart['two people']} two people")
PY
