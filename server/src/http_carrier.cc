// Each Op as the LoopBack 3 REST call of js/src/remote/routes.js, and the answer back as
// the core takes it (js/src/remote/index.js _carry, http.js).
#include "replicore/http_carrier.h"

#include <httplib.h>

#include <chrono>
#include <utility>

#include "replicore/gzip.h"
#include "replicore/http_api.h"

namespace replicore {
namespace {

// encodeURIComponent: what a path segment or a query value may hold as it is.
std::string EncodeComponent(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '!' || c == '~' ||
        c == '*' || c == '\'' || c == '(' || c == ')') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A query argument as JS's URLSearchParams gets it: strings as they are, the rest as JSON.
void AddQuery(const char* name, const Json& value, std::string* query) {
  if (value.is_null()) return;
  const std::string text = value.is_string() ? value.get<std::string>() : http::ToJsonText(value);
  *query += (query->empty() ? "?" : "&") + std::string(name) + "=" + EncodeComponent(text);
}

std::string IdPath(const Json& args) {
  const Json& id = args.contains("id") ? args["id"] : Json();
  return "/" + EncodeComponent(id.is_string() ? id.get<std::string>() : http::ToJsonText(id));
}

// One REST call: method, path under the model's base URL (query included), JSON body.
struct Call {
  std::string method;
  std::string path;
  std::optional<std::string> body;
};

Call CallFor(const Request& request) {
  const Json& args = request.args.tree();
  auto arg = [&](const char* name) { return args.contains(name) ? args[name] : Json(); };
  auto body_of = [&](const char* name, Json fallback) {
    const Json value = arg(name);
    return http::ToJsonText(value.is_null() ? std::move(fallback) : value);
  };
  switch (request.op) {
    case Op::kCheckpoint:
      return {"POST", "/checkpoint", std::string("{}")};
    case Op::kChanges: {
      std::string query;
      AddQuery("since", arg("since"), &query);
      AddQuery("filter", arg("filter"), &query);
      AddQuery("limit", arg("limit"), &query);
      const Json after = arg("after");
      if (after.is_array() && after.size() == 2 && after[1].is_string()) {
        AddQuery("after", http::ToJsonText(after[0]) + ":" + after[1].get<std::string>(), &query);
      }
      return {"GET", "/changes" + query, std::nullopt};
    }
    case Op::kDiff: {
      std::string query;
      AddQuery("since", arg("since"), &query);
      if (arg("resent").is_boolean() && arg("resent").get<bool>()) AddQuery("resent", 1, &query);
      return {"POST", "/diff" + query, body_of("changes", Json::array())};
    }
    case Op::kCreateUpdates:
      return {"POST", "/create-updates", body_of("deltas", Json::array())};
    case Op::kBulkUpdate:
      // The updates go as the text the core wrote them in: records are never re-dumped.
      if (request.args.has_text()) return {"POST", "/bulk-update", std::string(request.args.text())};
      return {"POST", "/bulk-update", http::ToJsonText(Json{{"updates", arg("updates").is_null()
                                                                        ? Json::array()
                                                                        : arg("updates")}})};
    case Op::kFindById:
      return {"GET", IdPath(args), std::nullopt};
    case Op::kFindLastChange:
      return {"GET", IdPath(args) + "/changes/last", std::nullopt};
    case Op::kUpdateLastChange:
      return {"PUT", IdPath(args) + "/changes/last", body_of("data", Json::object())};
  }
  return {"GET", "/", std::nullopt};
}

// The core code of an HTTP error: the error body's code when it is one of the core's,
// else LoopBack's meaning of the status (js/src/remote/http.js codeForStatus).
StatusCode CodeFor(int status, const Json& error) {
  if (error.is_object() && error.contains("code") && error["code"].is_string()) {
    if (auto named = StatusCodeNamed(error["code"].get<std::string>())) return *named;
  }
  switch (status) {
    case 400: return StatusCode::kBadRequest;
    case 401: return StatusCode::kUnauthorized;
    case 403: return StatusCode::kForbidden;
    case 404: return StatusCode::kNotFound;
    case 409: return StatusCode::kConflict;
    case 413: return StatusCode::kTooLarge;
    case 422: return StatusCode::kValidation;
    default: return status >= 500 ? StatusCode::kStorage : StatusCode::kBadRequest;
  }
}

Status HttpError(const std::string& what, const httplib::Response& response) {
  Json body = Json::parse(response.body, nullptr, false);
  Json error = body.is_object() && body.contains("error") ? body["error"] : Json();
  std::string message = error.is_object() && error.contains("message") && error["message"].is_string()
                            ? error["message"].get<std::string>()
                            : what + ": HTTP " + std::to_string(response.status);
  Json details = error.is_object() && error.contains("details") ? error["details"] : Json();
  return Status(CodeFor(response.status, error), std::move(message), std::move(details));
}

// "<checkpoint>:<modelId>" (X-Replicore-Next) as the core's cursor; the id stays as the
// server encoded it, and goes back so (as the JS remote does).
Json DecodeCursor(const std::string& text) {
  size_t colon = text.find(':');
  if (colon == std::string::npos) return nullptr;
  char* end = nullptr;
  long long checkpoint = std::strtoll(text.c_str(), &end, 10);
  if (end != text.c_str() + colon) return nullptr;
  return Json::array({checkpoint, text.substr(colon + 1)});
}

// Why a request got no answer, in words (httplib's names are one word: "Connection").
std::string Unreachable(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection: return "connection refused or host unreachable";
    case httplib::Error::ConnectionTimeout: return "no connection within the connect timeout";
    case httplib::Error::Read: return "no answer (timed out, or the connection was closed)";
    case httplib::Error::Write: return "the request could not be sent (connection closed)";
    default: return httplib::to_string(error);
  }
}

// Why SendBounded cut an answer short.
enum class Cut { kNone, kTooLarge, kTooSlow };

// One call whose answer body is read here, not by httplib: its client takes any length (a
// peer could send gigabytes, or a chunked answer that never ends) for any time (its read
// timeout is per read). *cut: past max_bytes, or past `deadline` since the call began.
httplib::Result SendBounded(httplib::Client& client, const std::string& method,
                            const std::string& path, httplib::Headers headers,
                            const std::optional<std::string>& body, size_t max_bytes,
                            std::chrono::seconds deadline, Cut* cut) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  httplib::Request request;
  request.method = method;
  request.path = path;
  request.headers = std::move(headers);
  if (body) {
    request.headers.emplace("Content-Type", "application/json");
    request.body = *body;
  }
  std::string received;
  *cut = Cut::kNone;
  auto in_time = [&] {
    if (std::chrono::steady_clock::now() > until) *cut = Cut::kTooSlow;
    return *cut == Cut::kNone;
  };
  request.response_handler = [&](const httplib::Response&) { return in_time(); };
  request.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
    if (received.size() + length > max_bytes) *cut = Cut::kTooLarge;
    if (!in_time()) return false;
    received.append(data, length);
    return true;
  };
  httplib::Result answer = client.send(request);
  if (answer) answer->body = std::move(received);
  return answer;
}

std::string CutShort(Cut cut, const HttpCarrierOptions& options) {
  return cut == Cut::kTooLarge
             ? "an answer over " + std::to_string(options.max_answer_bytes) + " bytes"
             : "no whole answer within " + std::to_string(options.answer_timeout.count()) + " s";
}

}  // namespace

Result<ApiRoot> ParseApiRoot(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0 || url.size() == scheme.size()) {
    return Status::BadRequest("\"" + url + "\" is not an http:// URL (https is not supported)");
  }
  size_t slash = url.find('/', scheme.size());
  ApiRoot root;
  root.origin = url.substr(0, slash);
  root.path = slash == std::string::npos ? "" : url.substr(slash);
  while (!root.path.empty() && root.path.back() == '/') root.path.pop_back();
  return root;
}

HttpCarrier::HttpCarrier(ApiRoot root, std::string plural, HttpCarrierOptions options)
    : root_(std::move(root)), plural_(std::move(plural)), options_(options),
      client_(std::make_unique<httplib::Client>(root_.origin)) {
  client_->set_connection_timeout(options.connect_timeout);
  client_->set_read_timeout(options.io_timeout);
  client_->set_write_timeout(options.io_timeout);
  client_->set_keep_alive(true);
  client_->set_tcp_nodelay(true);  // small requests, one after another: no Nagle delay
  // gzip answers are inflated here, bounded by max_answer_bytes (httplib's own inflation
  // has no bound).
  client_->set_decompress(false);
}

HttpCarrier::~HttpCarrier() = default;

Result<PeerCapabilities> HttpCarrier::Probe() {
  const std::string url = root_.url() + "/replicore/capabilities";
  Cut cut = Cut::kNone;
  httplib::Result answer = SendBounded(*client_, "GET", root_.path + "/replicore/capabilities",
                                       {{"Accept", "application/json"}}, std::nullopt,
                                       options_.max_answer_bytes, options_.answer_timeout, &cut);
  if (cut != Cut::kNone) return Status::Storage("GET " + url + ": " + CutShort(cut, options_));
  if (!answer) {
    return Status::Storage("cannot reach " + url + ": " + Unreachable(answer.error()));
  }
  PeerCapabilities capabilities;
  if (answer->status == 404) return capabilities;  // LoopBack 3
  if (answer->status != 200) return HttpError("GET " + url, *answer);
  Json body = Json::parse(answer->body, nullptr, false);
  if (body.is_object() && body.contains("extensions") && body["extensions"].is_array()) {
    capabilities.loopback = false;
    for (const Json& name : body["extensions"]) {
      if (name == "cursor-changes") capabilities.cursor_changes = true;
    }
  }
  return capabilities;
}

Response HttpCarrier::Carry(Request request) {
  const Call call = CallFor(request);
  const std::string path = root_.path + "/" + plural_ + call.path;
  const std::string what = call.method + " " + root_.origin + path;
  httplib::Headers headers = {{"Accept", "application/json"}};
  if (options_.accept_gzip) headers.emplace("Accept-Encoding", "gzip");
  const std::string too_large = what + ": " + CutShort(Cut::kTooLarge, options_);
  Cut cut = Cut::kNone;
  httplib::Result answer = SendBounded(*client_, call.method, path, std::move(headers), call.body,
                                       options_.max_answer_bytes, options_.answer_timeout, &cut);
  if (cut != Cut::kNone) return {Status::Storage(what + ": " + CutShort(cut, options_)), nullptr};
  if (!answer) {
    return {Status::Storage("cannot reach " + root_.origin + " (" + what + "): " +
                            Unreachable(answer.error())),
            nullptr};
  }
  if (answer->get_header_value("Content-Encoding") == "gzip") {
    bool bomb = false;
    std::optional<std::string> inflated =
        http::Gunzip(answer->body, options_.max_answer_bytes, &bomb);
    if (!inflated) {
      return {Status::Storage(bomb ? too_large : what + ": a gzip answer that does not inflate"),
              nullptr};
    }
    answer->body = std::move(*inflated);
    ++gzipped_answers_;
  }
  const int status = answer->status;
  if (status < 200 || (status >= 300 && status < 400)) {
    // Redirects are not followed (the peer's URL is the one it is known by, checkpoints
    // included): an empty 302 must not pass for an empty answer.
    return {Status::Storage(what + ": HTTP " + std::to_string(status) +
                            (status >= 300 ? " (redirects are not followed)" : "")),
            nullptr};
  }
  if (status >= 400) {
    if (request.op == Op::kFindById && status == 404) return {Status::Ok(), nullptr};
    return {HttpError(what, *answer), nullptr};
  }
  if (request.op == Op::kBulkUpdate || answer->body.empty()) return {Status::Ok(), nullptr};
  // Updates go back as the text they came in (records are not re-serialized).
  if (request.op == Op::kCreateUpdates) return {Status::Ok(), Payload::FromText(std::move(answer->body))};
  Json body = Json::parse(answer->body, nullptr, false);
  if (body.is_discarded()) return {Status::Storage(what + ": the answer is not JSON"), nullptr};
  const Json& args = request.args.tree();
  if (request.op == Op::kChanges && args.contains("limit") && !args["limit"].is_null()) {
    const std::string next_header = answer->get_header_value("X-Replicore-Next");
    Json next = next_header.empty() ? Json() : DecodeCursor(next_header);
    // A peer that ignores `after` (or pages nothing) would be asked for the same page
    // again and again: a cursor must move past the one sent, over at least one change.
    if (!next_header.empty() && next.is_null()) {
      // Taken for the last page, it would end the replicate early and lose the rest.
      return {Status::Storage(what + ": an X-Replicore-Next that is no cursor: \"" +
                              next_header + "\""),
              nullptr};
    }
    if (!next.is_null() &&
        ((args.contains("after") && next == args["after"]) || !body.is_array() || body.empty())) {
      return {Status::Storage(what + ": the X-Replicore-Next cursor \"" + next_header +
                              "\" does not advance"),
              nullptr};
    }
    return {Status::Ok(), Json{{"changes", std::move(body)}, {"next", std::move(next)}}};
  }
  return {Status::Ok(), std::move(body)};
}

}  // namespace replicore
