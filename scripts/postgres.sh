#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the tests and prints its admin URL.
# Debian's package runs as the `postgres` user (initdb refuses root), so we use runuser when root.
# Usage: scripts/postgres.sh start|stop   (state under ${ASSURE_PG_DIR:-/tmp/assure-pg})
set -euo pipefail

PG_DIR=${ASSURE_PG_DIR:-/tmp/assure-pg}
PG_PORT=${ASSURE_PG_PORT:-55432}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
start)
    if [ -z "$BIN" ]; then
        echo "PostgreSQL is not installed: apt-get install postgresql" >&2
        exit 2
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
        rm -rf "$PG_DIR"
        mkdir -p "$PG_DIR"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
        as_pg "$BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1
        as_pg "$BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=300" start >/dev/null
    fi
    echo "postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    ;;
stop)
    as_pg "$BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
