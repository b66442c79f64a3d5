// RedisStore: the Store contract over Redis, through hiredis (see redis_store.h for the
// keys). Records stay the canonical text the core made, byte for byte (Redis strings are
// binary-safe, so ids and records holding NUL or any UTF-8 are kept as they are).
//
// Apply is one Lua script rather than WATCH/MULTI/EXEC: one round trip; no retry loop
// (WATCH works per key, and a model's records are one hash, so every concurrent writer of a
// model would abort the others); and the precondition check is a byte comparison that the
// encodings make exact (canonical record text, redis_codec.h's change rows).
#include "replicore/redis_store.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "redis_codec.h"
#include "redis_connection.h"
#include "redis_filter.h"
#include "redis_scripts.h"

namespace replicore {
namespace {

const RedisScript& ApplyScript() {
  static const RedisScript script(kRedisApplyScript);
  return script;
}
const RedisScript& ChangesScript() {
  static const RedisScript script(kRedisChangesScript);
  return script;
}
const RedisScript& PageScript() {
  static const RedisScript script(kRedisPageScript);
  return script;
}

Status Malformed(const char* what) {
  return Status::Storage(std::string("redis: unexpected reply to ") + what);
}

bool IsText(const redisReply* r) { return r->type == REDIS_REPLY_STRING; }

// A string reply as a value, nil as nullopt; anything else is kStorage.
Result<std::optional<std::string>> OptionalText(const redisReply* r, const char* what) {
  if (r->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  if (!IsText(r)) return Malformed(what);
  return std::optional<std::string>(ReplyText(r));
}

Result<std::optional<Change>> OptionalChange(const redisReply* r, const std::string& model_id,
                                             const char* what) {
  RC_ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalText(r, what));
  if (!text) return std::optional<Change>();
  RC_ASSIGN_OR_RETURN(Change change, DecodeRedisChange(*text, model_id));
  return std::optional<Change>(std::move(change));
}

Result<std::string> MetaText(const Json& value) {
  try {
    return value.dump();
  } catch (const std::exception& e) {
    return Status::BadRequest(std::string("a meta value that is no JSON text: ") + e.what());
  }
}

std::vector<std::string> HmgetArgs(const std::string& key, const std::vector<std::string>& ids) {
  std::vector<std::string> args;
  args.reserve(ids.size() + 2);
  args.push_back("HMGET");
  args.push_back(key);
  args.insert(args.end(), ids.begin(), ids.end());
  return args;
}

// The arguments of kRedisApplyScript for `batch`.
std::vector<std::string> ApplyArgs(const std::string& prefix, const Batch& batch) {
  std::vector<std::string> a;
  a.reserve(8 + 6 * batch.preconditions.size() + 4 * batch.records.size() +
            4 * batch.changes.size() + 3 * batch.meta.size());
  a.push_back(prefix);
  a.push_back(batch.expected_checkpoint ? std::to_string(*batch.expected_checkpoint) : "");
  a.push_back(std::to_string(batch.preconditions.size()));
  for (const Precondition& p : batch.preconditions) {
    const StoredEntry& e = p.expected;
    a.insert(a.end(), {p.model, p.id, e.record ? "1" : "0", e.record ? e.record->text() : "",
                       e.change ? "1" : "0", e.change ? EncodeRedisChange(*e.change) : ""});
  }
  a.push_back(std::to_string(batch.records.size()));
  for (const RecordWrite& w : batch.records) {
    a.insert(a.end(), {w.model, w.id, w.data ? "1" : "0", w.data ? w.data->text() : ""});
  }
  a.push_back(std::to_string(batch.changes.size()));
  for (const ChangeWrite& w : batch.changes) {
    a.insert(a.end(), {w.model, w.model_id, w.change ? "1" : "0",
                       w.change ? EncodeRedisChange(*w.change) : ""});
  }
  a.push_back(batch.checkpoint ? std::to_string(*batch.checkpoint) : "");
  return a;
}

// A skip or limit as the scripts take it: decimal, at most what Redis reads (a long long);
// a page no store holds is as good as one past the end.
std::string RedisCount(size_t n) {
  return std::to_string(std::min<uint64_t>(n, static_cast<uint64_t>(INT64_MAX)));
}

// Records by id, from alternating id, text replies (kRedisPageScript). A nil text means the
// id set and the records disagree (keys changed behind the store's back: scripts are
// atomic), which is reported rather than skipped.
Result<std::vector<Record>> PageRecords(const redisReply* r, std::vector<std::string>* ids) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) return Malformed("a page");
  std::vector<Record> records;
  records.reserve(r->elements / 2);
  for (size_t i = 0; i < r->elements; i += 2) {
    if (!IsText(r->element[i]) || !IsText(r->element[i + 1])) {
      return Status::Storage("redis: the id set names a record that is not stored");
    }
    ids->push_back(ReplyText(r->element[i]));
    records.push_back(Record::FromCanonicalText(ReplyText(r->element[i + 1])));
  }
  return records;
}

}  // namespace

struct RedisStore::Impl {
  explicit Impl(const RedisStoreOptions& o) : options(o), pool(o) {}

  std::string Key(const char* kind, const std::string& model) const {
    return options.prefix + kind + model;
  }

  // The records of `ids` (absent ones left out), one HMGET; their ids in `found_ids`.
  Result<std::vector<Record>> RecordsOf(const std::string& model,
                                        const std::vector<std::string>& ids,
                                        std::vector<std::string>* found_ids) {
    std::vector<Record> records;
    if (ids.empty()) return records;
    RC_ASSIGN_OR_RETURN(RedisReply r, pool.Read([&](RedisConnection& c) {
      return c.Command(HmgetArgs(Key("rec:", model), ids), "HMGET records");
    }));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != ids.size()) return Malformed("HMGET");
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!IsText(r->element[i])) continue;
      found_ids->push_back(ids[i]);
      records.push_back(Record::FromCanonicalText(ReplyText(r->element[i])));
    }
    return records;
  }

  // The records `plan` names that match `where` (the core decides: a key is String(id)).
  Result<std::vector<Record>> Lookup(const std::string& model, const RedisPlan& plan,
                                     const Where& where, std::vector<std::string>* ids) {
    std::vector<std::string> found;
    RC_ASSIGN_OR_RETURN(std::vector<Record> records, RecordsOf(model, plan.ids, &found));
    std::vector<Record> matched;
    for (size_t i = 0; i < records.size(); ++i) {
      if (!Matches(where, *records[i])) continue;
      matched.push_back(std::move(records[i]));
      ids->push_back(std::move(found[i]));
    }
    return matched;
  }

  RedisStoreOptions options;
  RedisPool pool;
  std::mutex seq_mu;
  uint64_t seq = 0;  // guarded by seq_mu
};

RedisStore::RedisStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedisStore::~RedisStore() = default;

Result<std::unique_ptr<RedisStore>> RedisStore::Open(const RedisStoreOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  // Connects once now, so a wrong address fails at startup rather than at the first call.
  RC_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> c, impl->pool.Borrow());
  RC_RETURN_IF_ERROR(c->Command({"PING"}, "PING").status());
  impl->pool.Return(std::move(c));
  return std::unique_ptr<RedisStore>(new RedisStore(std::move(impl)));
}

Result<std::optional<Record>> RedisStore::Get(const std::string& model, const std::string& id) {
  RC_ASSIGN_OR_RETURN(RedisReply r, impl_->pool.Read([&](RedisConnection& c) {
    return c.Command({"HGET", impl_->Key("rec:", model), id}, "HGET record");
  }));
  RC_ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalText(r.get(), "HGET record"));
  if (!text) return std::optional<Record>();
  return std::optional<Record>(Record::FromCanonicalText(std::move(*text)));
}

Result<std::vector<Record>> RedisStore::Find(const std::string& model, const Filter& filter) {
  RC_ASSIGN_OR_RETURN(RedisPlan plan, PlanRedisFind(filter));
  std::vector<std::string> ids;
  std::vector<Record> records;
  if (plan.all && filter.order.empty()) {
    // The page in id order (byte order, as the other stores give it), cut in Redis.
    const std::string limit = filter.limit ? RedisCount(*filter.limit) : "-1";
    RC_ASSIGN_OR_RETURN(RedisReply r, impl_->pool.Read([&](RedisConnection& c) {
      return c.Run(PageScript(), {impl_->options.prefix, model, RedisCount(filter.skip), limit},
                   "read a page");
    }));
    RC_ASSIGN_OR_RETURN(records, PageRecords(r.get(), &ids));
    if (Projects(filter)) {
      for (Record& record : records) record = Record::FromTree(Project(filter, *record));
    }
    return records;
  }
  if (plan.all) {
    // Ordered by id (the core's order of id values): every record, then the core's page.
    RC_ASSIGN_OR_RETURN(RedisReply r, impl_->pool.Read([&](RedisConnection& c) {
      return c.Run(PageScript(), {impl_->options.prefix, model, "0", "-1"}, "read all");
    }));
    RC_ASSIGN_OR_RETURN(records, PageRecords(r.get(), &ids));
  } else {
    RC_ASSIGN_OR_RETURN(records, impl_->Lookup(model, plan, filter.where, &ids));
  }
  std::vector<const std::string*> id_pointers;
  id_pointers.reserve(ids.size());
  for (const std::string& id : ids) id_pointers.push_back(&id);
  return OrderRecordsPage(filter, std::move(records), id_pointers);
}

Result<size_t> RedisStore::Count(const std::string& model, const Where& where) {
  RC_ASSIGN_OR_RETURN(RedisPlan plan, PlanRedisWhere(where));
  if (!plan.all) {
    std::vector<std::string> ids;
    RC_ASSIGN_OR_RETURN(std::vector<Record> records, impl_->Lookup(model, plan, where, &ids));
    return records.size();
  }
  RC_ASSIGN_OR_RETURN(RedisReply r, impl_->pool.Read([&](RedisConnection& c) {
    return c.Command({"HLEN", impl_->Key("rec:", model)}, "HLEN");
  }));
  if (r->type != REDIS_REPLY_INTEGER) return Malformed("HLEN");
  return static_cast<size_t>(r->integer);
}

Result<std::optional<Change>> RedisStore::GetChange(const std::string& model,
                                                    const std::string& model_id) {
  RC_ASSIGN_OR_RETURN(RedisReply r, impl_->pool.Read([&](RedisConnection& c) {
    return c.Command({"HGET", impl_->Key("chg:", model), model_id}, "HGET change");
  }));
  return OptionalChange(r.get(), model_id, "HGET change");
}

Result<std::vector<Change>> RedisStore::Changes(const ChangeQuery& query) {
  // checkpoint >= since; strictly after the cursor when it is not before since.
  std::string start = "[" + RedisCheckpointKey(query.since);
  if (query.after && *query.after >= std::make_pair(query.since, std::string())) {
    start = "(" + RedisLogMember(query.after->first, query.after->second);
  }
  const std::string limit = query.limit ? RedisCount(*query.limit) : "-1";
  RC_ASSIGN_OR_RETURN(RedisReply r, impl_->pool.Read([&](RedisConnection& c) {
    return c.Run(ChangesScript(), {impl_->options.prefix, query.model, start, limit},
                 "read changes");
  }));
  if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) return Malformed("read changes");
  std::vector<Change> out;
  out.reserve(r->elements / 2);
  for (size_t i = 0; i < r->elements; i += 2) {
    if (!IsText(r->element[i])) return Malformed("read changes");
    RC_ASSIGN_OR_RETURN(std::optional<Change> change,
                        OptionalChange(r->element[i + 1], ReplyText(r->element[i]),
                                       "read changes"));
    if (!change) return Status::Storage("redis: the change log names a row that is gone");
    out.push_back(std::move(*change));
  }
  return out;
}

Result<std::vector<StoredEntry>> RedisStore::GetMany(const std::string& model,
                                                     const std::vector<std::string>& ids) {
  std::vector<StoredEntry> entries(ids.size());
  if (ids.empty()) return entries;
  // MULTI/EXEC: both HMGETs see the same state; pipelined: one round trip.
  RC_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, impl_->pool.Read([&](RedisConnection& c) {
    return c.Pipeline({{"MULTI"},
                       HmgetArgs(impl_->Key("rec:", model), ids),
                       HmgetArgs(impl_->Key("chg:", model), ids),
                       {"EXEC"}},
                      "GetMany");
  }));
  const redisReply* exec = replies.back().get();
  if (exec->type != REDIS_REPLY_ARRAY || exec->elements != 2) return Malformed("GetMany");
  const redisReply* records = exec->element[0];
  const redisReply* changes = exec->element[1];
  if (records->type != REDIS_REPLY_ARRAY || changes->type != REDIS_REPLY_ARRAY ||
      records->elements != ids.size() || changes->elements != ids.size()) {
    return Malformed("GetMany");
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    RC_ASSIGN_OR_RETURN(std::optional<std::string> text,
                        OptionalText(records->element[i], "GetMany"));
    if (text) entries[i].record = Record::FromCanonicalText(std::move(*text));
    RC_ASSIGN_OR_RETURN(entries[i].change, OptionalChange(changes->element[i], ids[i], "GetMany"));
  }
  return entries;
}

Result<int64_t> RedisStore::CurrentCheckpoint() {
  RC_ASSIGN_OR_RETURN(RedisReply r, impl_->pool.Read([&](RedisConnection& c) {
    return c.Command({"GET", impl_->options.prefix + "checkpoint"}, "GET checkpoint");
  }));
  RC_ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalText(r.get(), "GET checkpoint"));
  return text ? static_cast<int64_t>(std::strtoll(text->c_str(), nullptr, 10)) : int64_t{1};
}

Result<std::optional<Json>> RedisStore::GetMeta(const std::string& key) {
  RC_ASSIGN_OR_RETURN(RedisReply r, impl_->pool.Read([&](RedisConnection& c) {
    return c.Command({"HGET", impl_->options.prefix + "meta", key}, "HGET meta");
  }));
  RC_ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalText(r.get(), "HGET meta"));
  if (!text) return std::optional<Json>();
  Json value = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::Storage("redis: stored meta is malformed");
  return std::optional<Json>(std::move(value));
}

Result<CommittedBatch> RedisStore::Apply(Batch batch) {
  std::vector<std::string> args = ApplyArgs(impl_->options.prefix, batch);
  args.push_back(std::to_string(batch.meta.size()));
  for (const auto& [key, value] : batch.meta) {
    if (value.is_null()) {
      args.insert(args.end(), {key, "0", ""});
      continue;
    }
    RC_ASSIGN_OR_RETURN(std::string text, MetaText(value));
    args.insert(args.end(), {key, "1", std::move(text)});
  }
  // Not repeated on a broken connection: the script may have run (the answer was lost).
  RC_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> c, impl_->pool.Borrow());
  Result<RedisReply> reply = c->Run(ApplyScript(), args, "apply a batch");
  impl_->pool.Return(std::move(c));
  if (!reply.ok()) return reply.status();
  const redisReply* r = reply->get();
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 || !IsText(r->element[0]) ||
      !IsText(r->element[1])) {
    return Malformed("apply a batch");
  }
  const std::string answer = ReplyText(r->element[0]);
  if (answer == "record" && r->elements == 3 && IsText(r->element[2])) {
    return RecordChanged(ReplyText(r->element[1]), ReplyText(r->element[2]));
  }
  const int64_t checkpoint = std::strtoll(ReplyText(r->element[1]).c_str(), nullptr, 10);
  if (answer == "checkpoint") return CheckpointMoved(checkpoint);
  if (answer != "ok") return Malformed("apply a batch");
  uint64_t seq = 0;
  {
    std::lock_guard<std::mutex> lock(impl_->seq_mu);
    seq = ++impl_->seq;
  }
  return CommittedAs(std::move(batch), seq, checkpoint);
}

}  // namespace replicore
