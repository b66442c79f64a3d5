// The one way replicore turns an exception into an error value: Guard (or GuardWith, when the
// error is not a Status or needs its own message) around the body of a function that must not
// throw. Boundaries that parse foreign input catch the parser's own exception instead
// (ParseJsonWithin), and the server's httplib exception handler is httplib's hook.
#ifndef REPLICORE_GUARD_H_
#define REPLICORE_GUARD_H_

#include <exception>
#include <string>

#include "replicore/status.h"

namespace replicore {

// Runs `body`; a std::exception becomes on_exception(e), converted to body's return type.
template <typename Fn, typename OnException>
auto GuardWith(Fn&& body, OnException&& on_exception) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return on_exception(e);
  }
}

// As above, and anything else thrown becomes on_other(): for a boundary that must let
// nothing through, whatever a library throws (the server's request handler).
template <typename Fn, typename OnException, typename OnOther>
auto GuardWith(Fn&& body, OnException&& on_exception, OnOther&& on_other) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return on_exception(e);
  } catch (...) {
    return on_other();
  }
}

// Runs `body` and turns any exception into a status naming `what`: no exception may leave
// a public core function. A request's input is validated before it is used, so there an
// exception (nlohmann throwing on a value of a type nobody checked) is a bug to fix,
// reported as kInternal (500, logged), never passed off as the caller's bad request.
// What a party reads from its peer or its stored state is guarded with the code that
// names whose fault it is (kBadRequest for a malformed answer, kStorage for a corrupt state).
template <typename Fn>
auto Guard(const char* what, Fn&& body, StatusCode code = StatusCode::kInternal) -> decltype(body()) {
  return GuardWith(body, [&](const std::exception& e) {
    const char* kind = code == StatusCode::kInternal ? ": unexpected exception (" : ": malformed (";
    return Status(code, std::string(what) + kind + e.what() + ")");
  });
}

}  // namespace replicore

#endif  // REPLICORE_GUARD_H_
