#include "replicore/memory_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/store_conformance.h"
#include "core/store_wrapper.h"

namespace replicore {
namespace {

// A StoreWrapper that owns its MemoryStore (the owner base is built first, so the address
// handed to StoreWrapper is of a live object).
struct OwnedMemoryStore {
  MemoryStore target;
};
class OwningStoreWrapper : private OwnedMemoryStore, public StoreWrapper {
 public:
  OwningStoreWrapper() : StoreWrapper(&target) {}
};

// The suite's Todo queries, answered through indexes wherever the planner can use them.
std::unique_ptr<Store> IndexedMemoryStore() {
  auto store = std::make_unique<MemoryStore>();
  Status declared = store->DeclareIndexes(
      "Todo", {IndexDefinition{"priority_idx", {{"priority", false}}},
               IndexDefinition{"title_idx", {{"title", true}}},
               IndexDefinition{"done", {{"completed", true}, {"priority", true}}}});
  if (!declared.ok()) return nullptr;
  return store;
}

INSTANTIATE_TEST_SUITE_P(
    Memory, StoreConformanceTest,
    ::testing::Values(
        StoreFactory{"MemoryStore", [] { return std::unique_ptr<Store>(new MemoryStore()); }},
        StoreFactory{"IndexedMemoryStore", IndexedMemoryStore},
        // No failure injected: proves the wrapper forwards every call and its result.
        StoreFactory{"WrappedMemoryStore",
                     [] { return std::unique_ptr<Store>(new OwningStoreWrapper()); }}),
    StoreFactoryName());

// ---- durability API (ARCHITECTURE.md §3.4)

const std::vector<std::string> kModels = {"Todo", "Note"};
const std::vector<std::string> kMetaKeys = {"checkpoint.time", "since.peer", "unresolved"};

Change MakeChange(const std::string& model, const std::string& model_id,
                  std::optional<std::string> rev, std::optional<std::string> prev,
                  int64_t checkpoint) {
  Change change;
  change.id = "cid-" + model_id;
  change.rev = std::move(rev);
  change.prev = std::move(prev);
  change.prev_set = change.prev.has_value();
  change.checkpoint = checkpoint;
  change.model_name = model;
  change.model_id = model_id;
  return change;
}

// Four batches that overwrite, delete, re-create and erase what earlier ones wrote, and
// write some keys twice within one batch.
std::vector<Batch> HistoryBatches() {
  std::vector<Batch> batches(4);
  Batch& b1 = batches[0];
  b1.records.push_back({"Todo", "a", Record::FromTree(Json{{"id", "a"}, {"title", "ask"}})});
  b1.records.push_back({"Todo", "b", Record::FromTree(Json{{"id", "b"}, {"title", "buy"}})});
  b1.records.push_back({"Note", "a", Record::FromTree(Json{{"id", "a"}, {"text", "note"}})});
  b1.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "ra1", std::nullopt, 1)});
  b1.changes.push_back({"Todo", "b", MakeChange("Todo", "b", "rb1", std::nullopt, 1)});
  b1.changes.push_back({"Note", "a", MakeChange("Note", "a", "rn1", std::nullopt, 1)});
  b1.meta.push_back({"checkpoint.time", "2024-01-01T00:00:00.000Z"});
  b1.meta.push_back({"unresolved", Json::array({"x"})});

  Batch& b2 = batches[1];
  b2.records.push_back({"Todo", "a", Record::FromTree(Json{{"id", "a"}, {"title", "ask again"}})});
  b2.records.push_back({"Todo", "b", std::nullopt});
  b2.records.push_back({"Todo", "c", Record::FromTree(Json{{"id", "c"}, {"title", "cook"}})});
  b2.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "ra2", "ra1", 2)});
  b2.changes.push_back({"Todo", "b", MakeChange("Todo", "b", std::nullopt, "rb1", 2)});
  b2.changes.push_back({"Todo", "c", MakeChange("Todo", "c", "rc1", std::nullopt, 2)});
  b2.checkpoint = 2;
  b2.meta.push_back({"since.peer", Json{{"source", 1}, {"target", 1}}});
  b2.meta.push_back({"unresolved", nullptr});

  Batch& b3 = batches[2];  // the same keys twice in one batch
  b3.records.push_back({"Todo", "a", Record::FromTree(Json{{"id", "a"}, {"title", "third"}})});
  b3.records.push_back({"Todo", "a", Record::FromTree(Json{{"id", "a"}, {"title", "fourth"}})});
  b3.records.push_back({"Todo", "b", Record::FromTree(Json{{"id", "b"}, {"title", "buy again"}})});
  b3.records.push_back({"Todo", "c", std::nullopt});
  b3.records.push_back({"Todo", "c", Record::FromTree(Json{{"id", "c"}, {"title", "cook again"}})});
  b3.records.push_back({"Note", "a", std::nullopt});
  b3.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "ra3", "ra2", 3)});
  b3.changes.push_back({"Todo", "a", MakeChange("Todo", "a", "ra4", "ra2", 3)});
  b3.changes.push_back({"Todo", "c", std::nullopt});
  b3.changes.push_back({"Note", "a", std::nullopt});
  b3.checkpoint = 3;
  b3.meta.push_back({"since.peer", Json{{"source", 2}, {"target", 2}}});
  b3.meta.push_back({"since.peer", Json{{"source", 3}, {"target", 3}}});
  b3.meta.push_back({"unresolved", Json::array({"y"})});
  b3.meta.push_back({"unresolved", nullptr});
  b3.meta.push_back({"checkpoint.time", nullptr});

  Batch& b4 = batches[3];  // a checkpoint bump only
  b4.checkpoint = 4;
  return batches;
}

TEST(MemoryStoreTest, UndoLastRestoresEachEarlierStateNewestFirst) {
  MemoryStore store;
  store.set_keep_undo(true);
  std::vector<std::string> states = {DumpStore(store, kModels, kMetaKeys)};
  for (Batch& batch : HistoryBatches()) {
    Result<CommittedBatch> committed = store.Apply(std::move(batch));
    ASSERT_TRUE(committed.ok()) << committed.status().ToString();
    states.push_back(DumpStore(store, kModels, kMetaKeys));
    EXPECT_NE(states.back(), states[states.size() - 2]) << "batch " << committed->seq;
  }
  ASSERT_EQ(store.unconfirmed(), 4u);
  for (size_t i = states.size() - 1; i > 0; --i) {
    Status undone = store.UndoLast();
    ASSERT_TRUE(undone.ok()) << undone.ToString();
    EXPECT_EQ(DumpStore(store, kModels, kMetaKeys), states[i - 1]) << "after undoing batch " << i;
    EXPECT_EQ(store.unconfirmed(), i - 1);
  }
  EXPECT_EQ(store.UndoLast().code(), StatusCode::kNotFound);
  EXPECT_EQ(DumpStore(store, kModels, kMetaKeys), states[0]);

  // Commit numbers are never reused after an undo.
  Result<CommittedBatch> next = store.Apply(Batch());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, 5u);
}

TEST(MemoryStoreTest, UndoAfterRedoingOnTopOfAnUndo) {
  MemoryStore store;
  store.set_keep_undo(true);
  std::vector<Batch> batches = HistoryBatches();
  ASSERT_TRUE(store.Apply(batches[0]).ok());
  const std::string after_first = DumpStore(store, kModels, kMetaKeys);
  ASSERT_TRUE(store.Apply(batches[1]).ok());
  ASSERT_TRUE(store.UndoLast().ok());
  ASSERT_EQ(DumpStore(store, kModels, kMetaKeys), after_first);
  // Re-applying after an undo, then undoing again, lands on the same state.
  ASSERT_TRUE(store.Apply(batches[2]).ok());
  ASSERT_TRUE(store.UndoLast().ok());
  EXPECT_EQ(DumpStore(store, kModels, kMetaKeys), after_first);
  EXPECT_EQ(store.unconfirmed(), 1u);
}

TEST(MemoryStoreTest, ConfirmDropsUndoInformation) {
  MemoryStore store;
  store.set_keep_undo(true);
  std::vector<std::string> states;
  std::vector<uint64_t> seqs;
  for (Batch& batch : HistoryBatches()) {
    Result<CommittedBatch> committed = store.Apply(std::move(batch));
    ASSERT_TRUE(committed.ok()) << committed.status().ToString();
    seqs.push_back(committed->seq);
    states.push_back(DumpStore(store, kModels, kMetaKeys));
  }
  ASSERT_EQ(store.unconfirmed(), 4u);

  store.Confirm(seqs[1]);  // batches 1 and 2 reached disk
  EXPECT_EQ(store.unconfirmed(), 2u);
  store.Confirm(seqs[0]);  // confirming an older seq again is a no-op
  EXPECT_EQ(store.unconfirmed(), 2u);

  ASSERT_TRUE(store.UndoLast().ok());
  EXPECT_EQ(DumpStore(store, kModels, kMetaKeys), states[2]);
  ASSERT_TRUE(store.UndoLast().ok());
  EXPECT_EQ(DumpStore(store, kModels, kMetaKeys), states[1]);
  EXPECT_EQ(store.unconfirmed(), 0u);
  // Confirmed batches cannot be undone.
  EXPECT_EQ(store.UndoLast().code(), StatusCode::kNotFound);
  EXPECT_EQ(DumpStore(store, kModels, kMetaKeys), states[1]);
}

TEST(MemoryStoreTest, ConfirmEverythingLeavesNothingToUndo) {
  MemoryStore store;
  store.set_keep_undo(true);
  uint64_t last = 0;
  for (Batch& batch : HistoryBatches()) {
    Result<CommittedBatch> committed = store.Apply(std::move(batch));
    ASSERT_TRUE(committed.ok());
    last = committed->seq;
  }
  const std::string state = DumpStore(store, kModels, kMetaKeys);
  store.Confirm(last + 100);
  EXPECT_EQ(store.unconfirmed(), 0u);
  EXPECT_EQ(store.UndoLast().code(), StatusCode::kNotFound);
  EXPECT_EQ(DumpStore(store, kModels, kMetaKeys), state);

  // Later batches are undoable again, and only they.
  ASSERT_TRUE(store.Apply(HistoryBatches()[0]).ok());
  EXPECT_EQ(store.unconfirmed(), 1u);
  ASSERT_TRUE(store.UndoLast().ok());
  EXPECT_EQ(DumpStore(store, kModels, kMetaKeys), state);
}

TEST(MemoryStoreTest, NoUndoInformationUnlessKept) {
  MemoryStore store;
  ASSERT_TRUE(store.Apply(HistoryBatches()[0]).ok());
  EXPECT_EQ(store.unconfirmed(), 0u);
  const std::string state = DumpStore(store, kModels, kMetaKeys);
  EXPECT_EQ(store.UndoLast().code(), StatusCode::kNotFound);
  EXPECT_EQ(DumpStore(store, kModels, kMetaKeys), state);

  // Turning undo off drops what was kept.
  store.set_keep_undo(true);
  ASSERT_TRUE(store.Apply(HistoryBatches()[1]).ok());
  EXPECT_EQ(store.unconfirmed(), 1u);
  store.set_keep_undo(false);
  EXPECT_EQ(store.unconfirmed(), 0u);
  EXPECT_EQ(store.UndoLast().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace replicore
