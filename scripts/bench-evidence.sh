#!/usr/bin/env bash
# Measures one large evidence upload through the real server: peak server RSS (VmHWM) and upload
# throughput as a ratio to `sha256sum` on the same file in the same run.
#
#   scripts/bench-evidence.sh            # 1 GiB, release build (built if missing)
#   SIZE_MB=256 ASSURE_BIN=target/debug/assure scripts/bench-evidence.sh
#
# Goals (issue 7): peak RSS under 100 MB; throughput at least 60% of sha256sum.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1024}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${ASSURE_BIN:-$TARGET/release/assure}
if [[ ! -x $BIN ]]; then
    cargo build --release -p assure-cli
fi

work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/assure-bench.XXXXXX")
pid=""
cleanup() {
    if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "generating ${SIZE_MB} MiB of random data" >&2
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$work/blob"
cat "$work/blob" >/dev/null # warm the page cache for both contenders

now() { date +%s.%N; }
t0=$(now)
expected=$(sha256sum "$work/blob" | cut -d' ' -f1)
t1=$(now)

export ASSURE_DATA_DIR="$work/data" ASSURE_LOG=warn
"$BIN" init >/dev/null 2>&1
token=$("$BIN" tokens create --user admin@contour.example --name bench)
"$BIN" serve --bind 127.0.0.1:0 2>"$work/serve.log" &
pid=$!
base=""
for _ in $(seq 1 100); do
    base=$(sed -n 's/^assure listening on //p' "$work/serve.log" | head -n1)
    [[ -n $base ]] && break
    sleep 0.1
done
[[ -n $base ]] || { echo "server did not start" >&2; cat "$work/serve.log" >&2; exit 2; }
rss_idle=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

t2=$(now)
answer=$(curl -sS -H 'Expect:' -H "authorization: Bearer $token" -T "$work/blob" -X POST -H 'content-type: application/octet-stream' \
    "$base/api/v1/tenants/northbank/evidence?kind=other&title=bench&collected_at=2026-01-01T00:00:00Z")
t3=$(now)
digest=$(sed -n 's/.*"digest":"\([0-9a-f]*\)".*/\1/p' <<<"$answer")
[[ $digest == "$expected" ]] || { echo "digest mismatch: $answer" >&2; exit 1; }
peak_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")

awk -v size="$SIZE_MB" -v s0="$t0" -v s1="$t1" -v u0="$t2" -v u1="$t3" -v peak="$peak_kb" -v idle="$rss_idle" 'BEGIN {
    sha = size / (s1 - s0); up = size / (u1 - u0);
    printf "file:                %d MiB\n", size;
    printf "sha256sum:           %.2f s  (%.0f MiB/s)\n", s1 - s0, sha;
    printf "upload (HTTP, hash, encrypt, fsync): %.2f s  (%.0f MiB/s)\n", u1 - u0, up;
    printf "throughput ratio:    %.0f%% of sha256sum (goal >= 60%%)\n", 100 * up / sha;
    printf "server RSS:          idle %.1f MB, peak %.1f MB (goal < 100 MB)\n", idle / 1024, peak / 1024;
}'
