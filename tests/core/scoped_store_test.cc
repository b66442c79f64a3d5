// ScopedStore: passes the Store conformance suite over a MemoryStore, and two scopes over one
// base never see each other's records or change rows while sharing the checkpoint sequence.
#include <gtest/gtest.h>

#include "core/store_conformance.h"
#include "core/test_util.h"
#include "replicore/database.h"
#include "replicore/memory_store.h"
#include "replicore/replication.h"
#include "replicore/scoped_store.h"

namespace replicore {
namespace {

struct OwnedBase {
  MemoryStore base;
};
// A ScopedStore that owns its base (built first, so the address handed over is live).
class OwningScopedStore : private OwnedBase, public ScopedStore {
 public:
  OwningScopedStore() : ScopedStore(&base, "alice") {}
};

INSTANTIATE_TEST_SUITE_P(
    Scoped, StoreConformanceTest,
    ::testing::Values(StoreFactory{"ScopedMemoryStore",
                                   [] { return std::unique_ptr<Store>(new OwningScopedStore()); }}),
    StoreFactoryName());

class ScopedStoreTest : public ::testing::Test {
 protected:
  ScopedStoreTest() : alice_store_(&base_, "alice"), bob_store_(&base_, "bob"),
                      alice_(&alice_store_, env_.Get()), bob_(&bob_store_, env_.Get()) {
    EXPECT_TRUE(alice_.AddModel(testing::TodoModel()).ok());
    EXPECT_TRUE(bob_.AddModel(testing::TodoModel()).ok());
  }
  testing::FakeEnvironment env_;
  MemoryStore base_;
  ScopedStore alice_store_, bob_store_;
  Database alice_, bob_;
};

TEST_F(ScopedStoreTest, OwnersHaveTheirOwnIdSpaceAndChangeLog) {
  ASSERT_TRUE(alice_.Create("Todo", {{"id", "t1"}, {"title", "alice's"}}).ok());
  EXPECT_FALSE(bob_.FindById("Todo", "t1")->has_value());
  EXPECT_EQ(*bob_.Count("Todo", Json()), 0u);
  // The same id for bob is a create, not a conflict that would reveal alice's record.
  ASSERT_TRUE(bob_.Create("Todo", {{"id", "t1"}, {"title", "bob's"}}).ok());
  EXPECT_EQ((***alice_.FindById("Todo", "t1"))["title"], "alice's");
  EXPECT_EQ((***bob_.FindById("Todo", "t1"))["title"], "bob's");
  auto alice_changes = Changes(alice_, "Todo", -1, Json::object(), std::nullopt, std::nullopt);
  ASSERT_TRUE(alice_changes.ok());
  ASSERT_EQ(alice_changes->changes.size(), 1u);
  EXPECT_EQ(alice_changes->changes[0].model_name, "Todo");
  EXPECT_EQ(*bob_.DeleteById("Todo", "t1"), 1u);
  EXPECT_TRUE(alice_.FindById("Todo", "t1")->has_value());
  // One checkpoint sequence for all.
  ASSERT_TRUE(alice_.Checkpoint().ok());
  EXPECT_EQ(*bob_.CurrentCheckpoint(), *alice_.CurrentCheckpoint());
}

}  // namespace
}  // namespace replicore
