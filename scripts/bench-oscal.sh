#!/usr/bin/env bash
# Times whole-process wall clock and peak RSS of Assure's profile resolver next to compliance-trestle's on the
# NIST SP 800-53 rev5 (5.0.1) MODERATE profile, same files, same run.
#
#   scripts/bench-oscal.sh [RUNS]        (default 5 runs each; the median wall time and the largest RSS are shown)
#
# Environment: ASSURE_SHARED_DIR (the `shared` folder; default ../shared beside the repository),
# TRESTLE_VENV (default /work/venv-trestle; created with `pip install compliance-trestle` when absent),
# CARGO_TARGET_DIR (where the release binary is built).
set -euo pipefail

runs="${1:-5}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${ASSURE_SHARED_DIR:-$repo/../shared}"
data="$shared/data/nist-800-53-rev5-v5.0.1"
venv="${TRESTLE_VENV:-/work/venv-trestle}"
target="${CARGO_TARGET_DIR:-$repo/target}"

[ -f "$data/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json" ] || {
  echo "reference data missing: $data (see shared/data/SOURCES.md)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet compliance-trestle
fi

(cd "$repo" && cargo build --quiet --release -p assure-oscal --bin assure-oscal)
ours="$target/release/assure-oscal"

# The same files for both: the catalog, and the profile importing its JSON (trestle cannot read the XML href).
# Both run in that folder: trestle resolves relative hrefs against the working directory.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$data/NIST_SP-800-53_rev5_catalog.json" "$work/"
sed 's/NIST_SP-800-53_rev5_catalog\.xml/NIST_SP-800-53_rev5_catalog.json/' \
  "$data/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json" > "$work/profile.json"
mkdir -p "$work/.trestle"

# measure NAME COMMAND...: prints "wall_seconds max_rss_kb" for each run into $work/NAME.times
measure() {
  local name="$1"; shift
  : > "$work/$name.times"
  for _ in $(seq "$runs"); do
    /usr/bin/time -v "$@" 2> "$work/$name.err" > /dev/null || { cat "$work/$name.err" >&2; exit 1; }
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; w = s }
                /Maximum resident set size/ { r = $2 } END { print w, r }' "$work/$name.err" >> "$work/$name.times"
  done
}

measure assure env -C "$work" "$ours" resolve "$work/profile.json" -o "$work/assure.json"
measure trestle env -C "$work" "$venv/bin/python" "$repo/scripts/trestle-resolve.py" "$work" "$work/profile.json" "$work/trestle.json"

summary() { sort -n "$work/$1.times" | awk '{ w[NR] = $1; if ($2 > r) r = $2 } END { printf "%.3f %d\n", w[int((NR + 1) / 2)], r }'; }
read -r aw ar < <(summary assure)
read -r tw tr < <(summary trestle)

# Both must select the same controls.
python3 - "$work/assure.json" "$work/trestle.json" <<'PY'
import json, sys
def ids(path):
    out = []
    def walk(cs):
        for c in cs:
            out.append(c["id"]); walk(c.get("controls", []))
    cat = json.load(open(path))["catalog"]
    walk(cat.get("controls", []))
    for g in cat.get("groups", []):
        walk(g.get("controls", []))
    return out
a, t = ids(sys.argv[1]), ids(sys.argv[2])
assert sorted(a) == sorted(t), "assure and trestle selected different controls"
print(f"both resolved {len(a)} controls")
PY

echo "NIST SP 800-53 rev5 5.0.1 MODERATE, median of $runs runs, peak RSS = largest run"
printf "%-22s %10s %12s\n" "resolver" "wall (s)" "peak RSS (MB)"
printf "%-22s %10s %12.1f\n" "assure-oscal" "$aw" "$(echo "$ar / 1024" | bc -l)"
printf "%-22s %10s %12.1f\n" "compliance-trestle" "$tw" "$(echo "$tr / 1024" | bc -l)"
printf "speed-up: %.1fx wall, %.1fx less memory\n" "$(echo "$tw / $aw" | bc -l)" "$(echo "$tr / $ar" | bc -l)"
