// Helpers of the HTTP tests of replicore-server (http_server_test.cc,
// http_replication_session_test.cc, http_concurrency_test.cc): the real binary on an
// ephemeral port on 127.0.0.1 (ServerProcess), requests and replies, and the shape
// comparison of replies against the LoopBack 3 captures (Comparer).
#ifndef REPLICORE_TESTS_SERVER_HTTP_TEST_UTIL_H_
#define REPLICORE_TESTS_SERVER_HTTP_TEST_UTIL_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "replicore/regex.h"
#include "replicore/status.h"

namespace replicore::http_test {

namespace fs = std::filesystem;

// True when all of `text` matches the ECMAScript `pattern`. Through the core's regex seam
// (RE2), not <regex>: GCC 12 reports false -Wmaybe-uninitialized warnings inside libstdc++'s
// regex compiler in the sanitizer build (std::function moved in _NFA::_M_insert_*).
inline bool MatchesWhole(const std::string& text, const std::string& pattern) {
  std::shared_ptr<const Regex> regex = CompileRegex("^(?:" + pattern + ")$", "", nullptr);
  return regex != nullptr && regex->Search(text);
}

inline const std::string kVectors = RC_VECTORS_DIR "/loopback";

// encodeURIComponent.
inline std::string Enc(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || std::strchr("-_.!~*'()", c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

inline Json ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

inline std::string MakeTempDir(const std::string& tag) {
  std::string pattern = (fs::temp_directory_path() / ("rc-http-" + tag + "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  char* made = mkdtemp(buffer.data());
  return made ? std::string(made) : std::string();
}

// The Todo model of the captures, with `created` defaulting to now (JS Date.now there).
inline std::string WriteTodoModel() {
  std::string dir = MakeTempDir("models");
  Json model = ReadJsonFile(kVectors + "/_model-todo.json")["model"];
  model["properties"]["created"] = Json{{"type", "number"}, {"defaultFn", "now"}};
  std::ofstream(dir + "/todo.json") << model.dump(2);
  return dir;
}

struct Reply {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  bool ok = false;
  Json json() const { return Json::parse(body, nullptr, false); }
  std::string header(const std::string& key) const {
    auto it = headers.find(key);
    return it == headers.end() ? std::string() : it->second;
  }
};

class ServerProcess {
 public:
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Starts replicore-server with `args` (plus --port 0 --host 127.0.0.1) and reads its URL.
  // REPLICORE_TEST_STORE=postgres runs it on PostgreSQL instead (UsePostgres).
  ::testing::AssertionResult Start(std::vector<std::string> args) {
    if (::testing::AssertionResult moved = UsePostgres(&args); !moved) return moved;
    args.insert(args.begin(), RC_SERVER_BINARY);
    args.push_back("--port");
    args.push_back("0");
    args.push_back("--host");
    args.push_back("127.0.0.1");
    log_path_ = MakeTempDir("log") + "/stderr.log";
    int out[2];
    if (pipe(out) != 0) return ::testing::AssertionFailure() << "pipe";
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      int err = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) dup2(err, 2);
      close(out[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buffer[256];
      ssize_t n = read(out[0], buffer, sizeof buffer);
      if (n <= 0) break;
      line.append(buffer, static_cast<size_t>(n));
    }
    close(out[0]);
    line = line.substr(0, line.find('\n'));
    if (!MatchesWhole(line, R"(http://[0-9.]+:[0-9]+)")) {
      return ::testing::AssertionFailure() << "first stdout line is not a URL: \"" << line
                                           << "\"; stderr: " << Log();
    }
    url_ = line;
    const size_t colon = line.rfind(':');
    host_ = line.substr(std::strlen("http://"), colon - std::strlen("http://"));
    port_ = std::stoi(line.substr(colon + 1));
    return ::testing::AssertionSuccess();
  }

  // With REPLICORE_TEST_STORE=postgres (tests/pg/with-postgres.sh sets REPLICORE_PG_URL),
  // the same tests run on a server backed by PostgreSQL: `--db :memory:` becomes a fresh
  // schema of $REPLICORE_PG_URL, a file path a schema named after it (a restart finds its
  // data). A server with --users keeps SQLite: users are not stored in PostgreSQL.
  static ::testing::AssertionResult UsePostgres(std::vector<std::string>* args) {
    const char* store = std::getenv("REPLICORE_TEST_STORE");
    if (store == nullptr || std::string(store) != "postgres") return ::testing::AssertionSuccess();
    for (const std::string& arg : *args) {
      if (arg == "--users" || arg == "--allow-signup") return ::testing::AssertionSuccess();
    }
    const char* url = std::getenv("REPLICORE_PG_URL");
    if (url == nullptr || *url == '\0') {
      return ::testing::AssertionFailure()
             << "REPLICORE_TEST_STORE=postgres needs REPLICORE_PG_URL (tests/pg/with-postgres.sh)";
    }
    static int fresh = 0;
    for (size_t i = 0; i + 1 < args->size(); ++i) {
      if ((*args)[i] != "--db") continue;
      std::string& db = (*args)[i + 1];
      const std::string schema =
          db == ":memory:" ? "rc_http_" + std::to_string(getpid()) + "_" + std::to_string(++fresh)
                           : "rc_file_" + std::to_string(std::hash<std::string>()(db));
      db = url;
      args->insert(args->begin() + static_cast<std::ptrdiff_t>(i) + 2, {"--pg-schema", schema});
      break;
    }
    return ::testing::AssertionSuccess();
  }

  // SIGTERM, then the exit status must be 0 within 10 s.
  ::testing::AssertionResult Stop() {
    if (pid_ <= 0) return ::testing::AssertionFailure() << "not running";
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 1000; ++i) {
      pid_t done = waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << "exit status " << status << "; stderr: " << Log();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return ::testing::AssertionFailure() << "did not stop within 10 s after SIGTERM";
  }

  void Kill9() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  Reply Call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& content_type = "", httplib::Headers headers = {}) const {
    httplib::Client client(host_, port_);
    client.set_url_encode(false);
    client.set_read_timeout(30, 0);
    httplib::Request request;
    request.method = method;
    request.path = target;
    request.body = body;
    request.headers = std::move(headers);
    request.set_header("Accept", "application/json");
    if (!content_type.empty()) request.set_header("Content-Type", content_type);
    Reply reply;
    auto result = client.send(request);
    if (!result) return reply;
    reply.ok = true;
    reply.status = result->status;
    reply.body = result->body;
    reply.headers = result->headers;
    return reply;
  }
  Reply Json_(const std::string& method, const std::string& target, const Json& body) {
    return Call(method, target, body.dump(), "application/json");
  }

  const std::string& url() const { return url_; }
  const std::string& host() const { return host_; }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::string url_, host_, log_path_;
  int port_ = 0;
};

// ---------------------------------------------------------------- shape comparison

inline const char kGuid[] = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
inline const char kIso[] = R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)";

inline bool IsGuid(const Json& v) { return v.is_string() && MatchesWhole(v.get<std::string>(), kGuid); }

inline std::string TypeOf(const Json& v) {
  if (v.is_number()) return "number";
  return v.type_name();
}

struct Comparer {
  std::map<std::string, std::string> translate;  // LoopBack value -> ours (guids, change ids)
  std::set<std::string> varying_ids;             // records whose revs vary (Date.now, guids)
  std::vector<std::string> problems;

  Json Translate(const Json& v) const {
    if (v.is_string()) {
      auto it = translate.find(v.get<std::string>());
      if (it != translate.end()) return it->second;
    }
    return v;
  }

  static std::string KeyOf(const Json& item) {
    if (!item.is_object()) return "";
    if (item.contains("modelId") && item["modelId"].is_string()) return "m:" + item["modelId"].get<std::string>();
    if (item.contains("change") && item["change"].is_object() && item["change"].contains("modelId")) {
      return "c:" + item["change"]["modelId"].dump();
    }
    if (item.contains("id") && item["id"].is_string()) return "i:" + item["id"].get<std::string>();
    return "";
  }

  void Compare(const Json& expected_raw, const Json& actual, const std::string& path,
               const std::string& key = "", bool varying_record = false) {
    Json expected = Translate(expected_raw);
    if (IsGuid(expected_raw) && !translate.count(expected_raw.get<std::string>())) {
      if (!IsGuid(actual)) problems.push_back(path + ": expected a guid, got " + actual.dump());
      return;
    }
    if (key == "created" && expected.is_number() && expected.get<double>() > 1.75e12) {
      if (!actual.is_number() || actual.get<double>() < 1.7e12) {
        problems.push_back(path + ": expected a Date.now number, got " + actual.dump());
      }
      return;
    }
    if (key == "time" && expected.is_string()) {
      if (!actual.is_string() || !MatchesWhole(actual.get<std::string>(), kIso)) {
        problems.push_back(path + ": expected an ISO time, got " + actual.dump());
      }
      return;
    }
    if (varying_record && (key == "rev" || key == "prev" || key == "id")) {
      if (TypeOf(expected) != TypeOf(actual)) {
        problems.push_back(path + ": type " + TypeOf(actual) + " != " + TypeOf(expected));
      }
      return;
    }
    if (TypeOf(expected) != TypeOf(actual)) {
      problems.push_back(path + ": type " + TypeOf(actual) + " (" + actual.dump().substr(0, 120) +
                         ") != " + TypeOf(expected) + " (" + expected.dump().substr(0, 120) + ")");
      return;
    }
    if (expected.is_object()) {
      bool varying = false;
      if (expected.contains("modelId") && expected["modelId"].is_string()) {
        varying = varying_ids.count(expected["modelId"].get<std::string>()) > 0;
      }
      for (auto it = expected.begin(); it != expected.end(); ++it) {
        if (!actual.contains(it.key())) {
          problems.push_back(path + ": missing key " + it.key());
          continue;
        }
        Compare(it.value(), actual[it.key()], path + "." + it.key(), it.key(), varying);
      }
      for (auto it = actual.begin(); it != actual.end(); ++it) {
        if (!expected.contains(it.key())) problems.push_back(path + ": extra key " + it.key());
      }
      return;
    }
    if (expected.is_array()) {
      if (expected.size() != actual.size()) {
        problems.push_back(path + ": " + std::to_string(actual.size()) + " items, expected " +
                           std::to_string(expected.size()));
        return;
      }
      // Items with a key (modelId, change.modelId, id) match by key: LoopBack's memory
      // connector orders changes by change id, replicore by (checkpoint, modelId).
      std::map<std::string, const Json*> by_key;
      for (const Json& item : actual) {
        std::string k = KeyOf(item);
        if (!k.empty()) by_key[k] = &item;
      }
      for (size_t i = 0; i < expected.size(); ++i) {
        Json translated_item = expected[i];
        std::string k = KeyOf(TranslateKeys(expected[i]));
        std::string p = path + "[" + std::to_string(i) + "]";
        if (!k.empty() && by_key.size() == actual.size()) {
          auto it = by_key.find(k);
          if (it == by_key.end()) {
            problems.push_back(p + ": no item with key " + k);
            continue;
          }
          Compare(expected[i], *it->second, p + "{" + k + "}");
        } else {
          Compare(expected[i], actual[i], p);
        }
      }
      return;
    }
    if (expected != actual) {
      problems.push_back(path + ": " + actual.dump().substr(0, 200) + " != " +
                         expected.dump().substr(0, 200));
    }
  }

  Json TranslateKeys(const Json& item) const {
    if (!item.is_object()) return item;
    Json out = item;
    for (const char* k : {"modelId", "id"}) {
      if (out.contains(k)) out[k] = Translate(out[k]);
    }
    if (out.contains("change") && out["change"].is_object() && out["change"].contains("modelId")) {
      out["change"]["modelId"] = Translate(out["change"]["modelId"]);
    }
    return out;
  }
};

}  // namespace replicore::http_test

#endif  // REPLICORE_TESTS_SERVER_HTTP_TEST_UTIL_H_
