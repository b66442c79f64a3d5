// Test-only: what the tests needing an external server (PostgreSQL, Redis) share. Its
// address comes from an environment variable that a wrapper script sets; without it a test
// fails in CI (CI=true), where the server must be there, and is skipped elsewhere.
#ifndef REPLICORE_TESTS_SERVER_EXTERNAL_SERVER_H_
#define REPLICORE_TESTS_SERVER_EXTERNAL_SERVER_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace replicore {
namespace testing {

// $name, or "" when unset.
inline std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// Whether a test needing an external server must fail rather than skip without one: in CI.
inline bool ExternalServerRequired() { return EnvOrEmpty("CI") == "true"; }

}  // namespace testing
}  // namespace replicore

// In a TEST body: fails (CI) or skips when the environment variable `variable` is unset;
// `server` names the server and `script` the wrapper that starts one.
#define RC_REQUIRE_EXTERNAL_SERVER(variable, server, script)                                \
  do {                                                                                      \
    if (::replicore::testing::EnvOrEmpty(variable).empty()) {                               \
      if (::replicore::testing::ExternalServerRequired()) {                                 \
        FAIL() << variable " is unset in CI: run under " script;                            \
      }                                                                                     \
      GTEST_SKIP() << "no " server ": " variable " is unset (" script ")";                  \
    }                                                                                       \
  } while (0)

#endif  // REPLICORE_TESTS_SERVER_EXTERNAL_SERVER_H_
