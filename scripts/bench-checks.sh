#!/usr/bin/env bash
# Benchmark the control-test engine against the typed-Rust floor, regorus and Checkov, in one run.
#
#   scripts/bench-checks.sh            # 1,000,000 resources (seed 42) and a 30,000-resource Terraform plan
#   N=100000 TF_N=3000 scripts/bench-checks.sh
#
# Env: ASSURE_BENCH_DIR (default ../shared/bench beside the repo), ASSURE_BENCH_SCRATCH (inputs, peer
# builds and the Checkov virtualenv; default ${TMPDIR:-/tmp}/assure-bench, outside the repo),
# CARGO_TARGET_DIR, SKIP_CHECKOV=1, SKIP_PERTURBED=1.
# Exits non-zero when any count differs from pycheck.py / CHECKS.md or the Checkov failing sets differ.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${ASSURE_BENCH_DIR:-$REPO/../shared/bench}
SCRATCH=${ASSURE_BENCH_SCRATCH:-${TMPDIR:-/tmp}/assure-bench}
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
N=${N:-1000000}
TF_N=${TF_N:-30000}
mkdir -p "$SCRATCH"
[ -f "$BENCH/gen.py" ] || { echo "no benchmark harness at $BENCH (set ASSURE_BENCH_DIR)" >&2; exit 2; }

step() { printf '\n== %s\n' "$*"; }
# timed LABEL CMD...: runs CMD, keeps its stdout in $SCRATCH/LABEL.out, records wall seconds and peak KB.
timed() {
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$SCRATCH/$label.time" "$@" > "$SCRATCH/$label.out"
  # /usr/bin/time puts "Command exited with non-zero status N" first when the command fails (Checkov
  # exits 1 when a check fails); the figures are on the last line.
  read -r wall kb < <(tail -n 1 "$SCRATCH/$label.time")
  eval "WALL_${label}=$wall; RSS_${label}=$kb"
  printf '  %-16s %8.2f s %8.0f MB\n' "$label" "$wall" "$(echo "$kb / 1024" | bc -l)"
}
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
results_of() { grep -h "results" "$SCRATCH/$1.out" | sed 's/.*results[^:]*: //' | tr -d '\r'; }

step "inputs ($N resources, seed 42; Terraform plan of $TF_N resources)"
SNAP=$SCRATCH/snap$N.json
[ -s "$SNAP" ] || python3 "$BENCH/gen.py" "$N" "$SNAP"
PLAN=$SCRATCH/plan$TF_N.json
[ -s "$PLAN" ] || python3 "$REPO/scripts/gen-tfplan.py" "$TF_N" "$PLAN"
ls -lL "$SNAP" "$PLAN" | awk '{printf "  %s %.1f MB\n", $NF, $5/1e6}'

step "builds (release)"
(cd "$REPO" && CARGO_TARGET_DIR=$TARGET cargo build --release -q -p assure-checks --bin assure-checks-bench)
ASSURE=$TARGET/release/assure-checks-bench
if [ ! -d "$SCRATCH/engines" ]; then cp -r "$BENCH/engines" "$SCRATCH/engines"; chmod -R u+w "$SCRATCH/engines"; fi
(cd "$SCRATCH/engines" && CARGO_TARGET_DIR=$SCRATCH/engines-target cargo build --release -q 2> "$SCRATCH/engines-build.log") \
  || { cat "$SCRATCH/engines-build.log" >&2; exit 2; }
PEER=$SCRATCH/engines-target/release/ce-bench

step "7 reference checks on $SNAP (same run, same file)"
timed floor "$PEER" typed "$SNAP"
timed regorus "$PEER" regorus "$SNAP"
timed assure "$ASSURE" "$SNAP"
timed assure_all "$ASSURE" --all "$SNAP"
grep -h "assure:" "$SCRATCH/assure.out" "$SCRATCH/assure_all.out" | sed 's/^ */  /'

step "counts"
EXPECTED_1M="mfa_privileged=42197/8437 bucket_encrypted=200000/29874 no_ssh_world=200000/38243 kms_rotated_365d=200000/127369 access_key_age_365d=200000/81676 bucket_logging=200000/49818 vm_segmentation=200000/13182"
if python3 -c 'import orjson' 2>/dev/null; then
  python3 "$BENCH/pycheck.py" "$SNAP" > "$SCRATCH/pycheck.out"; EXPECTED=$(results_of pycheck)
elif [ "$N" = 1000000 ]; then EXPECTED=$EXPECTED_1M
else echo "  python3 with orjson is needed for N=$N" >&2; exit 2; fi
FAIL=0
check_counts() { # LABEL GOT WANT
  if [ "$2" = "$3" ]; then echo "  $1: counts equal pycheck.py"; else echo "  $1: COUNTS DIFFER"; echo "    got  $2"; echo "    want $3"; FAIL=1; fi
}
[ "$N" != 1000000 ] || check_counts "CHECKS.md (1M)" "$EXPECTED" "$EXPECTED_1M"
check_counts "assure (7 checks)" "$(results_of assure)" "$EXPECTED"
check_counts "assure (all checks)" "$(results_of assure_all)" "$EXPECTED"
FLOOR_COUNTS=$(results_of floor | sed 's/(applicable\/failed): //')
check_counts "typed floor" "$FLOOR_COUNTS" "$EXPECTED"

if python3 -c 'import orjson' 2>/dev/null; then
  for age in 8640000 50000000; do
    "$ASSURE" "$SNAP" --set "cry.kms-rotated.max_age=$age" --set "iam.access-key-age.max_age=${age}s" > "$SCRATCH/age.out"
    python3 "$BENCH/pycheck.py" "$SNAP" "$age" > "$SCRATCH/pyage.out"
    check_counts "max age ${age}s (--set)" "$(results_of age)" "$(results_of pyage)"
  done
  if [ -z "${SKIP_PERTURBED:-}" ]; then
    PERT=$SCRATCH/perturbed$N.json
    [ -s "$PERT" ] || python3 "$REPO/scripts/perturb-snapshot.py" "$SNAP" "$PERT"
    "$ASSURE" "$PERT" > "$SCRATCH/pert.out"; python3 "$BENCH/pycheck.py" "$PERT" > "$SCRATCH/pypert.out"
    check_counts "perturbed copy" "$(results_of pert)" "$(results_of pypert)"
  fi
fi

step "summary, $N resources"
printf '  %-28s %9s %9s %12s\n' engine "wall s" "peak MB" "vs floor"
for e in floor regorus assure assure_all; do
  w=$(eval echo "\$WALL_$e"); k=$(eval echo "\$RSS_$e")
  printf '  %-28s %9.2f %9.0f %11.2fx\n' "$e" "$w" "$(echo "$k / 1024" | bc -l)" "$(ratio "$w" "$WALL_floor")"
done
echo "  assure / floor wall:        $(ratio "$WALL_assure" "$WALL_floor")x (goal <= 1.3)"
echo "  regorus / assure wall:      $(ratio "$WALL_regorus" "$WALL_assure")x (goal >= 10)"
echo "  all checks / 7 checks wall: $(ratio "$WALL_assure_all" "$WALL_assure")x (goal <= 2)"
echo "  assure peak RSS:            $((RSS_assure / 1024)) MB (goal < 1024)"

if [ -z "${SKIP_CHECKOV:-}" ]; then
  step "Terraform plan, $TF_N resources: Checkov vs Assure (CKV_AWS_19, CKV_AWS_24, CKV_AWS_7)"
  CK=$SCRATCH/ck
  if [ ! -x "$CK/bin/checkov" ]; then python3 -m venv "$CK" && "$CK/bin/pip" install -q checkov; fi
  BC_SKIP_MAPPING=TRUE timed checkov "$CK/bin/checkov" -f "$PLAN" --framework terraform_plan \
    --check CKV_AWS_19,CKV_AWS_24,CKV_AWS_7 --compact -o json --skip-download || true
  TF=(--check cry.tf-s3-encryption --check net.tf-sg-no-ssh-from-world --check cry.tf-kms-rotation)
  timed assure_tf "$ASSURE" "$PLAN" --input-format terraform-plan "${TF[@]}" \
    --list-failing cry.tf-s3-encryption --list-failing net.tf-sg-no-ssh-from-world --list-failing cry.tf-kms-rotation
  python3 "$REPO/scripts/compare-checkov.py" "$SCRATCH/checkov.out" "$SCRATCH/assure_tf.out" || FAIL=1
  echo "  checkov / assure wall: $(ratio "$WALL_checkov" "$WALL_assure_tf")x (goal >= 100); checkov $((RSS_checkov / 1024)) MB, assure $((RSS_assure_tf / 1024)) MB"
fi
exit $FAIL
