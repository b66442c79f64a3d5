// Private to server/src: what the two SQLite users (SqliteStore, UserStore) share.
#ifndef REPLICORE_SERVER_SQLITE_STATEMENT_H_
#define REPLICORE_SERVER_SQLITE_STATEMENT_H_

#include <sqlite3.h>

#include <string>

namespace replicore {

// An in-memory database rather than a file.
inline bool IsMemoryPath(const std::string& path) { return path.empty() || path == ":memory:"; }

// Resets a statement and drops its bindings (bound pointers included) when a call ends.
class StmtUse {
 public:
  explicit StmtUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtUse(const StmtUse&) = delete;
  StmtUse& operator=(const StmtUse&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace replicore

#endif  // REPLICORE_SERVER_SQLITE_STATEMENT_H_
