#include "replicore/open_database.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "replicore/memory_store.h"
#include "replicore/postgres_store.h"
#include "replicore/redis_store.h"
#include "replicore/sqlite_store.h"
#include "replicore/uuid.h"

namespace replicore {

Result<std::unique_ptr<Store>> OpenStore(const StoreLocation& location) {
  const bool postgres = IsPostgresUrl(location.db);
  if (!location.pg_schema.empty() && !postgres) {
    return Status::BadRequest("a PostgreSQL schema needs a postgresql:// database");
  }
  if (location.db == ":memory:") return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
  if (IsRedisUrl(location.db)) {
    RC_ASSIGN_OR_RETURN(RedisStoreOptions redis, ParseRedisUrl(location.db));
    auto opened = RedisStore::Open(redis);
    if (!opened.ok()) {
      return Status(opened.status().code(),
                    "cannot open the Redis store: " + opened.status().ToString());
    }
    return std::unique_ptr<Store>(std::move(opened).value());
  }
  if (postgres) {
    PostgresStoreOptions pg;
    pg.url = location.db;
    pg.schema = location.pg_schema;
    auto opened = PostgresStore::Open(pg);
    if (!opened.ok()) {
      return Status(opened.status().code(), "cannot open the PostgreSQL database: " +
                                                 opened.status().ToString());
    }
    return std::unique_ptr<Store>(std::move(opened).value());
  }
  SqliteStoreOptions sqlite;
  sqlite.path = location.db;
  sqlite.synchronous_full = location.synchronous_full;
  auto opened = SqliteStore::Open(sqlite);
  if (!opened.ok()) {
    return Status(opened.status().code(),
                  "cannot open " + location.db + ": " + opened.status().ToString());
  }
  return std::unique_ptr<Store>(std::move(opened).value());
}

std::string WithoutPassword(const std::string& db) {
  if (!IsPostgresUrl(db) && !IsRedisUrl(db)) return db;
  const size_t start = db.find("://") + 3;
  const size_t at = db.find('@', start);
  const size_t colon = db.find(':', start);
  if (at == std::string::npos || colon == std::string::npos || colon > at) return db;
  return db.substr(0, colon + 1) + "***" + db.substr(at);
}

Environment NativeEnvironment() {
  Environment env;
  env.now_ms = [] {
    using namespace std::chrono;
    return static_cast<double>(
        duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  };
  env.new_guid = [] {
    thread_local std::mt19937_64 rng(std::random_device{}() ^
                                     static_cast<uint64_t>(std::hash<std::thread::id>()(
                                         std::this_thread::get_id())));
    const uint64_t a = rng();
    return FormatUuidV4(a, rng());
  };
  return env;
}

Result<std::vector<ModelFile>> ReadModelFiles(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) return Status::BadRequest("cannot read --models " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) return Status::BadRequest("no *.json model files in " + dir);
  std::vector<ModelFile> models;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    Json definition = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (definition.is_discarded()) return Status::BadRequest(file.string() + ": not valid JSON");
    models.push_back({file.string(), std::move(definition)});
  }
  return models;
}

}  // namespace replicore
