// A database: model definitions over one Store, with LoopBack's write operations.
// Every write goes one path: normalise against the model -> revision -> rectify the
// Change -> one atomic Store batch -> the committed batch handed to the listener.
#ifndef REPLICORE_DATABASE_H_
#define REPLICORE_DATABASE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "replicore/model.h"
#include "replicore/store.h"

namespace replicore {

class Database {
 public:
  // Borrows `store`, which must outlive the Database. Not thread-safe: callers serialise.
  Database(Store* store, Environment env);

  Status AddModel(ModelDefinition model);
  // Parses and adds a model JSON definition.
  Status AddModel(const Json& definition);
  // kNotFound naming the model when unknown.
  Result<const ModelDefinition*> GetModel(const std::string& name) const;
  std::vector<std::string> ModelNames() const;

  Store* store() { return store_; }
  const Environment& env() const { return env_; }
  // Called after every committed batch (to persist or broadcast it); the listener gets
  // the records, and Commit's caller the seq and checkpoint only.
  void set_commit_listener(std::function<void(CommittedBatch)> listener) {
    listener_ = std::move(listener);
  }

  // ---- reads
  Result<std::optional<Record>> FindById(const std::string& model, const std::string& id);
  // `filter` is a LoopBack filter object (or a JSON string of one); null = everything.
  Result<std::vector<Record>> Find(const std::string& model, const Json& filter);
  Result<std::optional<Record>> FindOne(const std::string& model, const Json& filter);
  Result<size_t> Count(const std::string& model, const Json& where);
  Result<bool> Exists(const std::string& model, const std::string& id);

  // ---- LoopBack's write operations (revisions-e2e.json records their semantics)
  // kConflict "Duplicate entry" when the id exists.
  Result<Record> Create(const std::string& model, const Json& data);
  // Creates every object of the array in ONE batch: all of them or none. An error names
  // the failing item's index in its details ("index").
  Result<std::vector<Record>> CreateMany(const std::string& model, const Json& array);
  // Merges `data` into the record; kNotFound when absent.
  Result<Record> PatchAttributes(const std::string& model, const std::string& id, const Json& data);
  // Drops absent properties and re-applies defaults; kNotFound when absent.
  Result<Record> ReplaceById(const std::string& model, const std::string& id, const Json& data);
  Result<Record> PatchOrCreate(const std::string& model, const Json& data);
  Result<Record> ReplaceOrCreate(const std::string& model, const Json& data);
  // Patches every matching record in one batch; returns the count.
  Result<size_t> UpdateAll(const std::string& model, const Json& where, const Json& data);
  // Patches the one matching record or creates one; kBadRequest when several match.
  Result<Record> UpsertWithWhere(const std::string& model, const Json& where, const Json& data);
  Result<size_t> DeleteById(const std::string& model, const std::string& id);
  Result<size_t> DeleteAll(const std::string& model, const Json& where);

  // ---- checkpoints (one sequence shared by every model of the database)
  // Bumps and returns LoopBack's checkpoint object {"seq","time","id":1}.
  Result<Json> Checkpoint();
  Result<int64_t> CurrentCheckpoint();

  // ---- the shared write path, also used by replication
  // Writes `record` (nullopt: deletes) of `model` with its change, rectified from
  // `stored_change` (the row as read, Store::GetMany), into `batch`.
  Status AddWrite(const ModelDefinition& model, const std::string& id, std::optional<Record> record,
                  int64_t checkpoint, const std::optional<Change>& stored_change, Batch* batch);
  // The same, on condition that nothing it read has changed when the batch applies: that
  // (model, id) is still stored as `read` (a Precondition) and, for a model that tracks
  // changes, that the checkpoint is still `checkpoint`, the seq its change is stamped with.
  // Apply answers kPreconditionFailed otherwise: re-read and retry.
  Status AddCheckedWrite(const ModelDefinition& model, const std::string& id, StoredEntry read,
                         std::optional<Record> record, int64_t checkpoint, Batch* batch);
  // Applies the batch and hands it to the listener.
  Result<CommittedBatch> Commit(Batch batch);

 private:
  Result<Filter> ParseFilterFor(const ModelDefinition& model, const Json& filter) const;
  // The stored record, or LoopBack's MODEL_NOT_FOUND as kNotFound.
  Result<Record> GetExisting(const std::string& model, const std::string& id);
  // AddCheckedWrite of a record the caller read as `read` (nullopt: absent); reads its
  // change row. The change row may be read after the record: if another write came
  // between, the record no longer matches and Apply refuses the batch.
  Status AddWriteOver(const ModelDefinition& model, const std::string& id,
                      std::optional<Record> read, std::optional<Record> record, int64_t checkpoint,
                      Batch* batch);
  // Writes `record` over `read`, what the caller read of it (nullopt: absent).
  Result<Record> WriteOne(const ModelDefinition& model, const std::string& id,
                          std::optional<Record> read, Record record);

  // Runs `once` (a read-then-write) again while Apply says what it read has changed, at
  // most 5 times, then answers kConflict. Args come from `once` alone (NotDeduced).
  template <typename T>
  using NotDeduced = typename std::enable_if<true, T>::type;
  template <typename R, typename... Args>
  R Retrying(R (Database::*once)(Args...), NotDeduced<Args>... args);
  // One attempt of each write: kPreconditionFailed when something it read changed before
  // its batch applied (another server, or a store shared without this process's lock).
  // The public operations run them through Retrying, which reads again.
  Result<Record> CreateOnce(const std::string& model, const Json& data);
  Result<std::vector<Record>> CreateManyOnce(const std::string& model, const Json& array);
  Result<Record> PatchAttributesOnce(const std::string& model, const std::string& id,
                                     const Json& data);
  Result<Record> ReplaceByIdOnce(const std::string& model, const std::string& id, const Json& data);
  Result<Record> PatchOrCreateOnce(const std::string& model, const Json& data);
  Result<Record> ReplaceOrCreateOnce(const std::string& model, const Json& data);
  Result<size_t> UpdateAllOnce(const std::string& model, const Json& where, const Json& data);
  Result<Record> UpsertWithWhereOnce(const std::string& model, const Json& where, const Json& data);
  Result<size_t> DeleteByIdOnce(const std::string& model, const std::string& id);
  Result<size_t> DeleteAllOnce(const std::string& model, const Json& where);
  Result<Json> CheckpointOnce();
  // LoopBack's upserts with persistUndefinedAsNull first set every unsent property to null.
  Json PrefillNulls(const ModelDefinition& model, const Json& data) const;

  Store* store_;
  Environment env_;
  std::map<std::string, std::unique_ptr<ModelDefinition>> models_;
  std::function<void(CommittedBatch)> listener_;
};

}  // namespace replicore

#endif  // REPLICORE_DATABASE_H_
