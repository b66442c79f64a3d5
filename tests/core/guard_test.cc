// Guard and GuardWith: what the body returns, or the error value an exception becomes.
#include "replicore/guard.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace replicore {
namespace {

TEST(Guard, ReturnsWhatTheBodyReturns) {
  Result<int> value = Guard("answer", []() -> Result<int> { return 42; });
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 42);
}

TEST(Guard, AStdExceptionBecomesAStatusNamingWhat) {
  Status status = Guard("diff", []() -> Status { throw std::runtime_error("boom"); });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(status.message(), "diff: unexpected exception (boom)");
}

// The three-argument GuardWith lets nothing through: what is not a std::exception goes
// to on_other.
TEST(GuardWith, AnythingElseThrownGoesToOnOther) {
  auto guarded = [](auto body) {
    return GuardWith(body, [](const std::exception& e) { return std::string("std: ") + e.what(); },
                     [] { return std::string("other"); });
  };
  EXPECT_EQ(guarded([]() -> std::string { return "value"; }), "value");
  EXPECT_EQ(guarded([]() -> std::string { throw std::logic_error("bad"); }), "std: bad");
  EXPECT_EQ(guarded([]() -> std::string { throw 7; }), "other");
}

}  // namespace
}  // namespace replicore
