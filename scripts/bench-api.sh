#!/usr/bin/env bash
# Measures the HTTP server under load with wrk (Debian package): requests/s and p99 latency of `/healthz`
# and of an authenticated list endpoint (`/api/v1/controls`, first page of 100), 64 connections each,
# against one release server on SQLite with the demo programme.
#
#   scripts/bench-api.sh                    # release build (built if missing), 20 s per endpoint
#   DURATION=5s ASSURE_BIN=target/debug/assure scripts/bench-api.sh
#
# Goal (issue 4): the list endpoint at 30% or more of /healthz throughput, p99 under 25 ms.
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${ASSURE_BIN:-$TARGET/release/assure}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
if [[ ! -x $BIN ]]; then
    cargo build --release -p assure-cli
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/assure-bench-api.XXXXXX")
pid=""
cleanup() {
    if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

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
status=$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $token" "$base/api/v1/controls")
[[ $status == 200 ]] || { echo "controls answered $status" >&2; exit 1; }

# wrk prints "Requests/sec: N" and, with --latency, "99% Xms"; p99 is converted to milliseconds.
run() {
    local name=$1; shift
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$work/$name.txt"
    local rps p99
    rps=$(awk '/^Requests\/sec/ {print $2}' "$work/$name.txt")
    p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' "$work/$name.txt")
    local errors
    errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' "$work/$name.txt")
    echo "$name $rps $p99 ${errors:-0}"
}
healthz=$(run healthz "$base/healthz")
controls=$(run controls -H "authorization: Bearer $token" "$base/api/v1/controls")
awk -v h="$healthz" -v c="$controls" -v conns="$CONNECTIONS" -v dur="$DURATION" 'BEGIN {
    split(h, H, " "); split(c, C, " ");
    printf "wrk, %d connections, %s each, one server on SQLite (demo programme)\n", conns, dur;
    printf "%-22s %10s req/s   p99 %7.2f ms   non-2xx %s\n", "/healthz", H[2], H[3], H[4];
    printf "%-22s %10s req/s   p99 %7.2f ms   non-2xx %s\n", "/api/v1/controls", C[2], C[3], C[4];
    printf "controls / healthz:    %.0f%% (goal >= 30%%), p99 goal < 25 ms\n", 100 * C[2] / H[2];
}'
