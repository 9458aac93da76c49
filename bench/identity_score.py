#!/usr/bin/env python3
"""Scores identity resolution against a generated demo's ground truth.

    bench/identity_score.py DIR [--summary]

DIR holds data/ground_truth.csv (from `patron demo generate`), clusters.csv
(from `patron identity clusters --csv`) and patron.db. Prints pairwise
precision and recall over customer records (as the integration test
IdentityTest.DemoDataResolvesAgainstGroundTruth counts them), recall on the
pairs with evidence, and the review queue's worth; without --summary also the
missed pairs by source pair and by what the two records share, namesakes in
two clusters, and an upper bound on recall for any method that cannot see the
ground truth. Used by bench/identity_demo_quality.sh and scripts/demo.sh.
"""
import collections, csv, itertools, sqlite3, sys
d = sys.argv[1]
detail = "--summary" not in sys.argv[2:]
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
by_what = collections.Counter()
for (sources, what), n in missed.items():
    by_what[what] += n
if detail:
    print(f"missed pairs: {sum(missed.values())}")
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
if detail:
    print("exact same given and family name, in two clusters: "
          f"{apart['one person']} one person, {apart['two people']} two people")
# What a method sees of a name's rarity: the clusters carrying it. Names
# carried by exactly two clusters, and how often those two are one person.
clusters_of_name = collections.defaultdict(set)
people_of_cluster = collections.defaultdict(set)
for cid, (person, resolved, _) in record.items():
    people_of_cluster[resolved].add(person)
    x = info[cid]
    if x["given"] and x["family"]:
        clusters_of_name[tuple(sorted((x["given"].lower(), x["family"].lower())))].add(resolved)
two = [tuple(c) for c in clusters_of_name.values() if len(c) == 2]
if detail:
    print(f"names carried by exactly two clusters: {len(two)}, one person in "
          f"{sum(1 for a, b in two if people_of_cluster[a] & people_of_cluster[b])}")

# What the data allows. Evidence: the values two records share (valid emails
# and phones, streets, birth dates; devices for the bound below).
evidence = collections.defaultdict(set)
for cid, kind, value, street in db.execute(
        "SELECT customer_id, kind, value, street FROM contact_points WHERE status != 'invalid'"):
    if kind != "address":
        evidence[cid].add((kind, value))
    elif street:
        evidence[cid].add(("street", street.lower()))
for cid, birth in db.execute("SELECT id, birth_date FROM customers WHERE birth_date IS NOT NULL"):
    evidence[cid].add(("birth", birth))
devices = collections.defaultdict(set)
for cid, device in db.execute("SELECT customer_id, device_id FROM customer_devices"):
    devices[cid].add(device)

def groups_of(cids, joined):
    parent = {c: c for c in cids}
    def find(c):
        while parent[c] != c:
            c = parent[c]
        return c
    for a, b in itertools.combinations(cids, 2):
        if joined(a, b):
            parent[find(a)] = find(b)
    return find

# 1. Pairs with evidence, as the integration test counts them: two records of
#    one person connected, through that person's records, by a shared value.
# 2. An upper bound for any method that cannot see the ground truth: also
#    shared devices, and names no other person's record carries (exact
#    strings; a lone given or family name must be carried by no other person,
#    in full names either).
#    Optimistic: namesakes written in another script do not count against it.
people_with = collections.defaultdict(set)
for cid, (person, _, _) in record.items():
    x = info[cid]
    given, family = (x["given"] or "").strip().lower(), (x["family"] or "").strip().lower()
    if given and family:
        people_with[(given, family)].add(person)
        people_with[(family, given)].add(person)
    for part in (given, family):
        if part:
            people_with[part].add(person)
def name_unique_to_person(cid):
    x = info[cid]
    given, family = (x["given"] or "").strip().lower(), (x["family"] or "").strip().lower()
    if given and family:
        return len(people_with[(given, family)]) == 1
    return bool(given or family) and len(people_with[given or family]) == 1
with_evidence = found_with_evidence = bound = 0
for cids in by_person.values():
    in_evidence = groups_of(cids, lambda a, b: bool(evidence[a] & evidence[b]))
    in_bound = groups_of(cids, lambda a, b: bool(evidence[a] & evidence[b] or devices[a] & devices[b] or
                                                  (name_unique_to_person(a) and name_unique_to_person(b))))
    for a, b in itertools.combinations(cids, 2):
        if in_evidence(a) == in_evidence(b):
            with_evidence += 1
            found_with_evidence += record[a][1] == record[b][1]
        bound += in_bound(a) == in_bound(b)
true_pairs = pairs(people)
print(f"pairs with evidence (a shared email, phone, street or birth date): {with_evidence} "
      f"({with_evidence / true_pairs:.0%}), recall on them {found_with_evidence / max(1, with_evidence):.4f}")

# 3. The review queue: precision and recall if a reviewer accepted every
#    pending pair (clusters joined through them).
reviews = list(db.execute(
    "SELECT left_id, right_id FROM identity_review_queue WHERE status = 'pending'"))
resolved_of = {}
with open(d + "/clusters.csv") as f:
    for _, _, customer, resolved in itertools.islice(csv.reader(f), 1, None):
        resolved_of[int(customer)] = resolved
joined = {}
def top(c):
    while joined.get(c, c) != c:
        c = joined[c]
    return c
true_reviews = 0
for a, b in reviews:
    true_reviews += a in record and b in record and record[a][0] == record[b][0]
    ra, rb = top(resolved_of[a]), top(resolved_of[b])
    if ra != rb:
        joined[ra] = rb
after = collections.Counter(top(r[1]) for r in record.values())
after_both = collections.Counter((top(r[1]), r[0]) for r in record.values())
print(f"review queue: {len(reviews)} pairs, {true_reviews} of them one person; accepting all: "
      f"precision {pairs(after_both) / max(1, pairs(after)):.4f}  "
      f"recall {pairs(after_both) / max(1, true_pairs):.4f}")
if detail:
    print(f"upper bound on recall for any method (evidence, devices, names unique to a person): "
          f"{bound / max(1, true_pairs):.4f}")