// RC_ASSIGN_OR_RETURN: the value on success, the error returned unchanged otherwise.
#include "replicore/status.h"

#include <gtest/gtest.h>

#include <string>

namespace replicore {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return Status::BadRequest(std::to_string(n) + " is odd");
  return n / 2;
}

// Two declarations and an assignment to an existing variable, in one scope.
Result<int> Eighth(int n) {
  RC_ASSIGN_OR_RETURN(int half, Half(n));
  RC_ASSIGN_OR_RETURN(auto quarter, Half(half));
  int eighth = 0;
  RC_ASSIGN_OR_RETURN(eighth, Half(quarter));
  return eighth;
}

Status CheckEighth(int n, int* out) {
  RC_ASSIGN_OR_RETURN(*out, Eighth(n));
  return Status::Ok();
}

TEST(AssignOrReturn, AssignsTheValueOrReturnsTheError) {
  Result<int> eighth = Eighth(40);
  ASSERT_TRUE(eighth.ok());
  EXPECT_EQ(*eighth, 5);
  EXPECT_EQ(Eighth(12).status().ToString(), "bad_request: 3 is odd");
  int out = -1;
  EXPECT_TRUE(CheckEighth(8, &out).ok());
  EXPECT_EQ(out, 1);
  EXPECT_EQ(CheckEighth(4, &out).code(), StatusCode::kBadRequest);
  EXPECT_EQ(out, 1);
}

// Issue 24: a failed batch precondition has a code of its own, answered as a conflict.
TEST(StatusCode, PreconditionFailedHasAStableNameAnd409) {
  EXPECT_STREQ(StatusCodeName(StatusCode::kPreconditionFailed), "precondition_failed");
  EXPECT_EQ(StatusCodeNamed("precondition_failed"), StatusCode::kPreconditionFailed);
  EXPECT_EQ(StatusCodeNamed("internal"), StatusCode::kInternal);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPreconditionFailed), 409);
  EXPECT_EQ(Status::PreconditionFailed("moved").code(), StatusCode::kPreconditionFailed);
}

}  // namespace
}  // namespace replicore
