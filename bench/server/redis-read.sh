#!/usr/bin/env bash
# Issue 26's benchmark: read latency of a Redis read replica against its SQLite primary
# (bench/server/redis-read.mjs), on a throwaway redis-server (tests/redis/with-redis.sh).
# Builds nothing: the binary comes from the argument, $REPLICORE_SERVER or
# build/replicore-server. Writes bench/server/results/issue26-redis/redis-read.{json,md}.
#
#   bench/server/redis-read.sh [path/to/replicore-server]
# Environment: DOCS=10000 CLIENTS=64 DURATION=5 WARMUP=1 OUT_DIR=bench/server/results/issue26-redis
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-${REPLICORE_SERVER:-build/replicore-server}}
exec tests/redis/with-redis.sh node bench/server/redis-read.mjs --server "$bin" \
  --docs "${DOCS:-10000}" --clients "${CLIENTS:-64}" --duration "${DURATION:-5}" \
  --warmup "${WARMUP:-1}" --out "${OUT_DIR:-bench/server/results/issue26-redis}"
