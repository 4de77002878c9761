#!/usr/bin/env bash
# Runs the browser tests of Assure's web UI: Debian's Chromium (installed with apt when missing and run
# as root; never a downloaded browser) driven by playwright-core, pages checked with axe-core.
#
# Starts `assure serve` (the binary cargo built: $ASSURE_BIN, else $CARGO_TARGET_DIR/debug/assure) on a
# free loopback port with a fresh data directory, waits for /readyz, runs the specs with node's built-in
# test runner, keeps screenshots of failures in $CARGO_TARGET_DIR/browser-screenshots/, and stops the
# server whatever happens.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
bin="${ASSURE_BIN:-$CARGO_TARGET_DIR/debug/assure}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "== installing chromium"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "chromium is missing at $CHROMIUM: run as root or apt-get install chromium" >&2
        exit 2
    fi
fi
command -v node >/dev/null && command -v npm >/dev/null || {
    echo "node and npm are needed (apt-get install nodejs npm)" >&2
    exit 2
}
if [ ! -x "$bin" ]; then
    echo "no assure binary at $bin: run cargo build -p assure-cli first, or set ASSURE_BIN" >&2
    exit 2
fi

echo "== npm ci (tests/browser)"
npm ci --no-audit --no-fund --loglevel=error >/dev/null

data="$(mktemp -d)"
log="$data/server.log"
server=""
stop() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap stop EXIT

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
export ASSURE_URL="http://127.0.0.1:$port"
echo "== starting $bin serve on $ASSURE_URL (data in $data)"
"$bin" --data-dir "$data" serve --bind "127.0.0.1:$port" --checkpoint-seconds 3600 >"$log" 2>&1 &
server=$!

ready=""
for _ in $(seq 1 240); do
    if ! kill -0 "$server" 2>/dev/null; then
        echo "the server exited before it was ready:" >&2
        cat "$log" >&2
        exit 1
    fi
    if node -e 'fetch(process.env.ASSURE_URL + "/readyz").then(r => process.exit(r.ok ? 0 : 1)).catch(() => process.exit(1))'; then
        ready=yes
        break
    fi
    sleep 0.5
done
if [ -z "$ready" ]; then
    echo "the server did not become ready in 120 s:" >&2
    cat "$log" >&2
    exit 1
fi

export SCREENSHOT_DIR="$CARGO_TARGET_DIR/browser-screenshots"
# Only this run's failures: a screenshot left from an earlier run would point at a fixed failure.
rm -rf "$SCREENSHOT_DIR"
mkdir -p "$SCREENSHOT_DIR"
echo "== specs (screenshots of failures in $SCREENSHOT_DIR)"
status=0
# A hard limit, so a browser that stops answering fails the run instead of hanging it: twenty minutes
# for the whole run (then SIGKILL if node ignores the SIGTERM). (--test-timeout would bound a whole spec file.)
timeout --kill-after=30 1200 node --test specs/*.test.js || status=$?
# The walk-throughs sign in people the page specs logged in first (after their password change), so
# they run once those are done.
if [ "$status" = 0 ]; then
    timeout --kill-after=30 600 node --test walkthrough/*.test.js || status=$?
fi
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "the browser specs did not finish within 20 minutes" >&2
fi
if [ "$status" != 0 ]; then
    echo "== server log" >&2
    tail -n 50 "$log" >&2
fi
exit "$status"
