// JSON text -> ParseJsonWithin (json_limits.h) -> CanonicalJson (json_canonical.h).
// Properties: the parse honours the depth limit (the first byte picks a smaller one, so
// the boundary is hit often); canonical JSON is valid JSON and a fixed point (parse it,
// canonicalise again: same bytes), so a revision does not depend on who serialised the
// record last; every number prints as JS's String(n), which reads back as the same double.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "replicore/json_canonical.h"
#include "replicore/json_limits.h"

using replicore::Json;

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  fprintf(stderr, "%s: %s\n", what, detail.c_str());
  abort();
}

// Walks the value without recursion (it may be kMaxJsonDepth deep) checking each number.
void CheckNumbers(const Json& root) {
  std::vector<const Json*> stack{&root};
  while (!stack.empty()) {
    const Json* value = stack.back();
    stack.pop_back();
    if (value->is_structured()) {
      for (const Json& child : *value) stack.push_back(&child);
    } else if (value->is_number()) {
      double d = value->get<double>();
      std::string js = replicore::JsNumberToString(d);
      if (std::isfinite(d) && std::strtod(js.c_str(), nullptr) != d) Fail("JsNumberToString does not round-trip", js);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  int max_depth = data[0] % 8 == 0 ? replicore::kMaxJsonDepth : data[0] % 8;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto value = replicore::ParseJsonWithin(text, max_depth);
  if (!value.ok()) return 0;
  if (replicore::JsonDepth(*value) > max_depth) Fail("ParseJsonWithin let a deeper value through", text);
  if (auto bad = replicore::FindMalformedString(*value)) Fail("nlohmann accepted a malformed string at", *bad);
  CheckNumbers(*value);

  std::string canonical = replicore::CanonicalJson(*value);
  auto reparsed = replicore::ParseJsonWithin(canonical, max_depth);
  if (!reparsed.ok()) Fail("canonical JSON does not parse", canonical + " (" + reparsed.status().message() + ")");
  std::string again = replicore::CanonicalJson(*reparsed);
  if (again != canonical) Fail("canonical JSON is not a fixed point", canonical + "\n" + again);
  if (replicore::Revision(*reparsed) != replicore::Revision(*value)) Fail("revision moved", canonical);
  return 0;
}
