// Small helpers shared by the core tests.
#ifndef REPLICORE_TESTS_CORE_TEST_UTIL_H_
#define REPLICORE_TESTS_CORE_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>

#include "replicore/model.h"
#include "replicore/status.h"

namespace replicore::testing {

#ifdef RC_VECTORS_DIR
// Reads a file of ../shared/vectors (RC_VECTORS_DIR), aborting the test binary if absent:
// a vector that cannot be read must fail loudly, never skip.
inline Json LoadVector(const std::string& relative_path) {
  std::string path = std::string(RC_VECTORS_DIR) + "/" + relative_path;
  std::ifstream in(path);
  if (!in) {
    fprintf(stderr, "cannot open vector file %s\n", path.c_str());
    abort();
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return Json::parse(buffer.str());
}
#endif  // RC_VECTORS_DIR

// A deterministic environment: a settable clock and a counting guid generator.
struct FakeEnvironment {
  double now = 1700000000000;
  int next_guid = 1;
  std::string forced_guid;  // when set, the next guid (once)

  Environment Get() {
    return Environment{[this] { return now; },
                       [this] {
                         if (!forced_guid.empty()) {
                           std::string guid = forced_guid;
                           forced_guid.clear();
                           return guid;
                         }
                         return "guid-" + std::to_string(next_guid++);
                       }};
  }
};

inline Json TodoModel(const std::string& name = "Todo") {
  return Json{{"name", name},
              {"plural", name + "s"},
              {"strict", "throw"},
              {"trackChanges", true},
              {"properties",
               {{"id", {{"type", "string"}, {"id", true}, {"defaultFn", "guid"}}},
                {"title", "string"},
                {"completed", {{"type", "boolean"}, {"default", false}}},
                {"created", {{"type", "number"}, {"defaultFn", "now"}}},
                {"dueAt", {{"type", "date"}}},
                {"meta", {{"type", "object"}}}}}};
}

// Records (and anything else) as JSON trees, for comparisons and dumps in tests.
inline Json ToJson(const Record& record) { return *record; }
inline Json ToJson(const std::vector<Record>& records) {
  Json array = Json::array();
  for (const Record& record : records) array.push_back(*record);
  return array;
}
template <typename T>
Json ToJson(const T& value) {
  return Json(value);
}

}  // namespace replicore::testing

#endif  // REPLICORE_TESTS_CORE_TEST_UTIL_H_
