// SqliteStore: the Store contract over one SQLite file in WAL mode.
//
// Layout (all WITHOUT ROWID, clustered on the primary key):
//   records(model, id, data JSON text)                      PRIMARY KEY(model, id)
//     + per indexed property: columns rc_t_<hex>, rc_x_<hex> (its JSON type and value) and
//       INDEX records_p_<hex>(model, type, value); per declared index: INDEX records_o_...
//       on the ORDER BY terms of its keys (DeclareIndexes). Those indexes use the
//       collations rc_utf16 and rc_json, so only a connection that registers them (this
//       file's OpenConnection) may write records; any SQLite can still read the file.
//   changes(model, model_id, id, rev, prev, prev_set, checkpoint, model_name)
//                                                           PRIMARY KEY(model, model_id)
//     + INDEX changes_by_checkpoint(model, checkpoint, model_id): Changes() is a range scan
//   meta(key, value JSON text)                              PRIMARY KEY(key)
//   checkpoint(id = 1, seq)                                 one row, starts at 1
//
// Concurrency: Apply() runs on one writer connection behind a mutex, one BEGIN IMMEDIATE ...
// COMMIT per batch (ROLLBACK on any error). Reads borrow a reader connection from a small
// pool (WAL readers see the last committed snapshot and never block the writer). A
// ":memory:" (or "") database is private to its connection, so there every read uses the
// writer connection under the writer mutex.
//
// Filters become SQL with bound parameters only (sql_filter.cc, in SQLite's dialect): the
// where tree is evaluated in SQL for scalar values, and where LoopBack's semantics depend on
// the shape of the stored JSON the condition calls rc_match(data, ?), a function registered
// below that runs replicore::Matches on that one condition, so results equal MemoryStore's
// by construction.
#include "replicore/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "replicore/js_semantics.h"
#include "replicore/like.h"
#include "replicore/regex.h"
#include "replicore/sql_filter.h"
#include "replicore/sqlite_dialect.h"
#include "sqlite_statement.h"

namespace replicore {
namespace {

constexpr const char* kWherePointerType = "replicore.where";

// ---------------------------------------------------------------------------------------
// Comparison helpers registered with SQLite.

// COLLATE rc_utf16: strings in JavaScript order.
int CollateUtf16(void*, int na, const void* a, int nb, const void* b) {
  return CompareUtf16(std::string_view(static_cast<const char*>(a), static_cast<size_t>(na)),
                      std::string_view(static_cast<const char*>(b), static_cast<size_t>(nb)));
}

// COLLATE rc_json: JSON texts (arrays/objects) in nlohmann's operator< order, which is what
// OrderPage uses for array and object values.
int CollateJson(void*, int na, const void* a, int nb, const void* b) {
  const char* pa = static_cast<const char*>(a);
  const char* pb = static_cast<const char*>(b);
  Json ja = Json::parse(pa, pa + na, nullptr, /*allow_exceptions=*/false);
  Json jb = Json::parse(pb, pb + nb, nullptr, /*allow_exceptions=*/false);
  if (ja.is_discarded() || jb.is_discarded()) {
    return CollateUtf16(nullptr, na, a, nb, b);
  }
  if (ja < jb) return -1;
  if (jb < ja) return 1;
  return 0;
}

// Per-connection cache of the last record parsed by rc_match (several conditions of one
// row parse it once).
struct ParseCache {
  std::string text;
  Json parsed;
  bool valid = false;
};

// rc_match(data, where_pointer): replicore::Matches of one bound Where node on the record.
void FnMatch(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const Where* where =
      static_cast<const Where*>(sqlite3_value_pointer(argv[1], kWherePointerType));
  if (where == nullptr) {
    sqlite3_result_error(ctx, "rc_match: no condition bound", -1);
    return;
  }
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  int bytes = sqlite3_value_bytes(argv[0]);
  if (text == nullptr) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  auto* cache = static_cast<ParseCache*>(sqlite3_user_data(ctx));
  try {
    std::string_view view(text, static_cast<size_t>(bytes));
    if (!cache->valid || cache->text != view) {
      cache->valid = false;
      cache->parsed = Json::parse(view);
      cache->text.assign(view);
      cache->valid = true;
    }
    sqlite3_result_int(ctx, Matches(*where, cache->parsed) ? 1 : 0);
  } catch (const std::exception& e) {
    sqlite3_result_error(ctx, e.what(), -1);
  }
}

// rc_regexp(value, source, flags): an ECMAScript search through the regex seam
// (replicore/regex.h; RE2 natively), flags "i" (icase), "m" (multiline), "g" (ignored),
// compiled once per statement (auxdata). Non-text values: 0. like/ilike use it too with
// the Where's regex_source and flags: "L" marks a like pattern for the core's like
// matcher (replicore/like.h), exactly as in MemoryStore.
void FnRegexp(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  try {
    using Compiled = std::shared_ptr<const Regex>;
    auto* cached = static_cast<Compiled*>(sqlite3_get_auxdata(ctx, 1));
    std::unique_ptr<Compiled> compiled;
    if (cached == nullptr) {
      const char* source = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
      const char* flags = reinterpret_cast<const char*>(sqlite3_value_text(argv[2]));
      std::string src = source ? std::string(source, sqlite3_value_bytes(argv[1])) : "";
      std::string fl = flags ? flags : "";
      std::string error;
      const bool like = fl.find('L') != std::string::npos;  // Where::regex_flags of a like
      compiled = std::make_unique<Compiled>(like ? CompileLike(src, fl.find('i') != std::string::npos)
                                                 : CompileRegex(src, fl, &error));
      if (!*compiled) {
        sqlite3_result_error(ctx, ("Invalid regular expression: " + error).c_str(), -1);
        return;
      }
      cached = compiled.get();
    }
    const char* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    int bytes = sqlite3_value_bytes(argv[0]);
    bool found = (*cached)->Search(std::string_view(text ? text : "", text ? bytes : 0));
    if (compiled) {
      sqlite3_set_auxdata(ctx, 1, compiled.release(),
                          [](void* p) { delete static_cast<Compiled*>(p); });
    }
    sqlite3_result_int(ctx, found ? 1 : 0);
  } catch (const std::exception& e) {
    sqlite3_result_error(ctx, e.what(), -1);
  }
}

// ---------------------------------------------------------------------------------------
// Connections and statements.

struct Connection {
  sqlite3* db = nullptr;
  ParseCache parse_cache;
  std::unordered_map<std::string, sqlite3_stmt*> fixed;    // never evicted
  std::unordered_map<std::string, sqlite3_stmt*> dynamic;  // filter queries, bounded

  ~Connection() {
    for (auto& entry : fixed) sqlite3_finalize(entry.second);
    for (auto& entry : dynamic) sqlite3_finalize(entry.second);
    if (db != nullptr) sqlite3_close_v2(db);
  }

  Status Error(const std::string& what) const {
    return Status::Storage("sqlite: " + what + ": " +
                           (db != nullptr ? sqlite3_errmsg(db) : "cannot allocate"));
  }

  // A statement without result rows (BEGIN, COMMIT), prepared once.
  Status Run(const std::string& sql);

  Status Exec(const char* sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      std::string text = message ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      return Status::Storage(std::string("sqlite: ") + sql + ": " + text);
    }
    return Status::Ok();
  }

  // A cached prepared statement; dynamic ones (one per distinct filter shape) are dropped
  // all at once past 64 so a stream of different filters cannot grow the cache unbounded.
  Result<sqlite3_stmt*> Prepare(const std::string& sql, bool is_dynamic) {
    auto& cache = is_dynamic ? dynamic : fixed;
    auto it = cache.find(sql);
    if (it != cache.end()) return it->second;
    if (is_dynamic && dynamic.size() >= 64) {
      for (auto& entry : dynamic) sqlite3_finalize(entry.second);
      dynamic.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Error("prepare");
    }
    cache.emplace(sql, stmt);
    return stmt;
  }
};

Status Connection::Run(const std::string& sql) {
  RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, Prepare(sql, false));
  int rc = sqlite3_step(stmt);
  Status status = rc == SQLITE_DONE ? Status::Ok() : Error(sql);
  sqlite3_reset(stmt);
  return status;
}

void BindText(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const char* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr) return std::string();
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

std::optional<std::string> ColumnOptionalText(sqlite3_stmt* stmt, int column) {
  if (sqlite3_column_type(stmt, column) == SQLITE_NULL) return std::nullopt;
  return ColumnText(stmt, column);
}

Result<Json> ParseStored(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::Storage("sqlite: stored JSON is malformed");
  return parsed;
}

Result<std::string> Serialize(const Json& value) {
  try {
    return value.dump();
  } catch (const std::exception& e) {
    return Status::Storage(std::string("cannot serialize JSON: ") + e.what());
  }
}

// Version 1: records.data holds each record's canonical text (record.h), read back
// without parsing; version 0 files hold nlohmann dumps and are rewritten once on open.
constexpr int kSchemaVersion = 1;

Status CanonicaliseRecords(Connection& c) {
  RC_ASSIGN_OR_RETURN(sqlite3_stmt* select,
                      c.Prepare("SELECT model, id, data FROM records", false));
  std::vector<std::array<std::string, 3>> rows;
  {
    StmtUse use(select);
    int rc;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
      rows.push_back({ColumnText(select, 0), ColumnText(select, 1), ColumnText(select, 2)});
    }
    if (rc != SQLITE_DONE) return c.Error("read records to upgrade");
  }
  for (auto& [model, id, data] : rows) {
    RC_ASSIGN_OR_RETURN(Json tree, ParseStored(data));
    RC_ASSIGN_OR_RETURN(
        sqlite3_stmt* update,
        c.Prepare("UPDATE records SET data = ?3 WHERE model = ?1 AND id = ?2", false));
    StmtUse use(update);
    BindText(update, 1, model);
    BindText(update, 2, id);
    BindText(update, 3, Record::FromTree(std::move(tree)).text());
    if (sqlite3_step(update) != SQLITE_DONE) return c.Error("upgrade a record");
  }
  return c.Exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
}

Status UpgradeSchema(Connection& c) {
  RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, c.Prepare("PRAGMA user_version", false));
  int version = 0;
  {
    StmtUse use(stmt);
    if (sqlite3_step(stmt) != SQLITE_ROW) return c.Error("PRAGMA user_version");
    version = sqlite3_column_int(stmt, 0);
  }
  if (version > kSchemaVersion) {
    return Status::Storage("sqlite: the database was written by a newer replicore-server (schema " +
                           std::to_string(version) + ")");
  }
  return version < 1 ? CanonicaliseRecords(c) : Status::Ok();
}

Result<std::shared_ptr<Connection>> OpenConnection(const SqliteStoreOptions& options) {
  auto conn = std::make_shared<Connection>();
  int rc = sqlite3_open_v2(options.path.c_str(), &conn->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) return conn->Error("open " + options.path);
  sqlite3_extended_result_codes(conn->db, 1);
  sqlite3_busy_timeout(conn->db, options.busy_timeout_ms);
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  if (sqlite3_create_function_v2(conn->db, "rc_match", 2, flags, &conn->parse_cache, FnMatch,
                                 nullptr, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_create_function_v2(conn->db, "rc_regexp", 3, flags, nullptr, FnRegexp, nullptr,
                                 nullptr, nullptr) != SQLITE_OK ||
      sqlite3_create_collation_v2(conn->db, "rc_utf16", SQLITE_UTF8, nullptr, CollateUtf16,
                                  nullptr) != SQLITE_OK ||
      sqlite3_create_collation_v2(conn->db, "rc_json", SQLITE_UTF8, nullptr, CollateJson,
                                  nullptr) != SQLITE_OK) {
    return conn->Error("register functions");
  }
  RC_RETURN_IF_ERROR(conn->Exec(options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                         : "PRAGMA synchronous=NORMAL"));
  // Pages the OS already holds are read through the mapping instead of pread, and a
  // reader's 8 MB cache (2 MB by default) holds the working set of 10,000 records.
  RC_RETURN_IF_ERROR(conn->Exec("PRAGMA mmap_size=268435456"));
  RC_RETURN_IF_ERROR(conn->Exec("PRAGMA cache_size=-8192"));
  return conn;
}

// Once per process, before the first connection: no global allocation statistics (their
// mutex is taken by every malloc/free of every connection). Refused (SQLITE_MISUSE, kept
// as is) if SQLite was initialised already.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)sqlite3_initialize();
  });
}

// ---------------------------------------------------------------------------------------
// Filters: translated by sql_filter.cc in SQLite's dialect, bound here.

const SqliteDialect kDialect;

void Bind(sqlite3_stmt* stmt, const std::vector<SqlParam>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i + 1);
    const SqlParam& p = params[i];
    switch (p.kind) {
      case SqlParam::Kind::kInt: sqlite3_bind_int64(stmt, index, p.i); break;
      case SqlParam::Kind::kDouble: sqlite3_bind_double(stmt, index, p.d); break;
      case SqlParam::Kind::kText: BindText(stmt, index, p.s); break;
      case SqlParam::Kind::kPointer:
        sqlite3_bind_pointer(stmt, index, const_cast<void*>(p.p), kWherePointerType, nullptr);
        break;
    }
  }
}

// The path of one top-level property (its columns are filled from it).
std::optional<std::string> PropertyPath(const std::string& property) {
  return kDialect.JsonPath({property});
}

const char* const kSchema =
    "CREATE TABLE IF NOT EXISTS records("
    "  model TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,"
    "  PRIMARY KEY(model, id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS changes("
    "  model TEXT NOT NULL, model_id TEXT NOT NULL, id TEXT NOT NULL, rev TEXT, prev TEXT,"
    "  prev_set INTEGER NOT NULL, checkpoint INTEGER NOT NULL, model_name TEXT NOT NULL,"
    "  PRIMARY KEY(model, model_id)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS changes_by_checkpoint ON changes(model, checkpoint, model_id);"
    // count without a where walks this (model, id) index instead of every data page.
    "CREATE INDEX IF NOT EXISTS records_by_model ON records(model);"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)"
    "  WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  seq INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO checkpoint(id, seq) VALUES (1, 1);";

const char* const kChangeColumns =
    "SELECT id, rev, prev, prev_set, checkpoint, model_name, model_id FROM changes ";

// A change row of kChangeColumns' shape, starting at column `first`.
Change ReadChange(sqlite3_stmt* stmt, int first = 0) {
  Change change;
  change.id = ColumnText(stmt, first);
  change.rev = ColumnOptionalText(stmt, first + 1);
  change.prev = ColumnOptionalText(stmt, first + 2);
  change.prev_set = sqlite3_column_int(stmt, first + 3) != 0;
  change.checkpoint = sqlite3_column_int64(stmt, first + 4);
  change.model_name = ColumnText(stmt, first + 5);
  change.model_id = ColumnText(stmt, first + 6);
  return change;
}

// The point reads, on a given connection: a reader's, or the writer's inside the
// transaction of a batch (its preconditions).
Result<std::optional<Record>> GetRecordOn(Connection& c, const std::string& model,
                                          const std::string& id) {
  RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt,
                      c.Prepare("SELECT data FROM records WHERE model = ?1 AND id = ?2", false));
  StmtUse use(stmt);
  BindText(stmt, 1, model);
  BindText(stmt, 2, id);
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::optional<Record>();
  if (rc != SQLITE_ROW) return c.Error("Get");
  return std::optional<Record>(Record::FromCanonicalText(ColumnText(stmt, 0)));
}

Result<std::optional<Change>> GetChangeOn(Connection& c, const std::string& model,
                                          const std::string& model_id) {
  RC_ASSIGN_OR_RETURN(
      sqlite3_stmt* stmt,
      c.Prepare(std::string(kChangeColumns) + "WHERE model = ?1 AND model_id = ?2", false));
  StmtUse use(stmt);
  BindText(stmt, 1, model);
  BindText(stmt, 2, model_id);
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::optional<Change>();
  if (rc != SQLITE_ROW) return c.Error("GetChange");
  return std::optional<Change>(ReadChange(stmt));
}

Result<int64_t> CheckpointOn(Connection& c) {
  RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt,
                      c.Prepare("SELECT seq FROM checkpoint WHERE id = 1", false));
  StmtUse use(stmt);
  if (sqlite3_step(stmt) != SQLITE_ROW) return c.Error("read checkpoint");
  return static_cast<int64_t>(sqlite3_column_int64(stmt, 0));
}

// The detail lines of EXPLAIN QUERY PLAN for a built query, one per line.
Result<std::string> Explain(Connection& c, const SqlQuery& q) {
  sqlite3_stmt* stmt = nullptr;
  std::string sql = "EXPLAIN QUERY PLAN " + q.sql;
  if (sqlite3_prepare_v2(c.db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return c.Error("explain");
  }
  Bind(stmt, q.b.params());
  std::string plan;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) plan += ColumnText(stmt, 3) + "\n";
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return c.Error("explain");
  return plan;
}

// The statement writing a record and the columns of `indexed` (path parameters from ?4).
std::string InsertRecordSql(const IndexedProperties& indexed) {
  std::string columns = "model, id, data", values = "?1, ?2, ?3";
  int param = 4;
  for (const std::string& property : indexed) {
    PropertyColumns names = ColumnsOf(property);
    std::string p = "?" + std::to_string(param++);
    columns += ", " + names.type + ", " + names.value;
    values += ", " + kDialect.JsonType("?3", p) + ", " + kDialect.JsonValue("?3", p);
  }
  return "INSERT OR REPLACE INTO records(" + columns + ") VALUES (" + values + ")";
}

// Deterministic index names, so that declaring again (a restart) finds them.
std::string WhereIndexName(const std::string& property) { return "records_p_" + Hex(property); }

std::string OrderIndexName(const IndexDefinition& index) {
  std::string name = "records_o";
  for (const IndexKey& key : index.keys) {
    name += "_" + Hex(key.property) + (key.descending ? "d" : "a");
  }
  return name;
}

// The properties whose columns exist in the file (rc_t_<hex> names them).
Result<IndexedProperties> ReadIndexedColumns(Connection& c) {
  RC_ASSIGN_OR_RETURN(
      sqlite3_stmt* stmt,
      c.Prepare(
          "SELECT substr(name, 6) FROM pragma_table_info('records') WHERE name LIKE 'rc^_t^_%'"
          " ESCAPE '^'",
          false));
  StmtUse use(stmt);
  IndexedProperties properties;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::optional<std::string> property = Unhex(ColumnText(stmt, 0));
    if (property) properties.insert(*property);  // else not one of ours: leave it alone
  }
  if (rc != SQLITE_DONE) return c.Error("read indexed columns");
  return properties;
}

}  // namespace

// A read scope of SqliteStore::BatchReads, on the stack of its thread (t_scope) from its
// creation to its destruction.
struct SqliteStore::Scope : ReadScope {
  ~Scope() override;
  SqliteStore::Impl* store = nullptr;
  bool exclusive = false;  // reads use the writer connection; this scope holds writer_mu
  Connection* conn = nullptr;
  std::shared_ptr<Connection> borrowed;  // the reader conn is, given back at the end
  bool open = false;  // a read transaction (BEGIN) is open on conn
  Scope* outer = nullptr;
};

namespace {
thread_local SqliteStore::Scope* t_scope = nullptr;

// The writer checkpoints itself after a commit leaving the WAL at this many pages or more
// (SQLite's auto-checkpoint, kept: it is what restarts the WAL under a steady stream of
// writes); the background checkpointer wakes every kBackgroundPages new pages, so that
// inline checkpoint only has the last few pages left to copy and sync.
constexpr int kCheckpointPages = 1000;
constexpr int kBackgroundPages = 128;
}  // namespace

struct SqliteStore::Impl {
  SqliteStoreOptions options;
  bool memory = false;  // one private database: reads share the writer connection

  std::mutex writer_mu;
  std::shared_ptr<Connection> writer;
  uint64_t seq = 0;  // guarded by writer_mu

  // The properties with columns (IndexedProperties): replaced whole under writer_mu and
  // indexed_mu, so that a query holds a consistent set while the declaration goes on.
  std::mutex indexed_mu;
  std::shared_ptr<const IndexedProperties> indexed = std::make_shared<IndexedProperties>();

  std::shared_ptr<const IndexedProperties> Indexed() {
    std::lock_guard<std::mutex> lock(indexed_mu);
    return indexed;
  }

  // Reader connections not in use. A read borrows one (or opens one) and gives it back;
  // past kIdleReaders the returned one is closed, with its page cache: a burst of hundreds
  // of concurrent readers (one thread per connection) must not keep hundreds of caches.
  static constexpr size_t kIdleReaders = 8;
  std::mutex readers_mu;
  std::vector<std::shared_ptr<Connection>> idle_readers;

  // Checkpoints mostly off the request path (file databases): SQLite's auto-checkpoint ran
  // inside the commit crossing 1,000 WAL pages, copying and fsyncing all of them there. The
  // writer's WAL hook (OnWalCommit) replaces it: it wakes this thread every 128 new pages,
  // which runs PASSIVE checkpoints on its own connection (they never block readers or the
  // writer), and still checkpoints inline at 1,000 pages, which then finds nearly
  // everything copied and synced; being the writer, it can restart the WAL, which a
  // checkpoint racing a steady stream of commits never completes. Durability is unchanged:
  // a commit is in the WAL either way.
  std::shared_ptr<Connection> checkpointer;  // used by ckpt_thread only
  std::mutex ckpt_mu;
  std::condition_variable ckpt_cv;
  int wal_pages = 0;  // guarded by ckpt_mu: WAL frames after the last commit
  int backfilled = 0;  // guarded by ckpt_mu: frames of this WAL already checkpointed
  bool stopping = false;  // guarded by ckpt_mu
  std::thread ckpt_thread;

  ~Impl() { StopCheckpointer(); }

  Result<std::shared_ptr<Connection>> BorrowReader() {
    {
      std::lock_guard<std::mutex> lock(readers_mu);
      if (!idle_readers.empty()) {
        std::shared_ptr<Connection> conn = std::move(idle_readers.back());
        idle_readers.pop_back();
        return conn;
      }
    }
    RC_ASSIGN_OR_RETURN(std::shared_ptr<Connection> conn, OpenConnection(options));
    // Readers never write; query_only guards against a bug making one try.
    RC_RETURN_IF_ERROR(conn->Exec("PRAGMA query_only=1"));
    return conn;
  }

  void ReturnReader(std::shared_ptr<Connection> conn) {
    std::lock_guard<std::mutex> lock(readers_mu);
    if (idle_readers.size() < kIdleReaders) idle_readers.push_back(std::move(conn));
  }

  // The innermost read scope of this thread for this store, or nullptr.
  Scope* ActiveScope() {
    for (Scope* s = t_scope; s != nullptr; s = s->outer) {
      if (s->store == this) return s;
    }
    return nullptr;
  }

  // Ends the read transaction of a scope (the next read in it begins a new one).
  static Status EndRead(Scope* scope) {
    if (!scope->open) return Status::Ok();
    scope->open = false;
    Status status = scope->conn->Run("COMMIT");
    if (!sqlite3_get_autocommit(scope->conn->db)) (void)scope->conn->Exec("ROLLBACK");
    return status;
  }

  // Runs `fn(Connection&)` on a connection fit for reading.
  template <typename Fn>
  auto Read(Fn fn) -> decltype(fn(std::declval<Connection&>())) {
    if (Scope* scope = ActiveScope()) {
      if (!scope->open) {
        RC_RETURN_IF_ERROR(scope->conn->Run("BEGIN"));
        scope->open = true;
      }
      return fn(*scope->conn);
    }
    if (memory) {
      std::lock_guard<std::mutex> lock(writer_mu);
      return fn(*writer);
    }
    RC_ASSIGN_OR_RETURN(std::shared_ptr<Connection> conn, BorrowReader());
    auto result = fn(*conn);
    ReturnReader(std::move(conn));
    return result;
  }

  // The writer's WAL hook: after every commit, with writer_mu held.
  static int OnWalCommit(void* arg, sqlite3* db, const char*, int pages) {
    auto* impl = static_cast<Impl*>(arg);
    if (pages >= kCheckpointPages) {
      // What sqlite3_wal_autocheckpoint does (SQLITE_BUSY while the background one runs:
      // the next commit tries again).
      int log = -1, done = -1;
      if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done) ==
              SQLITE_OK &&
          done >= 0) {
        std::lock_guard<std::mutex> lock(impl->ckpt_mu);
        impl->wal_pages = pages;
        impl->backfilled = done;
        return SQLITE_OK;
      }
    }
    bool wake;
    {
      std::lock_guard<std::mutex> lock(impl->ckpt_mu);
      if (pages < impl->backfilled) impl->backfilled = 0;  // the WAL was restarted
      impl->wal_pages = pages;
      wake = pages - impl->backfilled >= kBackgroundPages;
    }
    if (wake) impl->ckpt_cv.notify_one();
    return SQLITE_OK;
  }

  void CheckpointLoop() {
    std::unique_lock<std::mutex> lock(ckpt_mu);
    bool retry = false;  // the last checkpoint left frames behind (readers on them)
    while (!stopping) {
      // After a partial checkpoint, pause before the next attempt rather than spin.
      if (retry) ckpt_cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping; });
      ckpt_cv.wait(lock, [&] { return stopping || wal_pages - backfilled >= kBackgroundPages; });
      if (stopping) break;
      lock.unlock();
      int log = -1, done = -1;
      int rc = sqlite3_wal_checkpoint_v2(checkpointer->db, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                         &log, &done);
      lock.lock();
      if (rc == SQLITE_OK && done >= 0 && log >= 0) {
        if (done <= wal_pages) backfilled = done;
        retry = done < log;
      } else {
        retry = true;  // e.g. SQLITE_BUSY: another checkpoint is running; try again later
      }
    }
  }

  void StopCheckpointer() {
    if (!ckpt_thread.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(ckpt_mu);
      stopping = true;
    }
    ckpt_cv.notify_one();
    ckpt_thread.join();
  }

  Status ApplyLocked(const Batch& batch, int64_t* checkpoint);
};

SqliteStore::Scope::~Scope() {
  (void)Impl::EndRead(this);
  if (exclusive) store->writer_mu.unlock();
  if (borrowed) store->ReturnReader(std::move(borrowed));
  t_scope = outer;
}

bool SqliteStore::SnapshotReads() const { return !impl_->memory; }

std::unique_ptr<ReadScope> SqliteStore::BatchReads(bool exclusive) {
  Impl& impl = *impl_;
  if (impl.memory || impl.ActiveScope() != nullptr) return nullptr;
  std::shared_ptr<Connection> borrowed;
  if (exclusive) {
    impl.writer_mu.lock();
  } else {
    Result<std::shared_ptr<Connection>> conn = impl.BorrowReader();
    if (!conn.ok()) return nullptr;  // reads open their own connection and fail there
    borrowed = std::move(conn).value();
  }
  // Built once it holds what its destructor gives back, and registered last.
  auto scope = std::make_unique<Scope>();
  scope->store = &impl;
  scope->exclusive = exclusive;
  scope->conn = exclusive ? impl.writer.get() : borrowed.get();
  scope->borrowed = std::move(borrowed);
  scope->outer = t_scope;
  t_scope = scope.get();
  return scope;
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options) {
  ConfigureSqliteOnce();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->memory = IsMemoryPath(options.path);
  RC_ASSIGN_OR_RETURN(impl->writer, OpenConnection(options));
  Connection& w = *impl->writer;
  if (!impl->memory) {
    // journal_mode is persistent in the file; the answer says whether WAL took.
    RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, w.Prepare("PRAGMA journal_mode=WAL", false));
    StmtUse use(stmt);
    if (sqlite3_step(stmt) != SQLITE_ROW) return w.Error("PRAGMA journal_mode=WAL");
    std::string mode = ColumnText(stmt, 0);
    if (mode != "wal") return Status::Storage("sqlite: cannot enable WAL (journal_mode=" + mode + ")");
  }
  RC_RETURN_IF_ERROR(w.Exec("BEGIN IMMEDIATE"));
  Status schema = w.Exec(kSchema);
  if (schema.ok()) schema = UpgradeSchema(w);
  if (!schema.ok()) {
    (void)w.Exec("ROLLBACK");
    return schema;
  }
  RC_RETURN_IF_ERROR(w.Exec("COMMIT"));
  RC_ASSIGN_OR_RETURN(IndexedProperties indexed, ReadIndexedColumns(w));
  impl->indexed = std::make_shared<IndexedProperties>(std::move(indexed));
  if (!impl->memory) {
    RC_ASSIGN_OR_RETURN(impl->checkpointer, OpenConnection(options));
    sqlite3_wal_autocheckpoint(w.db, 0);
    sqlite3_wal_hook(w.db, &Impl::OnWalCommit, impl.get());  // replaces the auto-checkpoint
    Impl* raw = impl.get();
    impl->ckpt_thread = std::thread([raw] { raw->CheckpointLoop(); });
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

// The indexes serve every model, and every owner's partition of it ("Todo@<user>"): they
// are on the whole records table, keyed by model first, so `model` names none of them.
// A unique index is built as a plain one: what a store answers never depends on indexes,
// and LoopBack's memory connector does not enforce uniqueness either.
Status SqliteStore::DeclareIndexes(const std::string& model,
                                   const std::vector<IndexDefinition>& indexes) {
  (void)model;
  Impl& impl = *impl_;
  std::lock_guard<std::mutex> lock(impl.writer_mu);
  Connection& c = *impl.writer;
  auto next = std::make_shared<IndexedProperties>(*impl.indexed);
  std::string ddl;
  for (const IndexDefinition& index : indexes) {
    bool sortable = true;
    for (const IndexKey& key : index.keys) {
      // A name no JSON path can spell gets no column: queries on it scan, as before.
      if (!PropertyPath(key.property)) {
        sortable = false;
        continue;
      }
      sortable = sortable && !IsAllDigits(key.property);
      PropertyColumns columns = ColumnsOf(key.property);
      if (next->insert(key.property).second) {
        ddl += "ALTER TABLE records ADD COLUMN " + columns.type + ";";
        ddl += "ALTER TABLE records ADD COLUMN " + columns.value + ";";
      }
      ddl += "CREATE INDEX IF NOT EXISTS " + WhereIndexName(key.property) + " ON records(model, " +
             columns.type + ", " + columns.value + ");";
    }
    if (!sortable) continue;
    std::string terms;
    for (const IndexKey& key : index.keys) {
      terms += ", " + OrderTerms(kDialect, *kDialect.IndexedValue(key.property), key.descending);
    }
    ddl += "CREATE INDEX IF NOT EXISTS " + OrderIndexName(index) + " ON records(model" + terms +
           ");";
  }
  if (ddl.empty()) return Status::Ok();
  RC_RETURN_IF_ERROR(c.Exec("BEGIN IMMEDIATE"));
  Status status = c.Exec(ddl.c_str());
  // New columns take the values of the records already stored, before their index is
  // read; from then on every write sets them (ApplyLocked).
  for (const std::string& property : *next) {
    if (!status.ok() || impl.indexed->count(property)) continue;
    PropertyColumns columns = ColumnsOf(property);
    Result<sqlite3_stmt*> stmt =
        c.Prepare("UPDATE records SET " + columns.type + " = " + kDialect.JsonType("data", "?1") +
                      ", " + columns.value + " = " + kDialect.JsonValue("data", "?1"),
                  false);
    if (!stmt.ok()) {
      status = stmt.status();
      break;
    }
    StmtUse use(*stmt);
    BindText(*stmt, 1, *PropertyPath(property));
    if (sqlite3_step(*stmt) != SQLITE_DONE) status = c.Error("fill indexed columns");
  }
  if (status.ok()) status = c.Exec("COMMIT");
  if (!status.ok()) {
    if (!sqlite3_get_autocommit(c.db)) (void)c.Exec("ROLLBACK");
    return status;
  }
  std::lock_guard<std::mutex> publish(impl.indexed_mu);
  impl.indexed = std::move(next);
  return Status::Ok();
}

Result<std::optional<Record>> SqliteStore::Get(const std::string& model, const std::string& id) {
  return impl_->Read([&](Connection& c) { return GetRecordOn(c, model, id); });
}

Result<std::vector<Record>> SqliteStore::Find(const std::string& model, const Filter& filter) {
  SqlQuery q(&kDialect);
  BuildFind(model, filter, *impl_->Indexed(), &q);
  return impl_->Read([&](Connection& c) -> Result<std::vector<Record>> {
    RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, c.Prepare(q.sql, true));
    StmtUse use(stmt);
    Bind(stmt, q.b.params());
    std::vector<Record> rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      rows.push_back(Record::FromCanonicalText(ColumnText(stmt, 0)));
    }
    if (rc != SQLITE_DONE) return c.Error("Find");
    if (!q.ordered) {  // rows in id order: ordered (an order SQL cannot say) and paged here
      std::vector<const Json*> trees;
      for (const Record& row : rows) trees.push_back(filter.order.empty() ? nullptr : &*row);
      std::vector<Record> page;
      for (size_t i : OrderPage(filter, trees)) page.push_back(std::move(rows[i]));
      rows = std::move(page);
    }
    if (Projects(filter)) {
      for (Record& row : rows) row = Record::FromTree(Project(filter, *row));
    }
    return rows;
  });
}

Result<size_t> SqliteStore::Count(const std::string& model, const Where& where) {
  SqlQuery q(&kDialect);
  BuildCount(model, where, *impl_->Indexed(), &q);
  return impl_->Read([&](Connection& c) -> Result<size_t> {
    RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, c.Prepare(q.sql, true));
    StmtUse use(stmt);
    Bind(stmt, q.b.params());
    if (sqlite3_step(stmt) != SQLITE_ROW) return c.Error("Count");
    return static_cast<size_t>(sqlite3_column_int64(stmt, 0));
  });
}

Result<std::string> SqliteStore::ExplainFind(const std::string& model, const Filter& filter) {
  SqlQuery q(&kDialect);
  BuildFind(model, filter, *impl_->Indexed(), &q);
  return impl_->Read([&](Connection& c) { return Explain(c, q); });
}

Result<std::string> SqliteStore::ExplainCount(const std::string& model, const Where& where) {
  SqlQuery q(&kDialect);
  BuildCount(model, where, *impl_->Indexed(), &q);
  return impl_->Read([&](Connection& c) { return Explain(c, q); });
}

Result<std::optional<Change>> SqliteStore::GetChange(const std::string& model,
                                                     const std::string& model_id) {
  return impl_->Read([&](Connection& c) { return GetChangeOn(c, model, model_id); });
}

// One statement for all ids: they arrive as one bound JSON array, read by json_each, joined
// with both tables on their primary keys.
Result<std::vector<StoredEntry>> SqliteStore::GetMany(const std::string& model,
                                                      const std::vector<std::string>& ids) {
  // json_each cuts a string at an escaped NUL: such an id is looked up one by one.
  for (const std::string& id : ids) {
    if (id.find('\0') != std::string::npos) return Store::GetMany(model, ids);
  }
  // An id that is not valid UTF-8 cannot be a JSON string either.
  Result<std::string> id_array = Serialize(Json(ids));
  if (!id_array.ok()) return Store::GetMany(model, ids);
  return impl_->Read([&](Connection& c) -> Result<std::vector<StoredEntry>> {
    RC_ASSIGN_OR_RETURN(
        sqlite3_stmt* stmt,
        c.Prepare(
            "SELECT r.data, ch.id, ch.rev, ch.prev, ch.prev_set, ch.checkpoint, ch.model_name,"
            " ch.model_id FROM json_each(?2) AS j"
            " LEFT JOIN records AS r ON r.model = ?1 AND r.id = j.value"
            " LEFT JOIN changes AS ch ON ch.model = ?1 AND ch.model_id = j.value"
            " ORDER BY j.key",
            false));
    StmtUse use(stmt);
    BindText(stmt, 1, model);
    BindText(stmt, 2, *id_array);
    std::vector<StoredEntry> entries;
    entries.reserve(ids.size());
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      StoredEntry entry;
      if (std::optional<std::string> data = ColumnOptionalText(stmt, 0)) {
        entry.record = Record::FromCanonicalText(std::move(*data));
      }
      if (sqlite3_column_type(stmt, 1) != SQLITE_NULL) entry.change = ReadChange(stmt, 1);
      entries.push_back(std::move(entry));
    }
    if (rc != SQLITE_DONE) return c.Error("GetMany");
    if (entries.size() != ids.size()) return Status::Storage("sqlite: GetMany lost ids");
    return entries;
  });
}

Result<std::vector<Change>> SqliteStore::Changes(const ChangeQuery& query) {
  return impl_->Read([&](Connection& c) -> Result<std::vector<Change>> {
    // checkpoint >= since, and strictly after the cursor when one is given: together they
    // start at the later of the two positions, as MemoryStore does.
    std::string sql = std::string(kChangeColumns) + "WHERE model = ?1 AND checkpoint >= ?2";
    if (query.after) sql += " AND (checkpoint, model_id) > (?4, ?5)";
    sql += " ORDER BY checkpoint, model_id LIMIT ?3";
    RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, c.Prepare(sql, false));
    StmtUse use(stmt);
    BindText(stmt, 1, query.model);
    sqlite3_bind_int64(stmt, 2, query.since);
    sqlite3_bind_int64(stmt, 3, query.limit ? ClampToInt64(*query.limit) : -1);
    if (query.after) {
      sqlite3_bind_int64(stmt, 4, query.after->first);
      BindText(stmt, 5, query.after->second);
    }
    std::vector<Change> out;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) out.push_back(ReadChange(stmt));
    if (rc != SQLITE_DONE) return c.Error("Changes");
    return out;
  });
}

Result<int64_t> SqliteStore::CurrentCheckpoint() {
  return impl_->Read([&](Connection& c) { return CheckpointOn(c); });
}

Result<std::optional<Json>> SqliteStore::GetMeta(const std::string& key) {
  return impl_->Read([&](Connection& c) -> Result<std::optional<Json>> {
    RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt,
                        c.Prepare("SELECT value FROM meta WHERE key = ?1", false));
    StmtUse use(stmt);
    BindText(stmt, 1, key);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return std::optional<Json>();
    if (rc != SQLITE_ROW) return c.Error("GetMeta");
    RC_ASSIGN_OR_RETURN(Json value, ParseStored(ColumnText(stmt, 0)));
    return std::optional<Json>(std::move(value));
  });
}

// The body of one batch, inside the caller's transaction.
Status SqliteStore::Impl::ApplyLocked(const Batch& batch, int64_t* checkpoint) {
  Connection& c = *writer;
  // Inside the transaction (BEGIN IMMEDIATE holds the write lock), so no other writer,
  // in this process or another, comes between these reads and the writes below.
  for (const Precondition& precondition : batch.preconditions) {
    RC_ASSIGN_OR_RETURN(std::optional<Record> record,
                        GetRecordOn(c, precondition.model, precondition.id));
    RC_ASSIGN_OR_RETURN(std::optional<Change> change,
                        GetChangeOn(c, precondition.model, precondition.id));
    if (!Holds(precondition, record ? &*record : nullptr, change ? &*change : nullptr)) {
      return RecordChanged(precondition.model, precondition.id);
    }
  }
  if (batch.expected_checkpoint) {
    RC_ASSIGN_OR_RETURN(int64_t current, CheckpointOn(c));
    if (current != *batch.expected_checkpoint) return CheckpointMoved(current);
  }
  auto step = [&](sqlite3_stmt* stmt, const char* what) -> Status {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc == SQLITE_DONE ? Status::Ok() : c.Error(what);
  };
  const std::string insert_record = InsertRecordSql(*indexed);
  std::vector<std::string> paths;
  for (const std::string& property : *indexed) paths.push_back(*PropertyPath(property));
  for (const RecordWrite& write : batch.records) {
    if (write.data) {
      RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, c.Prepare(insert_record, false));
      BindText(stmt, 1, write.model);
      BindText(stmt, 2, write.id);
      BindText(stmt, 3, write.data->text());
      for (size_t i = 0; i < paths.size(); ++i) BindText(stmt, static_cast<int>(i) + 4, paths[i]);
      RC_RETURN_IF_ERROR(step(stmt, "write record"));
    } else {
      RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt,
                          c.Prepare("DELETE FROM records WHERE model = ?1 AND id = ?2", false));
      BindText(stmt, 1, write.model);
      BindText(stmt, 2, write.id);
      RC_RETURN_IF_ERROR(step(stmt, "delete record"));
    }
  }
  for (const ChangeWrite& write : batch.changes) {
    if (write.change) {
      const Change& ch = *write.change;
      RC_ASSIGN_OR_RETURN(
          sqlite3_stmt* stmt,
          c.Prepare(
              "INSERT OR REPLACE INTO changes(model, model_id, id, rev, prev, prev_set, checkpoint,"
              " model_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
              false));
      BindText(stmt, 1, write.model);
      BindText(stmt, 2, write.model_id);
      BindText(stmt, 3, ch.id);
      if (ch.rev) BindText(stmt, 4, *ch.rev);  // unbound parameters are NULL
      if (ch.prev) BindText(stmt, 5, *ch.prev);
      sqlite3_bind_int(stmt, 6, ch.prev_set ? 1 : 0);
      sqlite3_bind_int64(stmt, 7, ch.checkpoint);
      BindText(stmt, 8, ch.model_name);
      RC_RETURN_IF_ERROR(step(stmt, "write change"));
    } else {
      RC_ASSIGN_OR_RETURN(
          sqlite3_stmt* stmt,
          c.Prepare("DELETE FROM changes WHERE model = ?1 AND model_id = ?2", false));
      BindText(stmt, 1, write.model);
      BindText(stmt, 2, write.model_id);
      RC_RETURN_IF_ERROR(step(stmt, "delete change"));
    }
  }
  if (batch.checkpoint) {
    RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt,
                        c.Prepare("UPDATE checkpoint SET seq = ?1 WHERE id = 1", false));
    sqlite3_bind_int64(stmt, 1, *batch.checkpoint);
    RC_RETURN_IF_ERROR(step(stmt, "write checkpoint"));
  }
  for (const auto& [key, value] : batch.meta) {
    if (value.is_null()) {
      RC_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, c.Prepare("DELETE FROM meta WHERE key = ?1", false));
      BindText(stmt, 1, key);
      RC_RETURN_IF_ERROR(step(stmt, "delete meta"));
    } else {
      Result<std::string> text = Serialize(value);
      if (!text.ok()) return Status::Storage("meta " + key + ": " + text.status().message());
      RC_ASSIGN_OR_RETURN(
          sqlite3_stmt* stmt,
          c.Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", false));
      BindText(stmt, 1, key);
      BindText(stmt, 2, *text);
      RC_RETURN_IF_ERROR(step(stmt, "write meta"));
    }
  }
  RC_ASSIGN_OR_RETURN(*checkpoint, CheckpointOn(c));
  return Status::Ok();
}

Result<CommittedBatch> SqliteStore::Apply(Batch batch) {
  Scope* scope = impl_->ActiveScope();
  bool exclusive = scope != nullptr && scope->exclusive;
  std::unique_lock<std::mutex> lock(impl_->writer_mu, std::defer_lock);
  if (exclusive) {
    // The scope holds writer_mu and may have a read transaction open on the writer.
    RC_RETURN_IF_ERROR(Impl::EndRead(scope));
  } else {
    lock.lock();
  }
  Connection& c = *impl_->writer;
  int64_t checkpoint = 0;
  RC_RETURN_IF_ERROR(c.Exec("BEGIN IMMEDIATE"));
  Status status = impl_->ApplyLocked(batch, &checkpoint);
  if (status.ok()) status = c.Exec("COMMIT");
  if (!status.ok()) {
    // Nothing of the batch may remain. (A failed COMMIT may already have rolled back.)
    if (!sqlite3_get_autocommit(c.db)) (void)c.Exec("ROLLBACK");
    return status;
  }
  // A shared scope of this thread reads on after the batch: its snapshot must include it.
  if (scope != nullptr && !exclusive) (void)Impl::EndRead(scope);
  return CommittedAs(std::move(batch), ++impl_->seq, checkpoint);
}

}  // namespace replicore
