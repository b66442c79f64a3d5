// LoopBack filter JSON -> Filter (core/include/replicore/filter.h), then evaluated on a few
// records as MemoryStore does: parse, match, order, page and project never crash or throw.
// The input is also handed over as one JSON string (?filter={...} reaches ParseFilter so).
#include <cstdint>
#include <string>
#include <vector>

#include "replicore/filter.h"
#include "replicore/json_limits.h"

using replicore::Json;

namespace {

// The Todo model's property types (web-example/models/todo.json), for where coercion.
const replicore::PropertyTypeLookup kTodoTypes = [](std::string_view property) -> std::optional<std::string> {
  if (property == "id" || property == "title") return "string";
  if (property == "completed") return "boolean";
  if (property == "created") return "number";
  if (property == "dueAt") return "date";
  if (property == "meta") return "object";
  return std::nullopt;
};

void Evaluate(const replicore::Filter& filter) {
  static const Json kRecords[] = {
      Json{{"id", "a-1"}, {"title", "buy milk"}, {"completed", false}, {"created", 1700000000000},
           {"dueAt", "2024-01-02T00:00:00.000Z"}, {"meta", {{"tags", {"x", "y"}}, {"n", 2}}}},
      Json{{"id", "a-2"}, {"title", "Ünïcode 😀"}, {"completed", true}, {"created", -1.5}},
      Json{{"id", "b"}, {"title", nullptr}, {"meta", {{"n", "2"}}}},
      Json::object(),
  };
  std::vector<const Json*> matching;
  for (const Json& record : kRecords) {
    if (replicore::Matches(filter.where, record)) matching.push_back(&record);
    (void)replicore::Project(filter, record);
  }
  (void)replicore::OrderPage(filter, matching);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto filter = replicore::ParseFilter(Json(text), &kTodoTypes); filter.ok()) Evaluate(*filter);
  auto json = replicore::ParseJsonWithin(text);
  if (!json.ok()) return 0;
  if (auto filter = replicore::ParseFilter(*json, &kTodoTypes); filter.ok()) Evaluate(*filter);
  if (auto filter = replicore::ParseFilter(*json); filter.ok()) Evaluate(*filter);
  (void)replicore::ParseWhere(*json, &kTodoTypes);
  return 0;
}
