// PostgresStore: the Store contract over a PostgreSQL database, through libpq.
//
// Layout (every table named replicore_*, in the schema of PostgresStoreOptions):
//   replicore_schema(version)                                   one row: the layout's version
//   replicore_records(model, id, data text)                     PRIMARY KEY(model, id)
//     + per indexed property: generated columns rc_t_/rc_n_/rc_x_<sha1> (its type, number
//       and UTF-16 key) and INDEX replicore_w_<sha1> on them; per declared index
//       replicore_o_<sha1>(model, its keys' order terms, id); replicore_records_nul
//   replicore_changes(model, model_id, id, rev, prev, prev_set, checkpoint, model_name)
//                                                               PRIMARY KEY(model, model_id)
//     + INDEX replicore_changes_by_checkpoint(model, checkpoint, model_id)
//   replicore_meta(key, value JSON text)                        PRIMARY KEY(key)
//   replicore_checkpoint(id = 1, seq)                           one row, starts at 1
// Keys are `text COLLATE "C"`: byte order, which is the order of ids SqliteStore and
// MemoryStore give, whatever the database's locale.
//
// Records stay the canonical text the core made (jsonb would reorder keys, rewrite numbers
// and refuse \u0000).
//
// Several processes: Apply's transaction first locks the one checkpoint row (SELECT ... FOR
// UPDATE), so the batches of every server on the database commit one after another, like
// SQLite's BEGIN IMMEDIATE; preconditions are read inside that transaction (READ COMMITTED:
// each statement sees every batch committed before it, and none can commit meanwhile).
// A server killed mid-batch leaves an open transaction that PostgreSQL rolls back.
//
// Filters, two ways, both with bound parameters only:
// - Translated (sql_filter.h with PostgresDialect): a filter whose conditions and order keys
//   all name properties of the model's declared indexes is filtered, ordered and paged by
//   PostgreSQL through expression indexes on replicore_type/number/text16 (schema version
//   2). The statement checks in its own snapshot (Unsafe) that no record of the model holds
//   an escaped NUL and none holds an array or object at those properties; if one does, the
//   second way answers.
// - Otherwise the where becomes a condition keeping at least every matching record (top-
//   level equality and inq on indexed properties, through their columns); the core's
//   Matches decides every row, and OrderRecordsPage orders, pages and projects.
// Either way results equal MemoryStore's: UTF-16 string order, mixed types, regexps and
// strings holding NUL never depend on PostgreSQL's semantics.
#include "replicore/postgres_store.h"

#include <libpq-fe.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "replicore/postgres_dialect.h"
#include "replicore/sha1.h"
#include "replicore/sql_filter.h"

namespace replicore {

bool IsPostgresUrl(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

namespace {

using Params = std::vector<std::optional<std::string>>;  // nullopt: SQL NULL

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Whether `s` can be a PostgreSQL text of a UTF8 database: valid UTF-8 (no overlong forms,
// no surrogates) without NUL. SQLite stores any bytes; an id that is no such text cannot
// be stored here, so reads of it find nothing and writes of it are refused.
bool IsPgText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
    if (n == 0 || c > 0xF4 || i + n >= s.size()) return false;
    uint32_t cp = c & (0x3F >> n);
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// The advisory lock key serialising schema creation and index declarations across servers.
constexpr int64_t kDdlLockKey = 0x7265706c69636f72;  // "replicor"

struct Connection {
  PGconn* conn = nullptr;
  std::unordered_map<std::string, std::string> prepared;  // SQL -> statement name

  ~Connection() {
    if (conn != nullptr) PQfinish(conn);
  }

  bool Healthy() const { return PQstatus(conn) == CONNECTION_OK; }

  Status Error(const std::string& what, const PGresult* result = nullptr) const {
    std::string message = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return Status::Storage("postgresql: " + what + ": " + message);
  }

  // Runs `sql` with text parameters. `prepare`: the statement is prepared once per
  // connection and reused (fixed statements); otherwise it is planned with these values.
  Result<PgResult> Exec(const std::string& sql, const Params& params, bool prepare,
                        const char* what) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const std::optional<std::string>& p : params) {
      // libpq takes text parameters as C strings, and PostgreSQL's text holds no NUL
      // and only valid UTF-8.
      if (p && !IsPgText(*p)) {
        return Status::BadRequest(std::string(what) +
                                  ": PostgreSQL text cannot hold NUL (\\u0000) or invalid UTF-8");
      }
      values.push_back(p ? p->c_str() : nullptr);
    }
    const int n = static_cast<int>(values.size());
    PGresult* raw = nullptr;
    // Statements the filter translation writes vary with the filter's shape: past a bound,
    // a new one is planned once instead of kept (server memory, and PostgreSQL's).
    constexpr size_t kMaxPrepared = 200;
    if (prepare && prepared.size() >= kMaxPrepared && prepared.count(sql) == 0) prepare = false;
    if (prepare) {
      auto it = prepared.find(sql);
      if (it == prepared.end()) {
        std::string name = "rc" + std::to_string(prepared.size() + 1);
        PgResult made(PQprepare(conn, name.c_str(), sql.c_str(), 0, nullptr));
        if (PQresultStatus(made.get()) != PGRES_COMMAND_OK) return Error(what, made.get());
        it = prepared.emplace(sql, name).first;
      }
      raw = PQexecPrepared(conn, it->second.c_str(), n, values.data(), nullptr, nullptr, 0);
    } else {
      raw = PQexecParams(conn, sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0);
    }
    PgResult result(raw);
    ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Error(what, result.get());
    return result;
  }

  // Statements without parameters (BEGIN, DDL); several may be joined with ';'.
  Status Run(const std::string& sql, const char* what) {
    PgResult result(PQexec(conn, sql.c_str()));
    ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Error(what, result.get());
    return Status::Ok();
  }
};

std::string Text(const PGresult* r, int row, int column) {
  return std::string(PQgetvalue(r, row, column), static_cast<size_t>(PQgetlength(r, row, column)));
}

std::optional<std::string> OptionalText(const PGresult* r, int row, int column) {
  if (PQgetisnull(r, row, column)) return std::nullopt;
  return Text(r, row, column);
}

// A PostgreSQL array literal ({"a","b",NULL}) of texts, each quoted and escaped.
std::string TextArray(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    if (!items[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string TextArray(const std::vector<std::string>& items) {
  return TextArray(std::vector<std::optional<std::string>>(items.begin(), items.end()));
}

Result<std::string> Serialize(const Json& value) {
  try {
    return value.dump();
  } catch (const std::exception& e) {
    return Status::Storage(std::string("cannot serialize JSON: ") + e.what());
  }
}

const char* const kChangeColumns = "id, rev, prev, prev_set, checkpoint, model_name, model_id";

// A change row of kChangeColumns' shape, starting at column `first`.
Change ReadChange(const PGresult* r, int row, int first) {
  Change change;
  change.id = Text(r, row, first);
  change.rev = OptionalText(r, row, first + 1);
  change.prev = OptionalText(r, row, first + 2);
  change.prev_set = Text(r, row, first + 3) == "t";
  change.checkpoint = std::strtoll(PQgetvalue(r, row, first + 4), nullptr, 10);
  change.model_name = Text(r, row, first + 5);
  change.model_id = Text(r, row, first + 6);
  return change;
}



// The record and change row of each id, in order: one statement.
// The record (unless !with_records) and change row of each id, in one statement.
Result<std::vector<StoredEntry>> GetManyOn(Connection& c, const std::string& model,
                                           const std::vector<std::string>& ids,
                                           bool with_records) {
  std::vector<StoredEntry> entries(ids.size());
  // Such an id cannot be stored (not a PostgreSQL text, IsPgText): it is absent.
  std::vector<std::string> asked;
  std::vector<size_t> at;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!IsPgText(ids[i])) continue;
    asked.push_back(ids[i]);
    at.push_back(i);
  }
  if (asked.empty()) return entries;
  RC_ASSIGN_OR_RETURN(
      PgResult r,
      c.Exec(with_records
                 ? "SELECT r.data, ch.id, ch.rev, ch.prev, ch.prev_set, ch.checkpoint,"
                   " ch.model_name, ch.model_id FROM unnest($2::text[]) WITH ORDINALITY AS"
                   " j(id, n) LEFT JOIN replicore_records AS r ON r.model = $1 AND r.id = j.id"
                   " LEFT JOIN replicore_changes AS ch ON ch.model = $1 AND ch.model_id = j.id"
                   " ORDER BY j.n"
                 : "SELECT NULL, ch.id, ch.rev, ch.prev, ch.prev_set, ch.checkpoint,"
                   " ch.model_name, ch.model_id FROM unnest($2::text[]) WITH ORDINALITY AS"
                   " j(id, n) LEFT JOIN replicore_changes AS ch ON ch.model = $1 AND"
                   " ch.model_id = j.id ORDER BY j.n",
             {model, TextArray(asked)}, true, "GetMany"));
  if (static_cast<size_t>(PQntuples(r.get())) != asked.size()) {
    return Status::Storage("postgresql: GetMany lost ids");
  }
  for (size_t row = 0; row < asked.size(); ++row) {
    StoredEntry& entry = entries[at[row]];
    const int i = static_cast<int>(row);
    if (!PQgetisnull(r.get(), i, 0)) entry.record = Record::FromCanonicalText(Text(r.get(), i, 0));
    if (!PQgetisnull(r.get(), i, 1)) entry.change = ReadChange(r.get(), i, 1);
  }
  return entries;
}

Result<int64_t> CheckpointOn(Connection& c, bool lock) {
  RC_ASSIGN_OR_RETURN(PgResult r, c.Exec(lock ? "SELECT seq FROM replicore_checkpoint WHERE id = 1"
                                                " FOR UPDATE"
                                              : "SELECT seq FROM replicore_checkpoint WHERE id = 1",
                                         {}, true, "read checkpoint"));
  if (PQntuples(r.get()) != 1) return Status::Storage("postgresql: the checkpoint row is missing");
  return static_cast<int64_t>(std::strtoll(PQgetvalue(r.get(), 0, 0), nullptr, 10));
}

// Version 1, as a new database gets it; kMigrations then bring it to kSchemaVersion.
const char* const kSchema =
    "CREATE TABLE replicore_records("
    "  model text COLLATE \"C\" NOT NULL, id text COLLATE \"C\" NOT NULL, data text NOT NULL,"
    "  PRIMARY KEY(model, id));"
    "CREATE TABLE replicore_changes("
    "  model text COLLATE \"C\" NOT NULL, model_id text COLLATE \"C\" NOT NULL,"
    "  id text NOT NULL, rev text, prev text, prev_set boolean NOT NULL,"
    "  checkpoint bigint NOT NULL, model_name text NOT NULL,"
    "  PRIMARY KEY(model, model_id));"
    "CREATE INDEX replicore_changes_by_checkpoint"
    "  ON replicore_changes(model, checkpoint, model_id);"
    "CREATE TABLE replicore_meta(key text COLLATE \"C\" PRIMARY KEY, value text NOT NULL);"
    "CREATE TABLE replicore_checkpoint(id integer PRIMARY KEY CHECK (id = 1),"
    "  seq bigint NOT NULL);"
    "INSERT INTO replicore_checkpoint(id, seq) VALUES (1, 1);"
    // The value of a top-level property when it is a string, number or boolean, else NULL:
    // absent, null, an array, an object, or any property of a record holding an escaped
    // NUL (jsonb refuses \u0000): the core decides those. What declared indexes hold.
    // Its body names no other function, so it works whatever the caller's search_path.
    "CREATE FUNCTION replicore_scalar(data text, key text) RETURNS jsonb LANGUAGE sql"
    "  IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT CASE WHEN strpos(data, '\\u0000') > 0"
    "  THEN NULL WHEN jsonb_typeof(data::jsonb -> key) IN ('string','number','boolean')"
    "  THEN data::jsonb -> key END $$;"
    "INSERT INTO replicore_schema(version) VALUES (1);";

// kMigrations[v - 1] takes version v to v + 1.
const char* const kMigrations[] = {
    // 2: the filter translation (PostgresDialect). Generated columns of each indexed
    // property (PostgresStore::DeclareIndexes) hold what these functions compute once per
    // write: PL/pgSQL parses the record once per call, where SQL parsed it per use. A
    // record holding an escaped NUL gets NULL in every column (the core decides the queries
    // of its model), so does an absent property. Version 1's expression indexes on
    // replicore_scalar go: the columns serve what they served.
    // replicore_type: the type as SQLite's json_type names it ('integer' or 'real' from
    // the number's text, which the core wrote).
    "CREATE OR REPLACE FUNCTION replicore_type(data text, key text) RETURNS text"
    "  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$ DECLARE v json; k text; BEGIN"
    "  IF strpos(data, '\\u0000') > 0 THEN RETURN NULL; END IF;"
    "  v := data::json -> key; k := json_typeof(v);"
    "  IF k = 'number' THEN RETURN CASE WHEN v::text ~ '[.eE]' THEN 'real' ELSE 'integer' END;"
    "  END IF; IF k = 'string' THEN RETURN 'text'; END IF;"
    "  IF k = 'boolean' THEN RETURN v::text; END IF; RETURN k; END $$;"
    // replicore_number: a number exactly (numeric), a boolean as 1/0.
    "CREATE OR REPLACE FUNCTION replicore_number(data text, key text) RETURNS numeric"
    "  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$ DECLARE v json; k text; BEGIN"
    "  IF strpos(data, '\\u0000') > 0 THEN RETURN NULL; END IF;"
    "  v := data::json -> key; k := json_typeof(v);"
    "  IF k = 'number' THEN RETURN v::text::numeric; END IF;"
    "  IF k = 'boolean' THEN RETURN CASE WHEN v::text = 'true' THEN 1 ELSE 0 END; END IF;"
    "  RETURN NULL; END $$;"
    // replicore_text16: a string property as replicore_utf16's key (below).
    "CREATE OR REPLACE FUNCTION replicore_text16(data text, key text) RETURNS text"
    "  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$ DECLARE v json; BEGIN"
    "  IF strpos(data, '\\u0000') > 0 THEN RETURN NULL; END IF;"
    "  v := data::json -> key;"
    "  IF json_typeof(v) IS DISTINCT FROM 'string' THEN RETURN NULL; END IF;"
    "  RETURN regexp_replace(v #>> '{}', '([\\U00010000-\\U0010FFFF])', chr(55295) ||"
    "  '\\1', 'g'); END $$;"
    "DO $$ DECLARE i record; BEGIN FOR i IN SELECT indexname FROM pg_indexes WHERE"
    "  schemaname = current_schema() AND indexname LIKE 'replicore\\_p\\_%' LOOP"
    "  EXECUTE format('DROP INDEX %I', i.indexname); END LOOP; END $$;"
    "DROP FUNCTION IF EXISTS replicore_scalar(text, text);"
    // replicore_utf16: a key whose byte ("C") order is JavaScript's UTF-16 order: U+D7FF
    // before each character above U+FFFF puts those between U+D7FF and U+E000, where
    // their surrogates sort, and keeps their order among themselves.
    "CREATE OR REPLACE FUNCTION replicore_utf16(s text) RETURNS text"
    "  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT regexp_replace(s,"
    "  '([\\U00010000-\\U0010FFFF])', chr(55295) || '\\1', 'g') $$;"
    // On the position (not a partial index, nor one on "> 0"): the planner then reads it
    // for the check's range instead of scanning the model for a first such record.
    "CREATE INDEX IF NOT EXISTS replicore_records_nul ON replicore_records(model,"
    "  strpos(data, '\\u0000'));",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) + 1 ==
                  static_cast<size_t>(PostgresStore::kSchemaVersion),
              "one migration per version after the first");

// Brings a database of `version` to kSchemaVersion, inside the caller's transaction.
Status Migrate(Connection& c, long version) {
  for (long v = version; v < PostgresStore::kSchemaVersion; ++v) {
    RC_RETURN_IF_ERROR(c.Run(kMigrations[v - 1], "migrate the schema"));
  }
  if (version == PostgresStore::kSchemaVersion) return Status::Ok();
  return c.Exec("UPDATE replicore_schema SET version = $1::integer",
                {std::to_string(PostgresStore::kSchemaVersion)}, false, "set the schema version")
      .status();
}

// Creates the tables on first open, checks the version otherwise; one server at a time.
Status CreateOrCheckSchema(Connection& c, const std::string& schema) {
  RC_RETURN_IF_ERROR(c.Run("BEGIN", "begin"));
  auto body = [&]() -> Status {
    RC_RETURN_IF_ERROR(c.Exec("SELECT pg_advisory_xact_lock($1::bigint)",
                              {std::to_string(kDdlLockKey)}, false, "lock the schema")
                           .status());
    if (!schema.empty()) {
      char* quoted = PQescapeIdentifier(c.conn, schema.c_str(), schema.size());
      if (quoted == nullptr) return c.Error("quote the schema name");
      std::string sql = std::string("CREATE SCHEMA IF NOT EXISTS ") + quoted;
      PQfreemem(quoted);
      RC_RETURN_IF_ERROR(c.Run(sql, "create the schema"));
    }
    RC_RETURN_IF_ERROR(
        c.Run("CREATE TABLE IF NOT EXISTS replicore_schema(version integer NOT NULL)",
              "create replicore_schema"));
    RC_ASSIGN_OR_RETURN(PgResult r, c.Exec("SELECT max(version) FROM replicore_schema", {}, false,
                                           "read the schema version"));
    long version = 1;
    if (PQgetisnull(r.get(), 0, 0)) {
      RC_RETURN_IF_ERROR(c.Run(kSchema, "create the tables"));
    } else {
      version = std::strtol(PQgetvalue(r.get(), 0, 0), nullptr, 10);
    }
    if (version > PostgresStore::kSchemaVersion) {
      return Status::Storage(
          "postgresql: the database holds replicore schema version " + std::to_string(version) +
          ", newer than this replicore-server's (" +
          std::to_string(PostgresStore::kSchemaVersion) + "): run a newer replicore-server");
    }
    return Migrate(c, version);
  };
  Status status = body();
  if (status.ok()) status = c.Run("COMMIT", "commit the schema");
  if (!status.ok()) (void)c.Run("ROLLBACK", "rollback");
  return status;
}

// ---------------------------------------------------------------------------------------
// Filters: a SQL condition keeping at least every record the where matches.

class Prefilter {
 public:
  // Borrows both. Conditions on `indexed` properties narrow through their columns.
  Prefilter(Params* params, const IndexedProperties* indexed)
      : params_(params), indexed_(indexed) {}

  // nullopt: no restriction (every record is a candidate).
  std::optional<std::string> Node(const Where& w) {
    switch (w.kind) {
      case Where::Kind::kAnd: {
        std::string out;
        for (const Where& child : w.children) {
          std::optional<std::string> sql = Node(child);
          if (!sql) continue;
          out += (out.empty() ? "" : " AND ") + *sql;
        }
        if (out.empty()) return std::nullopt;
        return "(" + out + ")";
      }
      case Where::Kind::kOr: {
        if (w.children.empty()) return std::nullopt;
        std::string out;
        const size_t bound = params_->size();
        for (const Where& child : w.children) {
          std::optional<std::string> sql = Node(child);
          if (!sql) {
            params_->resize(bound);  // the arms before bound parameters no SQL uses
            return std::nullopt;
          }
          out += (out.empty() ? "" : " OR ") + *sql;
        }
        return "(" + out + ")";
      }
      case Where::Kind::kCondition:
        return Condition(w);
    }
    return std::nullopt;
  }

 private:
  std::string Param(std::string value) {
    params_->push_back(std::move(value));
    return "$" + std::to_string(params_->size());
  }

  // A scalar whose SQL equality is the core's LooseEquals: booleans, strings (compared
  // byte-wise; a NUL cannot be bound) and integers that doubles hold exactly (the core
  // compares an integer with a double as doubles, numeric exactly).
  static bool Exact(const Json& v) {
    if (v.is_boolean()) return true;
    if (v.is_string()) return IsPgText(v.get_ref<const std::string&>());
    constexpr int64_t kExactDouble = int64_t{1} << 53;
    if (v.is_number_integer() && !v.is_number_unsigned()) {
      const int64_t i = v.get<int64_t>();
      return i >= -kExactDouble && i <= kExactDouble;
    }
    if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(kExactDouble);
    return false;
  }

  // Top-level equality and inq on an indexed property: the stored value equals an operand,
  // or is something the core has to look at (absent, null, an array matched element-wise,
  // an object, or any property of a record holding NUL: its columns are NULL).
  std::optional<std::string> Condition(const Where& w) {
    if (w.path.size() != 1 || !indexed_->count(w.path[0])) return std::nullopt;
    Json operands = Json::array();
    if (w.op == WhereOp::kEq) {
      operands.push_back(w.value);
    } else if (w.op == WhereOp::kInq && w.value.is_array()) {
      operands = w.value;
    } else {
      return std::nullopt;
    }
    Json strings = Json::array(), numbers = Json::array();
    std::vector<std::string> types = {"null", "array", "object"};
    for (const Json& v : operands) {
      if (!Exact(v)) return std::nullopt;
      if (v.is_boolean()) types.push_back(v.get<bool>() ? "true" : "false");
      if (v.is_string()) strings.push_back(v);
      if (v.is_number()) numbers.push_back(v);
    }
    const SqlValue column = PostgresDialect::ValueOf(w.path[0]);
    std::string out = "(" + column.t + " IS NULL OR " + column.t + " = ANY(" +
                      Param(TextArray(types)) + "::text[])";
    if (!strings.empty()) {
      out += " OR (" + column.t + " = 'text' AND " + column.x +
             " IN (SELECT replicore_utf16(value) COLLATE \"C\" FROM json_array_elements_text(" +
             Param(strings.dump()) + "::json)))";
    }
    if (!numbers.empty()) {
      out += " OR (" + column.t + " IN ('integer','real') AND " + column.n +
             " IN (SELECT value::numeric FROM json_array_elements_text(" +
             Param(numbers.dump()) + "::json)))";
    }
    return out + ")";
  }

  Params* params_;
  const IndexedProperties* indexed_;
};

struct Query {
  std::string sql;
  Params params;
  bool exact = false;  // the SQL selects exactly the page: no Matches, no paging in C++
};

// SELECT data, id of the model's candidate records for `where` (the core decides).
Query BuildCandidates(const std::string& model, const Filter& filter,
                      const IndexedProperties& indexed) {
  Query q;
  q.params.push_back(model);
  q.sql = "SELECT data, id FROM replicore_records WHERE model = $1";
  if (MatchesAll(filter.where) && filter.order.empty()) {
    // The page in id order, the order the core gives an unordered find.
    q.exact = true;
    q.sql += " ORDER BY id";
    // Counts past bigint (a filter may hold any uint64) read as "to the end".
    if (filter.limit) {
      q.params.push_back(std::to_string(ClampToInt64(*filter.limit)));
      q.sql += " LIMIT $2::bigint";
    }
    q.params.push_back(std::to_string(ClampToInt64(filter.skip)));
    q.sql += " OFFSET $" + std::to_string(q.params.size()) + "::bigint";
    return q;
  }
  Prefilter prefilter(&q.params, &indexed);
  if (std::optional<std::string> condition = prefilter.Node(filter.where)) {
    q.sql += " AND " + *condition;
  }
  return q;
}

const PostgresDialect kDialect;

// What the filter translation reads for one declared index: per property, generated
// columns of its type, number and UTF-16 key (computed once per write instead of per row
// read: each function parses the record) and an index on them (equality, ranges, counts);
// and an index in the order of all its keys (an ORDER BY of the same terms with a limit
// reads the index instead of sorting). ADD COLUMN computes the rows already stored.
// Adds the statements for `index` to `ddl` and its properties to `columns`; an index with
// a name that cannot be a literal (PostgresDialect::IsPlainName) gets none.
void TranslationDdl(const IndexDefinition& index, std::vector<std::string>* ddl,
                    IndexedProperties* columns) {
  for (const IndexKey& key : index.keys) {
    if (!PostgresDialect::IsPlainName(key.property)) return;
  }
  std::string order_terms, order_key;
  bool ordered = true;
  for (const IndexKey& key : index.keys) {
    const SqlValue v = PostgresDialect::ValueOf(key.property);
    const SqlValue f = PostgresDialect::Computed(key.property);
    ddl->push_back("ALTER TABLE replicore_records ADD COLUMN IF NOT EXISTS " + v.t +
                   " text GENERATED ALWAYS AS (" + f.t + ") STORED, ADD COLUMN IF NOT EXISTS " +
                   v.n + " numeric GENERATED ALWAYS AS (" + f.n +
                   ") STORED, ADD COLUMN IF NOT EXISTS " + v.x +
                   " text COLLATE \"C\" GENERATED ALWAYS AS (" + f.x + ") STORED");
    ddl->push_back("CREATE INDEX IF NOT EXISTS replicore_w_" + v.t.substr(5) +
                   " ON replicore_records(model, " + v.t + ", " + v.n + ", " + v.x + ")");
    columns->insert(key.property);
    const std::string dir = key.descending ? " DESC" : " ASC";
    order_terms += ", (" + TypeRank(v.t) + ")" + dir + ", " + kDialect.OrderValueTerms(v, dir);
    order_key += key.property + (key.descending ? " -1;" : " 1;");
    ordered = ordered && !IsAllDigits(key.property);  // an array index: ordered by the core
  }
  if (!ordered) return;
  ddl->push_back("CREATE INDEX IF NOT EXISTS replicore_o_" + Sha1Hex(order_key).substr(0, 24) +
                 " ON replicore_records(model" + order_terms + ", id)");
}

// Whether the translated query can be trusted: a model holding a record with an escaped NUL
// (every property of it reads as NULL in SQL), or an array or object at a property the SQL
// leaves those to the core for (SqlQuery::composite), is answered by the core. A scalar
// subquery of the statement itself, so it reads the statement's snapshot.
std::string Unsafe(const std::string& model_param, const std::set<std::string>& composite) {
  std::string sql = "(SELECT EXISTS(SELECT 1 FROM replicore_records WHERE model = " + model_param +
                    " AND strpos(data, '\\u0000') > 0)";
  for (const std::string& property : composite) {
    sql += " OR EXISTS(SELECT 1 FROM replicore_records WHERE model = " + model_param + " AND " +
           PostgresDialect::ValueOf(property).t + " IN ('array','object'))";
  }
  return sql + ")";
}

// A translated statement with Unsafe as its first column, and its parameters as libpq's.
struct Translated {
  std::string sql;
  Params params;
};
Translated WithUnsafe(const SqlQuery& q);

// The find `filter` as one translated statement, or nullopt when the translation left
// something to the core.
std::optional<Translated> TranslateFind(const std::string& model, const Filter& filter,
                                        const IndexedProperties& indexed) {
  SqlQuery q(&kDialect);
  BuildFind(model, filter, indexed, &q);
  if (!q.exact || !q.ordered) return std::nullopt;
  return WithUnsafe(q);
}
Translated WithUnsafe(const SqlQuery& q) {
  Translated t;
  t.sql = "SELECT " + Unsafe("$1", q.composite) + ", " + q.sql.substr(std::string("SELECT ").size());
  for (const SqlParam& p : q.b.params()) {
    switch (p.kind) {
      case SqlParam::Kind::kInt: t.params.push_back(std::to_string(p.i)); break;
      case SqlParam::Kind::kDouble: t.params.push_back(Json(p.d).dump()); break;
      case SqlParam::Kind::kText: t.params.push_back(p.s); break;
      case SqlParam::Kind::kPointer: t.params.push_back(std::nullopt); break;
    }
  }
  return t;
}

}  // namespace

struct PostgresStore::Impl {
  PostgresStoreOptions options;
  std::mutex mu;
  std::vector<std::unique_ptr<Connection>> idle;  // guarded by mu
  std::mutex seq_mu;
  uint64_t seq = 0;  // guarded by seq_mu
  // Per model, the properties its declared indexes hold, which the filter translation
  // reads in SQL (DeclareIndexes).
  std::mutex indexed_mu;
  // Replaced whole (never changed in place), so a reader keeps its snapshot without a copy.
  std::map<std::string, std::shared_ptr<const IndexedProperties>> indexed;

  std::shared_ptr<const IndexedProperties> IndexedOf(const std::string& model) {
    std::lock_guard<std::mutex> lock(indexed_mu);
    auto it = indexed.find(model);
    if (it != indexed.end()) return it->second;
    static const auto kNone = std::make_shared<const IndexedProperties>();
    return kNone;
  }

  Result<std::unique_ptr<Connection>> Connect() {
    auto c = std::make_unique<Connection>();
    const char* keys[] = {"dbname", "client_encoding", "application_name", nullptr};
    const char* values[] = {options.url.c_str(), "UTF8", "replicore-server", nullptr};
    c->conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (c->conn == nullptr) return Status::Storage("postgresql: cannot allocate a connection");
    if (!c->Healthy()) return c->Error("connect");
    // NOTICEs ("already exists, skipping") are not errors and go nowhere.
    PQsetNoticeProcessor(c->conn, [](void*, const char*) {}, nullptr);
    if (!options.schema.empty()) {
      char* quoted = PQescapeIdentifier(c->conn, options.schema.c_str(), options.schema.size());
      if (quoted == nullptr) return c->Error("quote the schema name");
      std::string sql = std::string("SET search_path TO ") + quoted;
      PQfreemem(quoted);
      RC_RETURN_IF_ERROR(c->Run(sql, "set search_path"));
    }
    return c;
  }

  Result<std::unique_ptr<Connection>> Borrow() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!idle.empty()) {
        std::unique_ptr<Connection> c = std::move(idle.back());
        idle.pop_back();
        return c;
      }
    }
    return Connect();
  }

  // Kept for the next call when it is healthy and idle (no transaction left open).
  void Return(std::unique_ptr<Connection> c) {
    if (!c->Healthy() || PQtransactionStatus(c->conn) != PQTRANS_IDLE) return;
    std::lock_guard<std::mutex> lock(mu);
    if (idle.size() < options.idle_connections) idle.push_back(std::move(c));
  }

  // Runs `fn(Connection&)`; once more on a new connection when the one it had was broken
  // (a restarted database server): a read may be repeated safely.
  template <typename Fn>
  auto Read(Fn fn) -> decltype(fn(std::declval<Connection&>())) {
    for (int attempt = 0;; ++attempt) {
      RC_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, Borrow());
      auto result = fn(*c);
      const bool broken = !c->Healthy();
      Return(std::move(c));
      if (result.ok() || !broken || attempt == 1) return result;
    }
  }

  Status ApplyOn(Connection& c, const Batch& batch, int64_t* checkpoint);
};

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresStore::~PostgresStore() = default;

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const PostgresStoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  // search_path may name a schema that does not exist yet: CreateOrCheckSchema makes it,
  // and each statement after resolves names anew.
  RC_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, impl->Connect());
  RC_RETURN_IF_ERROR(CreateOrCheckSchema(*c, options.schema));
  impl->Return(std::move(c));
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

Status PostgresStore::DeclareIndexes(const std::string& model,
                                     const std::vector<IndexDefinition>& indexes) {
  std::vector<std::string> translation_ddl;
  IndexedProperties translated;
  for (const IndexDefinition& index : indexes) TranslationDdl(index, &translation_ddl, &translated);
  if (translation_ddl.empty()) return Status::Ok();
  RC_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, impl_->Borrow());
  RC_RETURN_IF_ERROR(c->Run("BEGIN", "begin"));
  auto body = [&]() -> Status {
    RC_RETURN_IF_ERROR(c->Exec("SELECT pg_advisory_xact_lock($1::bigint)",
                               {std::to_string(kDdlLockKey)}, false, "lock the schema")
                           .status());
    for (const std::string& ddl : translation_ddl) RC_RETURN_IF_ERROR(c->Run(ddl, "create an index"));
    return Status::Ok();
  };
  Status status = body();
  if (status.ok()) status = c->Run("COMMIT", "commit the indexes");
  if (!status.ok()) (void)c->Run("ROLLBACK", "rollback");
  impl_->Return(std::move(c));
  if (status.ok()) {
    std::lock_guard<std::mutex> lock(impl_->indexed_mu);
    std::shared_ptr<const IndexedProperties>& now = impl_->indexed[model];
    auto next = std::make_shared<IndexedProperties>(translated);
    if (now) next->insert(now->begin(), now->end());
    now = std::move(next);
  }
  return status;
}

Result<std::optional<Record>> PostgresStore::Get(const std::string& model, const std::string& id) {
  if (!IsPgText(id)) return std::optional<Record>();
  return impl_->Read([&](Connection& c) -> Result<std::optional<Record>> {
    RC_ASSIGN_OR_RETURN(PgResult r,
                        c.Exec("SELECT data FROM replicore_records WHERE model = $1 AND id = $2",
                               {model, id}, true, "Get"));
    if (PQntuples(r.get()) == 0) return std::optional<Record>();
    return std::optional<Record>(Record::FromCanonicalText(Text(r.get(), 0, 0)));
  });
}

// The filter translated whole (sql_filter.h) when it can be: conditions and order keys on
// indexed properties only, so PostgreSQL filters, orders and pages through the indexes;
// nullopt when the translation left something to the core, or the statement's own check
// (Unsafe) finds records the SQL cannot read.
Result<std::optional<std::vector<Record>>> PostgresStore::FindTranslated(
    const std::string& model, const Filter& filter, const IndexedProperties& indexed) {
  std::optional<Translated> t = TranslateFind(model, filter, indexed);
  if (!t) return std::optional<std::vector<Record>>();
  return impl_->Read([&](Connection& c) -> Result<std::optional<std::vector<Record>>> {
    RC_ASSIGN_OR_RETURN(PgResult r, c.Exec(t->sql, t->params, true, "Find"));
    const int rows = PQntuples(r.get());
    // No row, no verdict: the core's path answers, in a snapshot of its own.
    if (rows == 0 || Text(r.get(), 0, 0) != "f") return std::optional<std::vector<Record>>();
    std::vector<Record> page;
    page.reserve(static_cast<size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      Record record = Record::FromCanonicalText(Text(r.get(), i, 1));
      if (Projects(filter)) record = Record::FromTree(Project(filter, *record));
      page.push_back(std::move(record));
    }
    return std::optional<std::vector<Record>>(std::move(page));
  });
}

Result<std::vector<Record>> PostgresStore::Find(const std::string& model, const Filter& filter) {
  const std::shared_ptr<const IndexedProperties> indexed = impl_->IndexedOf(model);
  RC_ASSIGN_OR_RETURN(std::optional<std::vector<Record>> translated,
                      FindTranslated(model, filter, *indexed));
  if (translated) return std::move(*translated);
  Query q = BuildCandidates(model, filter, *indexed);
  return impl_->Read([&](Connection& c) -> Result<std::vector<Record>> {
    RC_ASSIGN_OR_RETURN(PgResult r, c.Exec(q.sql, q.params, false, "Find"));
    const int rows = PQntuples(r.get());
    std::vector<Record> matched;
    std::vector<std::string> ids;
    matched.reserve(static_cast<size_t>(rows));
    ids.reserve(static_cast<size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      Record record = Record::FromCanonicalText(Text(r.get(), i, 0));
      if (!q.exact && !MatchesAll(filter.where) && !Matches(filter.where, *record)) continue;
      matched.push_back(std::move(record));
      ids.push_back(Text(r.get(), i, 1));
    }
    if (q.exact) {
      if (Projects(filter)) {
        for (Record& record : matched) record = Record::FromTree(Project(filter, *record));
      }
      return matched;
    }
    std::vector<const std::string*> id_pointers;
    id_pointers.reserve(ids.size());
    for (const std::string& id : ids) id_pointers.push_back(&id);
    return OrderRecordsPage(filter, std::move(matched), id_pointers);
  });
}

Result<size_t> PostgresStore::Count(const std::string& model, const Where& where) {
  const std::shared_ptr<const IndexedProperties> indexed = impl_->IndexedOf(model);
  SqlQuery q(&kDialect);
  if (!MatchesAll(where)) BuildCount(model, where, *indexed, &q);
  return impl_->Read([&](Connection& c) -> Result<size_t> {
    if (!MatchesAll(where) && q.exact) {
      Translated t = WithUnsafe(q);
      RC_ASSIGN_OR_RETURN(PgResult r, c.Exec(t.sql, t.params, true, "Count"));
      if (Text(r.get(), 0, 0) == "f") {
        return static_cast<size_t>(std::strtoull(PQgetvalue(r.get(), 0, 1), nullptr, 10));
      }
    }
    if (MatchesAll(where)) {
      RC_ASSIGN_OR_RETURN(PgResult r,
                          c.Exec("SELECT count(*) FROM replicore_records WHERE model = $1",
                                 {model}, true, "Count"));
      return static_cast<size_t>(std::strtoull(PQgetvalue(r.get(), 0, 0), nullptr, 10));
    }
    Params params{model};
    std::string sql = "SELECT data FROM replicore_records WHERE model = $1";
    Prefilter prefilter(&params, indexed.get());
    if (std::optional<std::string> condition = prefilter.Node(where)) sql += " AND " + *condition;
    RC_ASSIGN_OR_RETURN(PgResult r, c.Exec(sql, params, false, "Count"));
    size_t count = 0;
    for (int i = 0, rows = PQntuples(r.get()); i < rows; ++i) {
      Record record = Record::FromCanonicalText(Text(r.get(), i, 0));
      count += Matches(where, *record) ? 1 : 0;
    }
    return count;
  });
}

Result<std::string> PostgresStore::ExplainFind(const std::string& model, const Filter& filter) {
  const std::shared_ptr<const IndexedProperties> indexed = impl_->IndexedOf(model);
  Query q = BuildCandidates(model, filter, *indexed);
  if (std::optional<Translated> t = TranslateFind(model, filter, *indexed)) {
    q.sql = std::move(t->sql);
    q.params = std::move(t->params);
  }
  return impl_->Read([&](Connection& c) -> Result<std::string> {
    RC_ASSIGN_OR_RETURN(PgResult r, c.Exec("EXPLAIN " + q.sql, q.params, false, "explain"));
    std::string plan;
    for (int i = 0, rows = PQntuples(r.get()); i < rows; ++i) plan += Text(r.get(), i, 0) + "\n";
    return plan;
  });
}

Result<std::optional<Change>> PostgresStore::GetChange(const std::string& model,
                                                       const std::string& model_id) {
  if (!IsPgText(model_id)) return std::optional<Change>();
  return impl_->Read([&](Connection& c) -> Result<std::optional<Change>> {
    RC_ASSIGN_OR_RETURN(PgResult r, c.Exec(std::string("SELECT ") + kChangeColumns +
                                               " FROM replicore_changes WHERE model = $1 AND"
                                               " model_id = $2",
                                           {model, model_id}, true, "GetChange"));
    if (PQntuples(r.get()) == 0) return std::optional<Change>();
    return std::optional<Change>(ReadChange(r.get(), 0, 0));
  });
}

Result<std::vector<Change>> PostgresStore::Changes(const ChangeQuery& query) {
  return impl_->Read([&](Connection& c) -> Result<std::vector<Change>> {
    // checkpoint >= since, and strictly after the cursor when one is given: a range scan
    // of replicore_changes_by_checkpoint.
    std::string sql = std::string("SELECT ") + kChangeColumns +
                      " FROM replicore_changes WHERE model = $1 AND checkpoint >= $2::bigint";
    Params params{query.model, std::to_string(query.since), std::nullopt};
    if (query.limit) params[2] = std::to_string(ClampToInt64(*query.limit));
    if (query.after) {
      if (!IsPgText(query.after->second)) return Status::BadRequest("a change cursor that is not valid UTF-8 text");
      sql += " AND (checkpoint, model_id) > ($4::bigint, $5)";
      params.push_back(std::to_string(query.after->first));
      params.push_back(query.after->second);
    }
    sql += " ORDER BY checkpoint, model_id LIMIT $3::bigint";
    RC_ASSIGN_OR_RETURN(PgResult r, c.Exec(sql, params, true, "Changes"));
    std::vector<Change> out;
    out.reserve(static_cast<size_t>(PQntuples(r.get())));
    for (int i = 0, rows = PQntuples(r.get()); i < rows; ++i) {
      out.push_back(ReadChange(r.get(), i, 0));
    }
    return out;
  });
}

Result<std::vector<StoredEntry>> PostgresStore::GetMany(const std::string& model,
                                                        const std::vector<std::string>& ids) {
  return impl_->Read([&](Connection& c) { return GetManyOn(c, model, ids, true); });
}

Result<std::vector<std::optional<Change>>> PostgresStore::GetChanges(
    const std::string& model, const std::vector<std::string>& ids) {
  RC_ASSIGN_OR_RETURN(std::vector<StoredEntry> entries,
                      impl_->Read([&](Connection& c) { return GetManyOn(c, model, ids, false); }));
  std::vector<std::optional<Change>> changes;
  changes.reserve(entries.size());
  for (StoredEntry& entry : entries) changes.push_back(std::move(entry.change));
  return changes;
}

Result<int64_t> PostgresStore::CurrentCheckpoint() {
  return impl_->Read([&](Connection& c) { return CheckpointOn(c, false); });
}

Result<std::optional<Json>> PostgresStore::GetMeta(const std::string& key) {
  if (!IsPgText(key)) return std::optional<Json>();
  return impl_->Read([&](Connection& c) -> Result<std::optional<Json>> {
    RC_ASSIGN_OR_RETURN(PgResult r, c.Exec("SELECT value FROM replicore_meta WHERE key = $1",
                                           {key}, true, "GetMeta"));
    if (PQntuples(r.get()) == 0) return std::optional<Json>();
    Json value = Json::parse(Text(r.get(), 0, 0), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) return Status::Storage("postgresql: stored meta is malformed");
    return std::optional<Json>(std::move(value));
  });
}

// The body of one batch, inside the transaction on `c`.
Status PostgresStore::Impl::ApplyOn(Connection& c, const Batch& batch, int64_t* checkpoint) {
  // Every writer of the database takes this row lock first: nothing commits between the
  // precondition reads below and this batch's commit.
  RC_ASSIGN_OR_RETURN(int64_t current, CheckpointOn(c, /*lock=*/true));
  // The preconditions' entries, one statement per model.
  std::map<std::string, std::vector<std::string>> wanted;
  for (const Precondition& p : batch.preconditions) wanted[p.model].push_back(p.id);
  std::map<std::pair<std::string, std::string>, StoredEntry> read;
  for (auto& [model, ids] : wanted) {
    RC_ASSIGN_OR_RETURN(std::vector<StoredEntry> entries, GetManyOn(c, model, ids, true));
    for (size_t i = 0; i < ids.size(); ++i) read[{model, ids[i]}] = std::move(entries[i]);
  }
  for (const Precondition& p : batch.preconditions) {
    const StoredEntry& stored = read[{p.model, p.id}];
    if (!Holds(p, stored.record ? &*stored.record : nullptr,
               stored.change ? &*stored.change : nullptr)) {
      return RecordChanged(p.model, p.id);
    }
  }
  if (batch.expected_checkpoint && current != *batch.expected_checkpoint) {
    return CheckpointMoved(current);
  }

  // The last write of each key wins (as applying them in order would): each statement then
  // touches a row once.
  std::map<std::pair<std::string, std::string>, const RecordWrite*> records;
  for (const RecordWrite& w : batch.records) records[{w.model, w.id}] = &w;
  std::vector<std::string> put_model, put_id, put_data, del_model, del_id;
  for (const auto& [key, w] : records) {
    if (w->data) {
      put_model.push_back(w->model);
      put_id.push_back(w->id);
      put_data.push_back(w->data->text());
    } else {
      del_model.push_back(w->model);
      del_id.push_back(w->id);
    }
  }
  for (const std::vector<std::string>* keys : {&put_model, &put_id, &del_model, &del_id}) {
    for (const std::string& k : *keys) {
      if (!IsPgText(k)) {
        return Status::BadRequest("PostgreSQL text cannot hold an id or model name with NUL (\\u0000) or invalid UTF-8");
      }
    }
  }
  if (!put_id.empty()) {
    RC_RETURN_IF_ERROR(
        c.Exec("INSERT INTO replicore_records(model, id, data)"
               " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"
               " ON CONFLICT (model, id) DO UPDATE SET data = EXCLUDED.data",
               {TextArray(put_model), TextArray(put_id), TextArray(put_data)}, true,
               "write records")
            .status());
  }
  if (!del_id.empty()) {
    RC_RETURN_IF_ERROR(c.Exec("DELETE FROM replicore_records AS r USING unnest($1::text[],"
                              " $2::text[]) AS d(model, id) WHERE r.model = d.model AND r.id = d.id",
                              {TextArray(del_model), TextArray(del_id)}, true, "delete records")
                           .status());
  }

  std::map<std::pair<std::string, std::string>, const ChangeWrite*> changes;
  for (const ChangeWrite& w : batch.changes) changes[{w.model, w.model_id}] = &w;
  std::vector<std::optional<std::string>> cm, cmid, cid, crev, cprev, cset, cckpt, cname;
  std::vector<std::string> dm, dmid;
  for (const auto& [key, w] : changes) {
    if (!IsPgText(w->model) || !IsPgText(w->model_id)) {
      return Status::BadRequest("PostgreSQL text cannot hold an id or model name with NUL (\\u0000) or invalid UTF-8");
    }
    if (w->change) {
      const Change& ch = *w->change;
      cm.push_back(w->model);
      cmid.push_back(w->model_id);
      cid.push_back(ch.id);
      crev.push_back(ch.rev);
      cprev.push_back(ch.prev);
      cset.push_back(ch.prev_set ? "t" : "f");
      cckpt.push_back(std::to_string(ch.checkpoint));
      cname.push_back(ch.model_name);
    } else {
      dm.push_back(w->model);
      dmid.push_back(w->model_id);
    }
  }
  if (!cm.empty()) {
    RC_RETURN_IF_ERROR(
        c.Exec("INSERT INTO replicore_changes(model, model_id, id, rev, prev, prev_set,"
               " checkpoint, model_name) SELECT * FROM unnest($1::text[], $2::text[],"
               " $3::text[], $4::text[], $5::text[], $6::boolean[], $7::bigint[], $8::text[])"
               " ON CONFLICT (model, model_id) DO UPDATE SET id = EXCLUDED.id,"
               " rev = EXCLUDED.rev, prev = EXCLUDED.prev, prev_set = EXCLUDED.prev_set,"
               " checkpoint = EXCLUDED.checkpoint, model_name = EXCLUDED.model_name",
               {TextArray(cm), TextArray(cmid), TextArray(cid), TextArray(crev), TextArray(cprev),
                TextArray(cset), TextArray(cckpt), TextArray(cname)},
               true, "write changes")
            .status());
  }
  if (!dm.empty()) {
    RC_RETURN_IF_ERROR(c.Exec("DELETE FROM replicore_changes AS ch USING unnest($1::text[],"
                              " $2::text[]) AS d(model, model_id) WHERE ch.model = d.model AND"
                              " ch.model_id = d.model_id",
                              {TextArray(dm), TextArray(dmid)}, true, "delete changes")
                           .status());
  }
  *checkpoint = current;
  if (batch.checkpoint) {
    RC_RETURN_IF_ERROR(c.Exec("UPDATE replicore_checkpoint SET seq = $1::bigint WHERE id = 1",
                              {std::to_string(*batch.checkpoint)}, true, "write checkpoint")
                           .status());
    *checkpoint = *batch.checkpoint;
  }
  for (const auto& [key, value] : batch.meta) {
    if (!IsPgText(key)) return Status::BadRequest("PostgreSQL text cannot hold a meta key with NUL or invalid UTF-8");
    if (value.is_null()) {
      RC_RETURN_IF_ERROR(
          c.Exec("DELETE FROM replicore_meta WHERE key = $1", {key}, true, "delete meta").status());
    } else {
      Result<std::string> text = Serialize(value);
      if (!text.ok()) return Status::Storage("meta " + key + ": " + text.status().message());
      RC_RETURN_IF_ERROR(c.Exec("INSERT INTO replicore_meta(key, value) VALUES ($1, $2)"
                                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                                {key, *text}, true, "write meta")
                             .status());
    }
  }
  return Status::Ok();
}

Result<CommittedBatch> PostgresStore::Apply(Batch batch) {
  RC_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, impl_->Borrow());
  int64_t checkpoint = 0;
  Status status = c->Run("BEGIN", "begin");
  if (status.ok()) {
    status = impl_->ApplyOn(*c, batch, &checkpoint);
    if (status.ok()) status = c->Run("COMMIT", "commit");
    // Nothing of the batch may remain (a failed COMMIT has rolled back already).
    if (!status.ok() && c->Healthy() && PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
      (void)c->Run("ROLLBACK", "rollback");
    }
  }
  impl_->Return(std::move(c));
  if (!status.ok()) return status;
  uint64_t seq = 0;
  {
    std::lock_guard<std::mutex> lock(impl_->seq_mu);
    seq = ++impl_->seq;
  }
  return CommittedAs(std::move(batch), seq, checkpoint);
}

}  // namespace replicore
