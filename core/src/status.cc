#include "replicore/status.h"

namespace replicore {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kValidation: return "validation";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kBadFilter: return "bad_filter";
    case StatusCode::kBadRequest: return "bad_request";
    case StatusCode::kTooLarge: return "too_large";
    case StatusCode::kUnauthorized: return "unauthorized";
    case StatusCode::kForbidden: return "forbidden";
    case StatusCode::kStorage: return "storage";
    case StatusCode::kStepLimit: return "step_limit";
    case StatusCode::kInternal: return "internal";
    case StatusCode::kPreconditionFailed: return "precondition_failed";
  }
  return "storage";
}

std::optional<StatusCode> StatusCodeNamed(const std::string& name) {
  for (int code = 0; code <= static_cast<int>(StatusCode::kPreconditionFailed); ++code) {
    if (name == StatusCodeName(static_cast<StatusCode>(code))) return static_cast<StatusCode>(code);
  }
  return std::nullopt;
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kValidation: return 422;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kConflict: return 409;
    case StatusCode::kBadFilter: return 400;
    case StatusCode::kBadRequest: return 400;
    case StatusCode::kTooLarge: return 413;
    case StatusCode::kUnauthorized: return 401;
    case StatusCode::kForbidden: return 403;
    case StatusCode::kStorage: return 500;
    case StatusCode::kStepLimit: return 500;
    case StatusCode::kInternal: return 500;
    case StatusCode::kPreconditionFailed: return 409;
  }
  return 500;
}

std::string ErrorText(const Status& status) {
  Json error = {{"code", StatusCodeName(status.code())}, {"message", status.message()}};
  if (!status.details().is_null()) error["details"] = status.details();
  return Json{{"error", std::move(error)}}.dump();
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace replicore
