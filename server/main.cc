// replicore-server: LoopBack 3 compatible REST and replication endpoints over SQLite.
// The first line on stdout is the URL it listens on; one log line per request on stderr.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "replicore/database.h"
#include "replicore/http_server.h"
#include "replicore/memory_store.h"
#include "replicore/sqlite_store.h"
#include "replicore/uuid.h"

namespace {

using replicore::Json;

constexpr const char* kUsage = R"(Usage: replicore-server [options]

LoopBack 3 compatible REST and replication server (PROTOCOL.md §2, §9).

Options:
  --models DIR      model JSON files (every *.json in DIR), as the browser uses them
  --db PATH         SQLite database file (default ./replicore.db); ":memory:" keeps
                    everything in memory (lost on exit)
  --host HOST       address to listen on (default 127.0.0.1)
  --port N          port (default 3000; 0 picks a free one)
  --static [/PATH=]DIR  also serve the files of DIR at / (or at /PATH); repeatable
  --cors ORIGIN     let pages of ORIGIN (e.g. http://localhost:5173, or *) call the API
                    from the browser; repeatable; off by default
  --api-root PATH   where the REST API is mounted (default /api)
  --max-body SIZE   largest request body, bytes or with k/m suffix (default 32m);
                    larger bodies get 413
  --max-connections N  connections served at once (default 1024, one thread each);
                    more wait for a free one
  --request-timeout S  seconds a request may take to arrive, be answered and sent
                    (default 60); a slower client is cut off
  --sync MODE       normal (default: every acknowledged write survives kill -9) or
                    full (also survives power loss; slower)
  --log-level L     off | error | warn | info (default: one line per request) | debug
  --help            this text

The first line printed on stdout is the URL the server listens on. SIGTERM or SIGINT
stops it cleanly.
)";

// A whole decimal number, or -1.
long ParseCount(const std::string& text) {
  char* end = nullptr;
  long n = std::strtol(text.c_str(), &end, 10);
  return text.empty() || *end != '\0' ? -1 : n;
}

bool ParseSize(const std::string& text, size_t* out) {
  if (text.empty()) return false;
  size_t i = 0;
  unsigned long long value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    value = value * 10 + static_cast<unsigned long long>(text[i] - '0');
    if (value > (1ull << 40)) return false;
    ++i;
  }
  if (i == 0) return false;
  std::string suffix = text.substr(i);
  for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (suffix == "" || suffix == "b") {
  } else if (suffix == "k" || suffix == "kb") {
    value *= 1024;
  } else if (suffix == "m" || suffix == "mb") {
    value *= 1024 * 1024;
  } else if (suffix == "g" || suffix == "gb") {
    value *= 1024ull * 1024 * 1024;
  } else {
    return false;
  }
  *out = static_cast<size_t>(value);
  return true;
}

replicore::Environment MakeEnvironment() {
  replicore::Environment env;
  env.now_ms = [] {
    using namespace std::chrono;
    return static_cast<double>(
        duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  };
  env.new_guid = [] {
    thread_local std::mt19937_64 rng(std::random_device{}() ^
                                     static_cast<uint64_t>(std::hash<std::thread::id>()(
                                         std::this_thread::get_id())));
    const uint64_t a = rng();
    return replicore::FormatUuidV4(a, rng());
  };
  return env;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "replicore-server: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string models_dir;
  std::string db_path = "./replicore.db";
  std::string sync = "normal";
  std::string log_level_text = "info";
  replicore::http::ServerOptions options;

  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline = true;
      }
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    auto next = [&](std::string* out) {
      if (has_inline) {
        *out = value;
        return true;
      }
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    if (arg == "--models" || arg == "--db" || arg == "--host" || arg == "--port" ||
        arg == "--static" || arg == "--api-root" || arg == "--max-body" || arg == "--sync" ||
        arg == "--log-level" || arg == "--cors" || arg == "--max-connections" ||
        arg == "--request-timeout") {
      if (!next(&v)) return Fail(arg + " needs a value (see --help)");
    } else {
      return Fail("unknown option " + args[i] + " (see --help)");
    }
    if (arg == "--models") models_dir = v;
    else if (arg == "--db") db_path = v;
    else if (arg == "--host") options.host = v;
    else if (arg == "--static") {
      // DIR (served at /) or /PREFIX=DIR: repeatable, so an app and the package it
      // imports can be served side by side.
      std::string prefix = "/", dir = v;
      if (size_t eq = v.find('='); !v.empty() && v[0] == '/' && eq != std::string::npos) {
        prefix = v.substr(0, eq);
        dir = v.substr(eq + 1);
      }
      std::error_code error;
      if (!std::filesystem::is_directory(dir, error)) {
        return Fail("--static: \"" + dir + "\" is not a folder");
      }
      options.static_mounts.emplace_back(prefix, dir);
    }
    else if (arg == "--api-root") options.api_root = v;
    else if (arg == "--sync") sync = v;
    else if (arg == "--log-level") log_level_text = v;
    else if (arg == "--cors") options.cors.origins.push_back(v);
    else if (arg == "--port") {
      long port = ParseCount(v);
      if (port < 0 || port > 65535) {
        return Fail("--port must be 0..65535");
      }
      options.port = static_cast<int>(port);
    } else if (arg == "--max-connections") {
      long n = ParseCount(v);
      if (n < 1 || n > 100000) return Fail("--max-connections must be 1..100000");
      options.max_connections = static_cast<size_t>(n);
    } else if (arg == "--request-timeout") {
      long n = ParseCount(v);
      if (n < 1 || n > 86400) return Fail("--request-timeout must be 1..86400 seconds");
      options.connections.request_timeout = std::chrono::seconds(n);
    } else if (arg == "--max-body") {
      if (!ParseSize(v, &options.max_body) || options.max_body == 0) {
        return Fail("--max-body must be a size such as 33554432, 512k or 32m");
      }
    }
  }
  if (sync != "normal" && sync != "full") return Fail("--sync must be normal or full");
  if (!replicore::http::ParseLogLevel(log_level_text, &options.log_level)) {
    return Fail("--log-level must be off, error, warn, info or debug");
  }
  if (models_dir.empty()) return Fail("--models DIR is required (see --help)");

  // glibc raises its mmap and trim thresholds after large blocks are freed, so the 32 MB
  // bodies of a burst end up in heaps it never returns; fixed thresholds keep large
  // blocks mapped (returned on free) and trim heaps as they empty.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024);

  // Each connection holds a descriptor: allow as many as the hard limit does.
  rlimit descriptors{};
  if (getrlimit(RLIMIT_NOFILE, &descriptors) == 0 && descriptors.rlim_cur < descriptors.rlim_max) {
    descriptors.rlim_cur = descriptors.rlim_max;
    setrlimit(RLIMIT_NOFILE, &descriptors);
  }

  // Signals are taken by a thread of their own (sigwait), so block them everywhere first.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // The store.
  std::unique_ptr<replicore::Store> store;
  if (db_path == ":memory:") {
    store = std::make_unique<replicore::MemoryStore>();
  } else {
    replicore::SqliteStoreOptions sqlite;
    sqlite.path = db_path;
    sqlite.synchronous_full = sync == "full";
    auto opened = replicore::SqliteStore::Open(sqlite);
    if (!opened.ok()) return Fail("cannot open " + db_path + ": " + opened.status().ToString());
    store = std::move(opened).value();
  }
  replicore::Database db(store.get(), MakeEnvironment());

  // The models: every *.json of --models, in name order.
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(models_dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) return Fail("cannot read --models " + models_dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) return Fail("no *.json model files in " + models_dir);
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    Json definition = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (definition.is_discarded()) return Fail(file.string() + ": not valid JSON");
    replicore::Status added = db.AddModel(definition);
    if (!added.ok()) return Fail(file.string() + ": " + added.ToString());
  }

  replicore::http::Server server(&db, options);
  auto bound = server.Bind();
  if (!bound.ok()) return Fail(bound.status().message());
  std::printf("%s\n", server.Url().c_str());
  std::fflush(stdout);
  if (options.log_level >= replicore::http::LogLevel::kInfo) {
    std::string names;
    for (const auto& name : db.ModelNames()) names += (names.empty() ? "" : ", ") + name;
    std::fprintf(stderr, "replicore-server: listening on %s, api %s, models: %s, db %s\n",
                 server.Url().c_str(), options.api_root.c_str(), names.c_str(), db_path.c_str());
  }

  std::atomic<bool> stopping{false};
  std::atomic<bool> exiting{false};
  std::thread signal_thread([&] {
    int received = 0;
    sigwait(&signals, &received);
    if (exiting) return;  // woken by the main thread to exit
    stopping = true;
    if (options.log_level >= replicore::http::LogLevel::kInfo) {
      std::fprintf(stderr, "replicore-server: %s, stopping\n",
                   received == SIGINT ? "SIGINT" : "SIGTERM");
    }
    server.Stop();
  });

  bool served = server.Run();
  if (!stopping) {
    // Run ended on its own (an error): wake the signal thread so it can be joined.
    exiting = true;
    pthread_kill(signal_thread.native_handle(), SIGTERM);
  }
  signal_thread.join();
  // server, db and then store are destroyed in that order (closing the database).
  if (!served && !stopping) return Fail("the server stopped unexpectedly");
  return 0;
}
