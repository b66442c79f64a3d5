#include "replicore/json_limits.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace replicore {

std::string TooDeepMessage(int max_depth) {
  return "JSON nested deeper than " + std::to_string(max_depth) + " levels";
}

namespace {

// The deepest nesting of arrays and objects in `text`, outside strings, stopping as soon
// as it passes `max_depth`: one linear pass, far cheaper than the parse it protects.
int TextDepth(const std::string& text, int max_depth) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) > max_depth) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<Json> ParseJsonWithin(const std::string& text, int max_depth) {
  // Refused before parsing: nlohmann's parser keeps its own stack, but its destructor and
  // dump recurse, as do the core's walkers.
  if (TextDepth(text, max_depth) > max_depth) return Status::BadRequest(TooDeepMessage(max_depth));
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for 1e400
    std::string message = e.what();
    size_t bracket = message.find("] ");
    if (message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
      message = message.substr(bracket + 2);
    }
    return Status::BadRequest(message);
  }
}

int64_t SafeInteger(const Json& value) {
  constexpr double kSafe = 9.0e15;
  if (!value.is_number()) return 0;
  if (value.is_number_unsigned()) {
    return static_cast<int64_t>(std::min<uint64_t>(value.get<uint64_t>(), static_cast<uint64_t>(kSafe)));
  }
  if (value.is_number_integer()) {
    return std::clamp<int64_t>(value.get<int64_t>(), -static_cast<int64_t>(kSafe), static_cast<int64_t>(kSafe));
  }
  double d = value.get<double>();
  if (d != d) return 0;  // NaN
  return static_cast<int64_t>(std::clamp(d, -kSafe, kSafe));
}

int JsonDepth(const Json& value) {
  int deepest = 0;
  std::vector<std::pair<const Json*, int>> stack{{&value, 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (!node->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    for (const Json& child : *node) stack.emplace_back(&child, depth + 1);
  }
  return deepest;
}

}  // namespace replicore
