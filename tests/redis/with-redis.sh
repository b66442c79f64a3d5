#!/usr/bin/env bash
# Runs a command with a throwaway Redis of its own (Debian's `redis-server`): no persistence
# (no RDB, no AOF), listening on a Unix socket in a temporary folder and on 127.0.0.1 at a
# free port; stopped and the folder removed when the command ends, whatever its exit. The
# command finds it in $REPLICORE_REDIS_URL (redis://127.0.0.1:PORT/0) and
# $REPLICORE_REDIS_SOCKET (the socket's path); $REPLICORE_REDIS_PID is the server's pid.
#
#   tests/redis/with-redis.sh CMD [ARGS...]
#
# REDIS_PORT picks the TCP port (default: a free one). Runs as root too (redis-server
# does not refuse it, and the folder is its own).
set -euo pipefail

command -v redis-server >/dev/null ||
  { echo "with-redis.sh: no redis-server (apt-get install redis-server)" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/replicore-redis.XXXXXX")
# A free port, as the kernel picks one (node is there wherever the tests run).
port=${REDIS_PORT:-$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')}
pid=""
stop() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

redis-server --bind 127.0.0.1 --port "$port" --unixsocket "$dir/redis.sock" --unixsocketperm 700 \
  --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" --daemonize no \
  --databases 16 --protected-mode yes &
pid=$!
for _ in $(seq 100); do
  [[ -S $dir/redis.sock ]] && redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/redis.log" >&2; exit 1; }
  sleep 0.1
done
redis-cli -s "$dir/redis.sock" ping >/dev/null || { cat "$dir/redis.log" >&2; exit 1; }
export REPLICORE_REDIS_URL="redis://127.0.0.1:$port/0"
export REPLICORE_REDIS_SOCKET="$dir/redis.sock"
export REPLICORE_REDIS_PID=$pid  # benchmarks read its CPU time
echo "with-redis.sh: Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') at $REPLICORE_REDIS_URL and $REPLICORE_REDIS_SOCKET" >&2
"$@"
