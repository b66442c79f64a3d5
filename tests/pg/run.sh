#!/usr/bin/env bash
# The PostgreSQL tests, on the database of $REPLICORE_PG_URL (run it under with-postgres.sh):
#   tests/pg/with-postgres.sh tests/pg/run.sh [BUILD_DIR]
# 1. PostgresStore: the Store conformance suite, the filter differential, racing stores.
# 2. The server's HTTP tests (capture replay included) on servers backed by PostgreSQL.
# 3. The process tests (tests/system: kill -9 mid-batch, concurrency, limits, ...) and the
#    real LoopBack 3 client on servers backed by PostgreSQL, and three servers on one
#    database with JS and LoopBack clients (tests/pg/multi-server.test.mjs), and issue 26's
#    replication chain SQLite -> PostgreSQL -> replicore-server -> LoopBack 3 and back
#    (tests/pg/replicate-chain.test.mjs, about 20 s).
# REPLICORE_TEST_STORE=postgres is what moves the existing suites to PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
: "${REPLICORE_PG_URL:?run under tests/pg/with-postgres.sh}"
export CI=${CI:-true}  # here PostgreSQL is there: a test needing it never skips

echo "-- PostgresStore (server_tests *Postgres*)"
"$build/server_tests" --gtest_filter='*Postgres*' --gtest_brief=1
echo "-- HTTP tests on PostgreSQL-backed servers"
REPLICORE_TEST_STORE=postgres "$build/server_tests" --gtest_brief=1 \
  --gtest_filter='HttpServer*.*:HttpReplicationSession.*:HttpReplay.*'
echo "-- process tests, the LoopBack client and three servers on one database"
# All of tests/system but the hostile-input suite: its 14,000 requests take 160 s on
# PostgreSQL on 2 cores (the stage has 5 minutes); it runs on SQLite in the stage before.
# HOSTILE_ON_PG=1 runs it here too.
system=()
for file in tests/system/*.test.mjs; do
  [[ $file == */hostile.test.mjs && ${HOSTILE_ON_PG:-0} != 1 ]] || system+=("$file")
done
REPLICORE_TEST_STORE=postgres REPLICORE_SERVER="$build/replicore-server" \
  timeout 600 node --test "${system[@]}" tests/interop/ tests/pg/
