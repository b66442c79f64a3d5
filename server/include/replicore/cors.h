// CORS for browsers on other origins (`--cors ORIGIN`, off by default): the allowed
// origins get Access-Control-* headers on every answer, and preflights are answered here.
#ifndef REPLICORE_CORS_H_
#define REPLICORE_CORS_H_

#include <string>
#include <vector>

namespace replicore {
namespace http {

struct Cors {
  std::vector<std::string> origins;  // exact origins, or "*"; empty: CORS off

  // The Access-Control-Allow-Origin value for a request from `origin`, or "" (none).
  std::string AllowedOrigin(const std::string& origin) const;
  // [name, value] headers for an answer to a request from an allowed origin; a preflight
  // (`preflight_headers`: its Access-Control-Request-Headers) gets the allow-lists too.
  std::vector<std::pair<std::string, std::string>> Headers(const std::string& allowed, bool preflight,
                                                           const std::string& preflight_headers) const;
};

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_CORS_H_
