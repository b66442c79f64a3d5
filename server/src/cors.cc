#include "replicore/cors.h"

#include <algorithm>

namespace replicore {
namespace http {

std::string Cors::AllowedOrigin(const std::string& origin) const {
  if (origin.empty()) return "";
  if (std::find(origins.begin(), origins.end(), "*") != origins.end()) return "*";
  return std::find(origins.begin(), origins.end(), origin) != origins.end() ? origin : "";
}

std::vector<std::pair<std::string, std::string>> Cors::Headers(
    const std::string& allowed, bool preflight, const std::string& preflight_headers) const {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Access-Control-Allow-Origin", allowed},
      {"Vary", "Origin"},
      // The cursor of a paged /changes (PROTOCOL.md §9.1) must be readable by the page.
      {"Access-Control-Expose-Headers", "X-Replicore-Next, Retry-After"},
  };
  if (preflight) {
    headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE");
    headers.emplace_back("Access-Control-Allow-Headers",
                         preflight_headers.empty() ? "content-type, authorization" : preflight_headers);
    headers.emplace_back("Access-Control-Max-Age", "600");
  }
  return headers;
}

}  // namespace http
}  // namespace replicore
