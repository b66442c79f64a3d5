#include "replicore/json_limits.h"

#include <utility>
#include <vector>

namespace replicore {

std::string TooDeepMessage(int max_depth) {
  return "JSON nested deeper than " + std::to_string(max_depth) + " levels";
}

Result<Json> ParseJsonWithin(const std::string& text, int max_depth) {
  bool too_deep = false;
  // nlohmann's parser keeps its own stack (no recursion); the callback drops any container
  // that starts past the limit, so it is never built.
  auto limit = [&](int depth, Json::parse_event_t event, Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        depth >= max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  Json parsed;
  try {
    parsed = Json::parse(text, limit);
  } catch (const Json::parse_error& e) {
    std::string message = e.what();
    size_t bracket = message.find("] ");
    if (message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
      message = message.substr(bracket + 2);
    }
    return Status::BadRequest(message);
  }
  if (too_deep) return Status::BadRequest(TooDeepMessage(max_depth));
  return parsed;
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
