// Private to core/src: the last line of defence that keeps exceptions inside the core.
#ifndef REPLICORE_SRC_GUARD_H_
#define REPLICORE_SRC_GUARD_H_

#include <exception>
#include <string>

#include "replicore/status.h"

namespace replicore {

// Runs `body` and turns any exception into a kBadRequest status naming `what`. Peers send
// arbitrary JSON, and nlohmann throws on a value of the wrong type deep inside a
// well-formed document; no exception may leave a public core function.
template <typename Fn>
auto Guard(const char* what, Fn&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::BadRequest(std::string(what) + ": malformed input (" + e.what() + ")");
  }
}

}  // namespace replicore

#endif  // REPLICORE_SRC_GUARD_H_
