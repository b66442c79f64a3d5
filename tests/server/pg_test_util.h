// Test-only: the PostgreSQL database of a test run ($REPLICORE_PG_URL, set by
// tests/pg/with-postgres.sh) and a fresh PostgreSQL schema per store, dropped with it.
#ifndef REPLICORE_TESTS_SERVER_PG_TEST_UTIL_H_
#define REPLICORE_TESTS_SERVER_PG_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

#include "replicore/postgres_store.h"
#include "server/external_server.h"

namespace replicore {
namespace testing {

// $REPLICORE_PG_URL, or "" when unset.
inline std::string PgUrl() { return EnvOrEmpty("REPLICORE_PG_URL"); }

// Whether a test needing PostgreSQL must fail rather than skip without one: in CI.
inline bool PgRequired() { return ExternalServerRequired(); }

#define RC_REQUIRE_POSTGRES() \
  RC_REQUIRE_EXTERNAL_SERVER("REPLICORE_PG_URL", "PostgreSQL", "tests/pg/with-postgres.sh")

// Runs one statement on the test database (DROP SCHEMA ...); false when it fails.
inline bool PgExec(const std::string& sql) {
  PGconn* conn = PQconnectdb(PgUrl().c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    PGresult* r = PQexec(conn, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  return ok;
}

// A schema name no other store of this run (or of a run in parallel) uses.
inline std::string UniqueSchema(const std::string& stem) {
  static std::atomic<int> counter{0};
  return "rc_" + stem + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

// A PostgresStore on a schema of its own, dropped when this is destroyed.
struct OwnedPostgres {
  explicit OwnedPostgres(const std::string& stem = "t") : schema(UniqueSchema(stem)) {
    PostgresStoreOptions options;
    options.url = PgUrl();
    options.schema = schema;
    Result<std::unique_ptr<PostgresStore>> opened = PostgresStore::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) store = std::move(opened).value();
  }
  ~OwnedPostgres() {
    store.reset();
    PgExec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }
  std::string schema;
  std::unique_ptr<PostgresStore> store;
};

}  // namespace testing
}  // namespace replicore

#endif  // REPLICORE_TESTS_SERVER_PG_TEST_UTIL_H_
