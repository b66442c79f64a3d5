// A URL query string -> qs-style object (ParseQueryString, core/src/query_string.cc) ->
// the filter and where it carries, as the server's GET routes use them. Never crashes or
// throws; the decoded object is valid UTF-8 (the server dumps it into answers and logs)
// and stays within the JSON depth limit.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "replicore/filter.h"
#include "replicore/json_limits.h"

using replicore::Json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto query = replicore::ParseQueryString(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!query.ok()) return 0;
  (void)query->dump();  // throws (and so aborts the fuzzer) on invalid UTF-8
  if (replicore::JsonDepth(*query) > replicore::kMaxJsonDepth + 1) {
    fprintf(stderr, "query string decoded %d levels deep\n", replicore::JsonDepth(*query));
    abort();
  }
  static const Json kRecord = {{"id", "a-1"}, {"title", "buy milk"}, {"completed", false},
                               {"created", 1700000000000}, {"meta", {{"n", 2}}}};
  if (auto it = query->find("filter"); it != query->end()) {
    if (auto filter = replicore::ParseFilter(*it); filter.ok()) {
      (void)replicore::Matches(filter->where, kRecord);
      (void)replicore::Project(*filter, kRecord);
    }
  }
  if (auto it = query->find("where"); it != query->end()) {
    if (auto where = replicore::ParseWhere(*it); where.ok()) (void)replicore::Matches(*where, kRecord);
  }
  return 0;
}
