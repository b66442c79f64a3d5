#!/usr/bin/env bash
# Server load benchmark of issue 13: replicore-server against the LoopBack 3 reference
# server, with ../shared/bench/server/load.mjs, plus a wrk cross-check and the cost of
# --sync full. Everything listens on and talks to 127.0.0.1 only.
#
#   bench/server/run.sh [path/to/replicore-server]         # from the repo root
#
# It builds nothing: the binary comes from the argument, $REPLICORE_SERVER or
# build/replicore-server (cmake --build build --target replicore-server).
#
# Environment (all optional):
#   DURATION=5 WARMUP=1        load.mjs seconds per measured phase / warm-up
#   PHASES="lb rc2000 rc10000 wrk sync"   which phases to run, in this order; also
#                              lb22 / rc22: issue 22's server targets (find and count with a
#                              where at 10,000 docs, 64 clients; bulk-update at 2,000 docs)
#   TAG=                       names the binary in the rc22 result files (rc-TAG-*.json)
#   SYNC_REPS=2                normal/full pairs in the sync phase (alternating)
#   QUICK=1                    smoke run: few docs, 1 s phases, clients 1,8
#   OUT_DIR=bench/server/results   JSON outputs (one per load.mjs run) + summary.md
#   LB_DEPS=$TMPDIR/replicore-bench-lb3-deps   LoopBack's npm ci (reused while the lock is the same)
#
# Writes OUT_DIR/{lb3-2000,rc-2000,rc-10000,wrk,sync-*}.json and OUT_DIR/summary.md
# (bench/server/summarize.mjs). Servers are stopped by PID on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=$(cd "$ROOT/../shared/bench/server" && pwd)
BIN=${1:-${REPLICORE_SERVER:-$ROOT/build/replicore-server}}
MODELS=$HERE/models
OUT_DIR=${OUT_DIR:-$HERE/results}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
PHASES=${PHASES:-lb rc2000 rc10000 wrk sync}
SYNC_REPS=${SYNC_REPS:-2}
LB_DEPS=${LB_DEPS:-${TMPDIR:-/tmp}/replicore-bench-lb3-deps}
DOCS=2000 BIG=10000 CLIENTS=1,8,64 EXTRA=()
if [[ ${QUICK:-0} == 1 ]]; then
  DOCS=300 BIG=1000 CLIENTS=1,8 DURATION=1 WARMUP=0.5
  EXTRA=(--batches 1 --syncs 1 --batch 200 --diff-size 200)
fi

[[ -x $BIN ]] || { echo "run.sh: no replicore-server at $BIN (build it, or pass its path)" >&2; exit 2; }
command -v node >/dev/null || { echo "run.sh: node (>= 18) is needed" >&2; exit 2; }
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/replicore-bench-server.XXXXXX")  # databases on disk, not tmpfs
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[run.sh %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# wait_url FILE PID: the first stdout line of a server, once it is there.
wait_url() {
  local i
  for ((i = 0; i < 300; i++)); do
    if [[ -s $1 ]]; then head -1 "$1"; return 0; fi
    kill -0 "$2" 2>/dev/null || { echo "run.sh: server $2 exited" >&2; return 1; }
    sleep 0.1
  done
  echo "run.sh: server $2 printed no URL in 30 s" >&2; return 1
}

stop() {  # stop PID: SIGTERM, wait, forget it
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=() pid
  for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
  PIDS=("${keep[@]}")
}

# start_rc NAME SYNC -> sets SERVER_PID and API (fresh SQLite file, WAL)
start_rc() {
  local name=$1 sync=$2
  rm -f "$WORK/$name".db*
  # --log-level warn: the reference server logs nothing per request either.
  "$BIN" --models "$MODELS" --db "$WORK/$name.db" --port 0 --sync "$sync" --log-level warn \
    > "$WORK/$name.url" 2> "$WORK/$name.log" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  API="$(wait_url "$WORK/$name.url" "$SERVER_PID")/api"
  log "replicore-server ($name, --sync $sync, pid $SERVER_PID) at $API"
}

start_lb() {  # start_lb [NAME SYNC]: arguments ignored (the same call shape as start_rc)
  local lock_src=$SHARED/loopback-server/package-lock.json
  if ! cmp -s "$lock_src" "$LB_DEPS/package-lock.json" || [[ ! -d $LB_DEPS/node_modules ]]; then
    log "npm ci of LoopBack 3 into $LB_DEPS"
    rm -rf "$LB_DEPS" && mkdir -p "$LB_DEPS"
    cp "$SHARED/loopback-server/package.json" "$lock_src" "$LB_DEPS"/
    chmod u+w "$LB_DEPS"/package*.json
    (cd "$LB_DEPS" && npm ci --no-audit --no-fund >"$LB_DEPS/npm.log" 2>&1) ||
      { cat "$LB_DEPS/npm.log" >&2; exit 1; }
  fi
  NODE_PATH="$LB_DEPS/node_modules" node "$SHARED/loopback-server/server.js" --port 0 \
    > "$WORK/lb.url" 2> "$WORK/lb.log" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  API=$(wait_url "$WORK/lb.url" "$SERVER_PID")
  log "LoopBack 3 (pid $SERVER_PID) at $API"
}

# load NAME DOCS [load.mjs args...]: one load.mjs run against $API -> OUT_DIR/NAME.json
load() {
  local name=$1 docs=$2; shift 2
  log "load.mjs $name: $docs docs, clients ${CLIENTS}, ${DURATION} s per phase"
  local rc=0
  node "$SHARED/load.mjs" --url "$API" --model Todos --docs "$docs" --clients "$CLIENTS" \
    --duration "$DURATION" --warmup "$WARMUP" "${EXTRA[@]}" "$@" --out "$OUT_DIR/$name.json" \
    > "$OUT_DIR/$name.md" 2> "$WORK/$name.progress" || rc=$?
  cat "$WORK/$name.progress" >&2
  [[ $rc == 0 ]] || log "load.mjs $name exited $rc (errors are in $OUT_DIR/$name.json)"
}

# count_where NAME: count-where.mjs against $API (the docs a load.mjs run seeded)
count_where() {
  log "count-where.mjs $1: clients 64, ${DURATION} s"
  node "$HERE/count-where.mjs" --url "$API" --model Todos --clients 64 --duration "$DURATION" \
    --warmup "$WARMUP" --out "$OUT_DIR/$1.json" > "$OUT_DIR/$1.md" 2> "$WORK/$1.progress" ||
    log "count-where.mjs $1 failed"
  cat "$WORK/$1.progress" >&2
}

# targets22 NAME START: issue 22's scenarios on fresh servers made by START
targets22() {
  $2 "$1-10000" normal
  CLIENTS=64 load "$1-find-10000" "$BIG" --scenarios find,count
  count_where "$1-count-where-10000"
  stop "$SERVER_PID"
  $2 "$1-2000" normal
  load "$1-bulk-2000" "$DOCS" --scenarios bulk-update
  stop "$SERVER_PID"
}

# wrk_run NAME CONNECTIONS PATH-or-lua: a JSON line from wrk's done() -> appended to wrk.json
WRK_LUA=$WORK/wrk-report.lua
wrk_run() {
  local name=$1 conns=$2 url=$3 script=${4:-$WRK_LUA}
  local line
  line=$(wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 10s -s "$script" "$url" | grep '^{"wrk"' || true)
  log "wrk $name c=$conns: ${line:-no result}"
  [[ -n $line ]] || return 0
  printf '%s\n' "${line%\}},\"name\":\"$name\",\"connections\":$conns}" >> "$OUT_DIR/wrk.jsonl"
}

cat > "$WRK_LUA" <<'LUA'
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format('{"wrk":1,"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,' ..
    '"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"errors":%d,"non2xx":%d}\n',
    s.requests, s.duration / 1e6, s.requests / (s.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end
LUA

log "binary $BIN; results in $OUT_DIR; phases: $PHASES; work dir $WORK"
for phase in $PHASES; do
  case $phase in
    lb)  # LoopBack 3 at 2,000 docs (memory connector, as in RESULTS.md)
      start_lb; load lb3-$DOCS "$DOCS"; stop "$SERVER_PID" ;;
    rc2000)  # replicore at the same 2,000 docs, right after
      start_rc rc-$DOCS normal; load rc-$DOCS "$DOCS"; stop "$SERVER_PID" ;;
    rc10000)
      start_rc rc-$BIG normal; load rc-$BIG "$BIG"; stop "$SERVER_PID" ;;
    wrk)  # GET by id at 8 connections: load.mjs then wrk on the same fresh server
      command -v wrk >/dev/null || {
        log "installing wrk (Debian package)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null ||
          { log "no wrk: skipping the cross-check"; continue; }
      }
      rm -f "$OUT_DIR/wrk.jsonl"
      start_rc rc-wrk normal
      CLIENTS=8,64 load rc-wrk-loadmjs "$DOCS" --scenarios get-by-id,count
      # ids of the seeded docs -> a wrk script picking one at random per request
      node -e '
        const [api, out, report] = process.argv.slice(1);
        fetch(api + "/Todos?filter=" + encodeURIComponent(JSON.stringify({fields: {id: true}})))
          .then((r) => r.json()).then((rows) => {
            const ids = rows.map((r) => JSON.stringify(r.id)).join(",");
            const fs = require("fs");
            fs.writeFileSync(out, `local ids = {${ids}}\nmath.randomseed(42)\n` +
              "request = function() return wrk.format(\"GET\", \"/api/Todos/\" .. ids[math.random(#ids)]) end\n" +
              fs.readFileSync(report, "utf8"));
          });' "$API" "$WORK/wrk-get.lua" "$WRK_LUA"
      wrk_run get-by-id 8 "${API%/api}" "$WORK/wrk-get.lua"
      wrk_run get-by-id 64 "${API%/api}" "$WORK/wrk-get.lua"
      wrk_run count 8 "$API/Todos/count"
      wrk_run count 64 "$API/Todos/count"
      stop "$SERVER_PID" ;;
    sync)  # --sync normal vs full, writes only, alternating to spread the noise
      for ((r = 1; r <= SYNC_REPS; r++)); do
        for mode in normal full; do
          start_rc sync-$mode-$r "$mode"
          load sync-$mode-$r "$DOCS" --scenarios bulk-update,create,replace,patch,delete
          stop "$SERVER_PID"
        done
      done ;;
    lb22) targets22 lb3 start_lb ;;
    rc22) targets22 "rc${TAG:+-$TAG}" start_rc ;;
    *) log "unknown phase $phase"; exit 2 ;;
  esac
done

node "$HERE/summarize.mjs" "$OUT_DIR" > "$OUT_DIR/summary.md"
log "summary: $OUT_DIR/summary.md"
cat "$OUT_DIR/summary.md"
