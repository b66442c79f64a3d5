// What the server's commands share to get at a database: the store a --db names, the
// environment a native Database runs in (wall clock, random v4 ids), and the models of a
// --models folder. The server, `replicate` and `user` open databases the same way.
#ifndef REPLICORE_OPEN_DATABASE_H_
#define REPLICORE_OPEN_DATABASE_H_

#include <memory>
#include <string>
#include <vector>

#include "replicore/database.h"
#include "replicore/status.h"
#include "replicore/store.h"

namespace replicore {

struct StoreLocation {
  // ":memory:" (MemoryStore), postgresql://... or postgres://... (PostgresStore),
  // redis://... or redis+unix://... (RedisStore, a read replica), else a SQLite file path.
  std::string db;
  std::string pg_schema;         // PostgreSQL only: the schema to use (created if missing)
  bool synchronous_full = false; // SQLite only: fsync on every commit
};

// The store `location` names, opened (and its schema created). Errors name the store, never
// a PostgreSQL URL, which may hold a password.
Result<std::unique_ptr<Store>> OpenStore(const StoreLocation& location);

// `db` for logs: a PostgreSQL or Redis URL's password (user:password@) becomes "***".
std::string WithoutPassword(const std::string& db);

// Wall-clock milliseconds and random v4 uuids, safe to call from any thread.
Environment NativeEnvironment();

// The model definitions of every *.json of `dir`, in file-name order; an error names the
// file (not JSON) or the folder (unreadable, or no models in it).
struct ModelFile {
  std::string path;
  Json definition;
};
Result<std::vector<ModelFile>> ReadModelFiles(const std::string& dir);

}  // namespace replicore

#endif  // REPLICORE_OPEN_DATABASE_H_
