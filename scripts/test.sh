#!/usr/bin/env bash
# Runs every test of Assure, from a fresh machine: installs what the tests need (PostgreSQL, LibreOffice,
# Chromium and Node.js from Debian's packages; the browser tests' npm packages with `npm ci`), starts
# PostgreSQL on loopback as the `postgres` user, then checks formatting and lints and runs the whole suite.
# Everything runs on SQLite; the store story and the end-to-end tests also run on PostgreSQL. Reference data
# is read from ../shared/data (override with ASSURE_SHARED_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/assure-target}"
export ASSURE_SHARED_DIR="${ASSURE_SHARED_DIR:-$(cd .. && pwd)/shared}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v runuser >/dev/null || missing+=(util-linux)
command -v soffice >/dev/null || missing+=(libreoffice-calc-nogui)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null || missing+=(nodejs npm)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
        exit 2
    fi
fi

# Python for the tests that compare with reference tools: pycheck.py needs orjson, the S3 evidence store is
# tested against moto in server mode, OSCAL exports are loaded by compliance-trestle, and schemathesis fuzzes
# the API against its OpenAPI document.
venv="${ASSURE_VENV:-$HOME/.cache/assure-venv}"
python_packages=(orjson "moto[server]" compliance-trestle schemathesis aiosmtpd)
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c "import orjson, moto, trestle, schemathesis, aiosmtpd" 2>/dev/null; then
    echo "== preparing Python environment $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "${python_packages[@]}"
fi
export PATH="$venv/bin:$PATH"
export ASSURE_PYTHON="$venv/bin/python3"

# The browser tests (crates/assure-cli/tests/browser.rs runs tests/browser/run.sh) drive Debian's Chromium
# with playwright-core; their npm packages are pinned by tests/browser/package-lock.json.
echo "== npm ci (tests/browser)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

echo "== starting PostgreSQL"
ASSURE_TEST_POSTGRES_URL=$(scripts/postgres.sh start)
export ASSURE_TEST_POSTGRES_URL
echo "   $ASSURE_TEST_POSTGRES_URL"

if [ ! -d "$ASSURE_SHARED_DIR/data" ]; then
    echo "note: $ASSURE_SHARED_DIR/data is absent: tests on NIST and OSCAL reference data will say what to download and skip"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== tests (SQLite everywhere; store story and end-to-end tests also on PostgreSQL)"
if command -v cargo-nextest >/dev/null; then
    cargo nextest run --workspace --no-fail-fast --status-level pass --final-status-level fail
else
    cargo test --workspace --no-fail-fast
fi

echo "== all tests passed in $(( $(date +%s) - started )) s"
