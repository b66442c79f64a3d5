// Errors as values. Every fallible core function returns Status or Result<T>;
// no exception leaves a public core function.
#ifndef REPLICORE_STATUS_H_
#define REPLICORE_STATUS_H_

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace replicore {

using Json = nlohmann::json;

// The stable codes (ARCHITECTURE.md §2). The server maps them to HTTP, JS to err.code.
// May the caller retry, and how?
//   kValidation  fix the input (422)           kNotFound     the record is gone (404)
//   kConflict    re-read, resolve, retry (409) kBadFilter    fix the filter (400)
//   kBadRequest  fix the request (400)         kTooLarge     send less (413)
//   kUnauthorized log in (401)                 kForbidden    not allowed (403)
//   kStorage     stop and report (500)          kInternal     a bug: report it (500)
//   kPreconditionFailed  what a write read has changed since: re-read, then retry (409)
enum class StatusCode {
  kOk = 0,
  kValidation,
  kNotFound,
  kConflict,
  kBadFilter,
  kBadRequest,
  kTooLarge,
  kUnauthorized,
  kForbidden,
  kStorage,
  kStepLimit,  // a sans-I/O party did not finish within its driver's bound of steps
  kInternal,   // an exception escaped: a bug in replicore, never the caller's input
  // A batch's precondition did not hold (Store::Apply): nothing was written. Last, so the
  // numbers of the codes above stay as they were.
  kPreconditionFailed,
};

// "validation", "not_found", ...; "ok" for kOk.
const char* StatusCodeName(StatusCode code);
// The HTTP status LoopBack uses for the code (200 for kOk).
int HttpStatusFor(StatusCode code);
// The code StatusCodeName gives `name`, or nullopt.
std::optional<StatusCode> StatusCodeNamed(const std::string& name);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message, Json details = nullptr)
      : code_(code), message_(std::move(message)), details_(std::move(details)) {}

  static Status Ok() { return Status(); }
  static Status Validation(std::string m, Json d = nullptr) {
    return Status(StatusCode::kValidation, std::move(m), std::move(d));
  }
  static Status NotFound(std::string m, Json d = nullptr) {
    return Status(StatusCode::kNotFound, std::move(m), std::move(d));
  }
  static Status Conflict(std::string m, Json d = nullptr) {
    return Status(StatusCode::kConflict, std::move(m), std::move(d));
  }
  static Status BadFilter(std::string m) { return Status(StatusCode::kBadFilter, std::move(m)); }
  static Status BadRequest(std::string m) { return Status(StatusCode::kBadRequest, std::move(m)); }
  static Status TooLarge(std::string m) { return Status(StatusCode::kTooLarge, std::move(m)); }
  static Status Unauthorized(std::string m) {
    return Status(StatusCode::kUnauthorized, std::move(m));
  }
  static Status Forbidden(std::string m) { return Status(StatusCode::kForbidden, std::move(m)); }
  static Status Storage(std::string m) { return Status(StatusCode::kStorage, std::move(m)); }
  static Status StepLimit(std::string m) { return Status(StatusCode::kStepLimit, std::move(m)); }
  static Status Internal(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }
  static Status PreconditionFailed(std::string m, Json d = nullptr) {
    return Status(StatusCode::kPreconditionFailed, std::move(m), std::move(d));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const Json& details() const { return details_; }
  // "validation: `title` is not a string" — for logs and test failures.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  Json details_;
};

// `status` as the error answer the JSON-text surfaces give (LocalDatabase, Stepped):
// {"error": {"code", "message", "details"?}}.
std::string ErrorText(const Status& status);

// A value or an error; never holds an OK status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status)                          // NOLINT(google-explicit-constructor)
      : data_(status.ok() ? Status(StatusCode::kStorage, "Result built from an OK status")
                          : std::move(status)) {}

  bool ok() const { return data_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(data_);
  }
  // REQUIRES: ok().
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace replicore

// Early return on error: RC_RETURN_IF_ERROR(store->Apply(batch));
#define RC_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::replicore::Status rc_status_ = (expr);      \
    if (!rc_status_.ok()) return rc_status_;      \
  } while (false)

// Early return on error, else the value: RC_ASSIGN_OR_RETURN(Filter filter, ParseFilter(json));
// or, into an existing variable, RC_ASSIGN_OR_RETURN(filter.where, ParseWhere(json));
// `expr` is a Result<T>. Expands to several statements, so it needs a block around it.
#define RC_ASSIGN_OR_RETURN(lhs, ...) \
  RC_ASSIGN_OR_RETURN_IMPL_(RC_CONCAT_(rc_result_, __LINE__), lhs, __VA_ARGS__)
#define RC_ASSIGN_OR_RETURN_IMPL_(result, lhs, ...) \
  auto result = (__VA_ARGS__);                       \
  if (!result.ok()) return result.status();          \
  lhs = std::move(result).value()
#define RC_CONCAT_(a, b) RC_CONCAT_INNER_(a, b)
#define RC_CONCAT_INNER_(a, b) a##b

#endif  // REPLICORE_STATUS_H_
