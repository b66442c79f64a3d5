// Finding a route in a table, and taking the lock it declares.
#include "replicore/routes.h"

#include <utility>

namespace replicore {
namespace http {

unsigned MethodBit(const std::string& method) {
  if (method == "GET") return kGet;
  if (method == "HEAD") return kHead;
  if (method == "POST") return kPost;
  if (method == "PUT") return kPut;
  if (method == "PATCH") return kPatch;
  if (method == "DELETE") return kDelete;
  return 0;
}

Held RouteCall::Hold() const {
  Held held;
  if (route.lock == Lock::kWrite) {
    held.exclusive = std::unique_lock<std::shared_mutex>(mu);
  } else if (!sqlite || !sqlite->SnapshotReads()) {
    // Over a file database a read runs on its own snapshot, without the lock: a slow query
    // (a regexp over megabytes of text) never holds up writers (issue 20 item 3).
    held.shared = std::shared_lock<std::shared_mutex>(mu);
  }
  if (sqlite) held.reads = sqlite->BatchReads(route.lock == Lock::kWrite);
  return held;
}

namespace {

// `pattern` ("", "count", ":id/exists") against `segments`; ":id" matches any one segment.
bool Matches(const std::string& pattern, const std::vector<std::string>& segments,
             std::string* id) {
  std::vector<std::string> parts = SplitPath(pattern);
  if (parts.size() != segments.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == ":id") {
      *id = segments[i];
    } else if (parts[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

RouteMatch MatchRoute(const std::vector<Route>& routes, const std::string& method,
                      const std::vector<std::string>& segments) {
  const unsigned bit = MethodBit(method);
  for (const Route& route : routes) {
    std::string id;
    if ((route.methods & bit) != 0 && Matches(route.pattern, segments, &id)) {
      return RouteMatch{&route, std::move(id)};
    }
  }
  return RouteMatch{};
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string DecodeSegment(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string> SplitPath(const std::string& raw) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    if (slash == std::string::npos) slash = raw.size();
    if (slash > start) segments.push_back(DecodeSegment(raw.substr(start, slash - start)));
    start = slash + 1;
  }
  return segments;
}

}  // namespace http
}  // namespace replicore
