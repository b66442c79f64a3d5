#!/usr/bin/env bash
# The Redis tests, on the Redis of $REPLICORE_REDIS_URL (run it under with-redis.sh):
#   tests/redis/with-redis.sh tests/redis/run.sh [BUILD_DIR]
# 1. RedisStore (server_tests *Redis*): the Store conformance suite where it applies, the
#    refused filters, atomicity, racing writers, bytes, reopen, prefixes, CLIENT KILL, random
#    batches against MemoryStore, the layouts; over TCP, then again over the Unix socket.
# 2. replicore-server on Redis (tests/redis/*.test.mjs): a LoopBack push fills a replica
#    that then serves ids, id lists and counts, and refuses other filters; a replica with
#    --replicate-from stays current with its primary.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
: "${REPLICORE_REDIS_URL:?run under tests/redis/with-redis.sh}"
export CI=${CI:-true}  # here Redis is there: a test needing it never skips

echo "-- RedisStore over TCP (server_tests *Redis*)"
"$build/server_tests" --gtest_filter='*Redis*' --gtest_brief=1
if [[ -n ${REPLICORE_REDIS_SOCKET:-} ]]; then
  echo "-- RedisStore over the Unix socket"
  REPLICORE_REDIS_URL="redis+unix://$REPLICORE_REDIS_SOCKET" \
    "$build/server_tests" --gtest_filter='*Redis*' --gtest_brief=1
fi
echo "-- replicore-server on a Redis replica"
REPLICORE_SERVER="$build/replicore-server" timeout 120 node --test tests/redis/
