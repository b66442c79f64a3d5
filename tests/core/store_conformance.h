// The Store conformance suite (rocksdb's env/env_basic_test.cc style): one value-parameterized
// GoogleTest suite that every Store implementation runs. A store's test file includes this
// header and instantiates the suite with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(StoreFactory{"Sqlite", [] { return ...; }}),
//                            StoreFactoryName());
//
// Why the TEST_P bodies are not in this header: TEST_P expands to a class whose TestBody() is
// defined out of line (not inline) plus a static registration object, so a header holding them
// and included from two .cc files would break the link (duplicate TestBody) and register each
// test twice. The bodies therefore live in tests/core/store_conformance.cc, compiled once into
// core_tests (CMake globs tests/core/*.cc). GoogleTest joins TEST_P definitions and
// INSTANTIATE_TEST_SUITE_P calls by suite name at run time, across translation units, so any
// .cc of the same binary can instantiate the suite. A test binary other than core_tests must
// compile store_conformance.cc too. This header holds only inline functions and types, so it
// can be included from any number of .cc files.
#ifndef REPLICORE_TESTS_CORE_STORE_CONFORMANCE_H_
#define REPLICORE_TESTS_CORE_STORE_CONFORMANCE_H_

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "replicore/store.h"

namespace replicore {

// How to make a fresh, empty store of one implementation. `name` shows in test names, so it
// should be alphanumeric (other characters become '_').
struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>()> make;
};

// Makes GoogleTest print the store's name instead of the bytes of the struct.
inline void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

// Test name suffix: StoreConformanceTest.Get/MemoryStore.
struct StoreFactoryName {
  std::string operator()(const ::testing::TestParamInfo<StoreFactory>& info) const {
    std::string name =
        info.param.name.empty() ? "Store" + std::to_string(info.index) : info.param.name;
    for (char& c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
  }
};

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr) << "factory " << GetParam().name << " made no store";
  }

  std::unique_ptr<Store> store_;
};

// The whole observable state of `store` as one string (leveldb's write_batch_test style), so a
// check of the state is one ASSERT_EQ: every record of `models` in id order, every change row
// in (checkpoint, modelId) order, the checkpoint, and the `meta_keys` that are set. Read
// errors show up in the string.
inline std::string DumpStore(Store& store, const std::vector<std::string>& models,
                             const std::vector<std::string>& meta_keys) {
  std::string out;
  for (const std::string& model : models) {
    Result<std::vector<Record>> records = store.Find(model, Filter());
    if (!records.ok()) {
      out += "Find(" + model + ") failed: " + records.status().ToString() + "\n";
    } else {
      for (const Record& record : *records) out += "Record(" + model + ", " + record.text() + ")\n";
    }
    ChangeQuery query;
    query.model = model;
    Result<std::vector<Change>> changes = store.Changes(query);
    if (!changes.ok()) {
      out += "Changes(" + model + ") failed: " + changes.status().ToString() + "\n";
    } else {
      for (const Change& change : *changes) {
        out += "Change(" + model + ", " + change.ToJson().dump() + ")\n";
      }
    }
  }
  Result<int64_t> checkpoint = store.CurrentCheckpoint();
  out += "Checkpoint(" +
         (checkpoint.ok() ? std::to_string(*checkpoint) : checkpoint.status().ToString()) + ")\n";
  for (const std::string& key : meta_keys) {
    Result<std::optional<Json>> value = store.GetMeta(key);
    if (!value.ok()) {
      out += "Meta(" + key + ") failed: " + value.status().ToString() + "\n";
    } else if (value->has_value()) {
      out += "Meta(" + key + ", " + (*value)->dump() + ")\n";
    }
  }
  return out;
}

}  // namespace replicore

#endif  // REPLICORE_TESTS_CORE_STORE_CONFORMANCE_H_
