#!/usr/bin/env bash
# Issue 24's benchmark: the shared load.mjs against replicore-server on SQLite and on
# PostgreSQL with 1, 2 and 3 server processes on one database, each setup behind the same
# haproxy (round robin per request), side by side in one run. Everything on 127.0.0.1.
#
#   tests/pg/with-postgres.sh bench/server/scale-out.sh [path/to/replicore-server]
#
# Needs haproxy (apt-get install haproxy) and REPLICORE_PG_URL (with-postgres.sh sets it).
# Environment: DOCS=2000 CLIENTS=1,8,64 DURATION=5 WARMUP=1 SETUPS="sqlite-1 pg-1 pg-2 pg-3"
#   SCENARIOS=get-by-id,find,count,changes,diff,bulk-update,create,patch
#   OUT_DIR=bench/server/results/issue24
# Writes OUT_DIR/<setup>.json (load.mjs --out) and OUT_DIR/summary.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LOAD=$(cd "$ROOT/../shared/bench/server" && pwd)/load.mjs
BIN=${1:-${REPLICORE_SERVER:-$ROOT/build/replicore-server}}
DOCS=${DOCS:-2000} CLIENTS=${CLIENTS:-1,8,64} DURATION=${DURATION:-5} WARMUP=${WARMUP:-1}
SETUPS=${SETUPS:-sqlite-1 pg-1 pg-2 pg-3}
SCENARIOS=${SCENARIOS:-get-by-id,find,count,changes,diff,bulk-update,create,patch}
OUT_DIR=${OUT_DIR:-$HERE/results/issue24}
[[ -x $BIN ]] || { echo "scale-out.sh: no replicore-server at $BIN" >&2; exit 2; }
[[ -n ${REPLICORE_PG_URL:-} ]] || { echo "scale-out.sh: run it under tests/pg/with-postgres.sh" >&2; exit 2; }
command -v haproxy >/dev/null || { echo "scale-out.sh: haproxy is needed (apt-get install haproxy)" >&2; exit 2; }
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/replicore-scale-out.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[scale-out %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

# A fresh database for each PostgreSQL setup: the load leaves rows behind.
admin_url=${REPLICORE_PG_URL%/*}/postgres
bench_url=${REPLICORE_PG_URL%/*}/replicore_bench
fresh_pg() {
  psql -q "$admin_url" -c 'DROP DATABASE IF EXISTS replicore_bench WITH (FORCE)' -c 'CREATE DATABASE replicore_bench' >/dev/null
}

start_server() {  # start_server NAME DB -> appends its port to PORTS (not in a subshell:
  # PIDS must keep the pid, so the server is stopped with the others)
  "$BIN" --models "$HERE/models" --db "$2" --port 0 --log-level warn \
    > "$WORK/$1.url" 2> "$WORK/$1.log" &
  PIDS+=($!)
  local i
  for ((i = 0; i < 300; i++)); do
    if [[ -s $WORK/$1.url ]]; then PORTS+=("$(head -1 "$WORK/$1.url" | sed 's/.*://')"); return 0; fi
    sleep 0.1
  done
  cat "$WORK/$1.log" >&2
  return 1
}

for setup in $SETUPS; do
  store=${setup%-*} count=${setup#*-}
  if [[ $store == pg ]]; then fresh_pg; fi
  PORTS=()
  for ((n = 1; n <= count; n++)); do
    db=$bench_url
    [[ $store == sqlite ]] && db=$WORK/$setup.db
    start_server "$setup-$n" "$db"
  done
  front=$(free_port)
  {
    printf 'global\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 5s\n'
    printf '  timeout client 120s\n  timeout server 120s\n'
    printf 'frontend front\n  bind 127.0.0.1:%s\n  default_backend servers\n' "$front"
    printf 'backend servers\n  balance roundrobin\n'
    for ((n = 0; n < count; n++)); do printf '  server s%d 127.0.0.1:%s\n' "$n" "${PORTS[$n]}"; done
  } > "$WORK/$setup.cfg"
  haproxy -f "$WORK/$setup.cfg" -db > "$WORK/$setup.haproxy.log" 2>&1 &
  PIDS+=($!)
  sleep 0.5
  log "$setup: $count replicore-server process(es) on ${store}, haproxy at 127.0.0.1:$front"
  node "$LOAD" --url "http://127.0.0.1:$front/api" --model Todos --docs "$DOCS" --clients "$CLIENTS" \
    --duration "$DURATION" --warmup "$WARMUP" --scenarios "$SCENARIOS" --out "$OUT_DIR/$setup.json" \
    > "$OUT_DIR/$setup.md" 2> "$WORK/$setup.progress" || log "$setup: load.mjs exited $?"
  stop_all
done
node "$HERE/scale-out-table.mjs" "$OUT_DIR" $SETUPS > "$OUT_DIR/summary.md"
cat "$OUT_DIR/summary.md"
