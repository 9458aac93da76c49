#!/usr/bin/env bash
# Scores `patron identity resolve` on generated demo data against the
# generator's ground truth, and says what the missed pairs share.
#
#   bench/identity_demo_quality.sh [PATRON] [PEOPLE] [SEED] [DIR]
#
# Defaults: build/release/patron, 2000 people, seed 42, /tmp/patron-identity-quality.
# Prints, through bench/identity_score.py, pairwise precision and recall over
# customer records (as the integration test
# IdentityTest.DemoDataResolvesAgainstGroundTruth does), the
# missed pairs by source pair and by what the two records share (email, phone,
# address, birth date; else the same names, other names, or a record without a
# name), and, among record pairs with exactly the same given and family name
# still in two clusters, how many are one person and how many two. Then what
# the data allows: recall on the pairs with evidence (as the integration test
# counts them), precision and recall if a reviewer accepted every pending
# review pair, and an upper bound on recall for any method that cannot see
# the ground truth.
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
python3 "$(dirname "$(realpath "$0")")/identity_score.py" "$dir"
