#!/usr/bin/env python3
"""How well the review queue's probabilities match the ground truth, before
and after a reviewer's decisions recalibrate them.

    bench/identity_review_calibration.py PATRON DIR [--shuffle SEED] [K ...]

DIR is a directory bench/identity_demo_quality.sh left (data/ground_truth.csv,
clusters.csv, patron.db). For each K (default 10 20 40 80) a copy of the
database is made; a simulated reviewer decides the first K pending pairs in
the queue's order (highest probability first, as the web application lists
them) by the ground truth, through `patron identity review --accept/--reject`;
then the pairs still pending are scored: the Brier score and mean probability
of the model's probability and of the recalibrated one, against the share of
them that are one person. With --shuffle the reviewer takes the pairs in a
random order (seeded) instead. The original database is not changed.
"""
import csv, itertools, json, os, random, shutil, subprocess, sys, tempfile

patron, d = sys.argv[1], sys.argv[2]
rest_args = sys.argv[3:]
shuffle = None
if rest_args[:1] == ["--shuffle"]:
    shuffle, rest_args = int(rest_args[1]), rest_args[2:]
ks = [int(k) for k in rest_args] or [10, 20, 40, 80]
truth = {}
with open(d + "/data/ground_truth.csv") as f:
    for source, key, person in itertools.islice(csv.reader(f), 1, None):
        truth[(source, key)] = person
person = {}
with open(d + "/clusters.csv") as f:
    for source, key, customer, _ in itertools.islice(csv.reader(f), 1, None):
        if (source, key) in truth:
            person[int(customer)] = truth[(source, key)]


def same(item):
    a, b = person.get(item["left"]), person.get(item["right"])
    return a is not None and a == b


def pending(db):
    out = subprocess.run([patron, "--db", db, "--json", "identity", "review", "--limit", "1000000"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def score(items, key):
    n = len(items)
    brier = sum((i[key] - same(i)) ** 2 for i in items) / n
    return brier, sum(i[key] for i in items) / n


with tempfile.TemporaryDirectory() as tmp:
    first = pending(d + "/patron.db")
    if shuffle is not None:
        random.Random(shuffle).shuffle(first)
    print(f"review queue: {len(first)} pairs, {sum(map(same, first))} of them one person")
    print(f"{'decided':>8} {'left':>5} {'one person':>10} {'model: brier':>13} {'mean':>5} "
          f"{'learned: brier':>15} {'mean':>5}")
    for k in ks:
        if k >= len(first):
            break
        db = os.path.join(tmp, f"k{k}.db")
        shutil.copyfile(d + "/patron.db", db)
        decide = first[:k]
        accept = [str(i["id"]) for i in decide if same(i)]
        reject = [str(i["id"]) for i in decide if not same(i)]
        args = [patron, "--db", db, "--json", "identity", "review"]
        if accept:
            args += ["--accept"] + accept
        if reject:
            args += ["--reject"] + reject
        subprocess.run(args, check=True, capture_output=True)
        rest = pending(db)
        model_brier, model_mean = score(rest, "probability")
        learned_brier, learned_mean = score(rest, "calibrated_probability")
        share = sum(map(same, rest)) / len(rest)
        print(f"{k:8d} {len(rest):5d} {share:10.2f} {model_brier:13.3f} {model_mean:5.2f} "
              f"{learned_brier:15.3f} {learned_mean:5.2f}")
