// replicore-server: LoopBack 3 compatible REST and replication endpoints over SQLite.
// The first line on stdout is the URL it listens on; one log line per request on stderr.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <shared_mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "replicore/database.h"
#include "replicore/http_api.h"
#include "replicore/http_server.h"
#include "replicore/open_database.h"
#include "replicore/postgres_store.h"
#include "replicore/redis_store.h"
#include "replicore/replicate_command.h"
#include "replicore/user_routes.h"
#include "replicore/user_store.h"

namespace {

using replicore::Json;

constexpr const char* kUsage = R"(Usage: replicore-server [options]
       replicore-server user add NAME [--db PATH] [--email EMAIL]
       replicore-server user list [--db PATH]
       replicore-server replicate --models DIR --from A --to B [options]
       replicore-server conflicts --models DIR --db STORE

LoopBack 3 compatible REST and replication server (PROTOCOL.md §2, §9).

Options:
  --models DIR      model JSON files (every *.json in DIR), as the browser uses them
  --db PATH         SQLite database file (default ./replicore.db); ":memory:" keeps
                    everything in memory (lost on exit); a postgresql://... (or
                    postgres://...) URL stores in that PostgreSQL database instead,
                    which several replicore-server processes may share; a
                    redis://host:port[/db][?prefix=P] (or redis+unix:///socket) URL
                    serves a Redis read replica (server/README.md: which finds it serves)
  --pg-schema NAME  with a PostgreSQL --db: the schema holding replicore's tables
                    (created when missing; default: the connection's search_path)
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
  --users           serve the built-in User model at <api-root>/Users: login, logout
                    (LoopBack's access tokens), stored in the --db file
  --allow-signup    also let anyone create a user with POST <api-root>/Users
                    (implies --users; off by default)
  --token-ttl S     seconds an access token lives (default 1209600, two weeks; at most
                    31556926); a login may ask for less with "ttl"
  --shared-models A with users, what models without "ownership": "owner" allow:
                    open (default: as without users), read-only (anyone reads, nobody
                    writes), closed (not served)
  --explorer, --no-explorer  serve the API explorer (Swagger UI) or not (default: on);
                    GET /openapi.json (the OpenAPI 3.0 description) is served either way
  --explorer-path P where the explorer is (default /explorer: /explorer/)
  --explorer-dir DIR  the explorer's files: DIR/public and Swagger UI in
                    DIR/node_modules/swagger-ui-dist (default: server/explorer of the
                    source tree, beside the binary's folder or where it was built);
                    `npm ci --ignore-scripts` in server/explorer installs them
  --replicate-to URL, --replicate-from URL  replicate every model with trackChanges to
                    (push) or from (pull) the API root URL of another server, in the
                    background; repeatable (see `replicore-server replicate --help`)
  --replicate-interval S  seconds between those replications (default 5)
  --print-routes    print every route the server would serve with these options
                    (METHOD /path), one a line, and exit (no database is opened)
  --help            this text

Users: `user add NAME` creates a user in the --db file (default ./replicore.db), reading
the password from stdin (one line, 8..1024 bytes; not echoed on a terminal), and prints
its id; `user list` prints id, username, email and creation time, one user a line. There
is no default user or password: create the first one with `user add`.

The first line printed on stdout is the URL the server listens on; the explorer's URL
follows on a later line. SIGTERM or SIGINT stops it cleanly.
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

// The explorer's folder: server/explorer of the source tree, found from the binary
// (build/replicore-server -> ../server/explorer) or where it was built; the first that
// holds the files, else the first (whose message then says what is missing).
std::string DefaultExplorerDir() {
  std::vector<std::filesystem::path> candidates;
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back(self.parent_path().parent_path() / "server" / "explorer");
#ifdef RC_SOURCE_DIR
  candidates.push_back(std::filesystem::path(RC_SOURCE_DIR) / "server" / "explorer");
#endif
  if (candidates.empty()) return "server/explorer";
  for (const auto& candidate : candidates) {
    if (replicore::http::FindExplorerFiles(candidate.string()).ok()) return candidate.string();
  }
  return candidates.front().string();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "replicore-server: %s\n", message.c_str());
  return 2;
}

// ---------------------------------------------------------------- `user` subcommand

// The terminal's settings while a password is read without echo, restored on a signal.
termios g_saved_terminal;
volatile sig_atomic_t g_terminal_changed = 0;

void RestoreTerminalAndExit(int signal_number) {
  if (g_terminal_changed) tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
  _exit(128 + signal_number);
}

// One line of stdin, without its line end; false on EOF before any byte or a line over
// `max` bytes.
bool ReadLine(size_t max, std::string* out) {
  out->clear();
  bool any = false;
  int c;
  while ((c = std::getchar()) != EOF) {
    any = true;
    if (c == '\n') break;
    if (out->size() > max) continue;  // keep reading to the line end, refuse below
    out->push_back(static_cast<char>(c));
  }
  if (!out->empty() && out->back() == '\r') out->pop_back();
  return any && out->size() <= max;
}

// The password from stdin: prompted for (twice) without echo on a terminal, else one line.
int ReadPassword(const std::string& username, std::string* password) {
  const size_t max = replicore::kMaxPasswordBytes;
  if (!isatty(STDIN_FILENO)) {
    if (!ReadLine(max, password)) {
      return Fail("no password on stdin (one line, " + std::to_string(replicore::kMinPasswordBytes) +
                  ".." + std::to_string(max) + " bytes)");
    }
    return 0;
  }
  if (tcgetattr(STDIN_FILENO, &g_saved_terminal) != 0) return Fail("cannot read the terminal");
  termios quiet = g_saved_terminal;
  quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
  quiet.c_lflag |= ECHONL;
  signal(SIGINT, RestoreTerminalAndExit);
  signal(SIGTERM, RestoreTerminalAndExit);
  signal(SIGHUP, RestoreTerminalAndExit);
  g_terminal_changed = 1;
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string again;
  std::fprintf(stderr, "Password for %s: ", username.c_str());
  std::fflush(stderr);
  bool read = ReadLine(max, password);
  if (read) {
    std::fprintf(stderr, "Again: ");
    std::fflush(stderr);
    read = ReadLine(max, &again);
  }
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
  g_terminal_changed = 0;
  const bool same = read && again == *password;
  std::fill(again.begin(), again.end(), '\0');
  if (!read) return Fail("no password read (at most " + std::to_string(max) + " bytes)");
  if (!same) return Fail("the passwords differ; nothing was changed");
  return 0;
}

int UserCommand(const std::vector<std::string>& args) {
  if (args.empty()) return Fail("user needs a command: add NAME or list (see --help)");
  if (args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string command = args[0];
  std::string name, email, db_path = "./replicore.db";
  for (size_t i = 1; i < args.size(); ++i) {
    std::string arg = args[i], value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      value = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
      has_inline = true;
    }
    if (arg == "--db" || arg == "--email") {
      if (!has_inline) {
        if (i + 1 >= args.size()) return Fail(arg + " needs a value (see --help)");
        value = args[++i];
      }
      (arg == "--db" ? db_path : email) = value;
    } else if (arg.rfind("--", 0) == 0 || !name.empty()) {
      return Fail("user " + command + ": unexpected " + args[i] + " (see --help)");
    } else {
      name = arg;
    }
  }
  if (db_path.empty() || db_path == ":memory:") {
    return Fail("user " + command + " needs a database file (--db PATH)");
  }
  if (replicore::IsRedisUrl(db_path)) {
    return Fail("user " + command + ": users live in a SQLite --db file, not in Redis");
  }
  if (command == "list") {
    if (!name.empty() || !email.empty()) return Fail("user list takes only --db (see --help)");
    auto users = replicore::UserStore::Open(db_path);
    if (!users.ok()) return Fail("cannot open " + db_path + ": " + users.status().ToString());
    auto listed = (*users)->ListUsers();
    if (!listed.ok()) return Fail(listed.status().ToString());
    for (const Json& user : *listed) {
      std::printf("%s\t%s\t%s\t%s\n", user["id"].get<std::string>().c_str(),
                  user["username"].get<std::string>().c_str(),
                  user.value("email", std::string()).c_str(),
                  user["created"].get<std::string>().c_str());
    }
    return 0;
  }
  if (command != "add") return Fail("unknown command user " + command + " (see --help)");
  if (name.empty()) return Fail("user add needs a NAME (see --help)");
  replicore::Status valid = replicore::UserStore::CheckUsername(name);
  if (valid.ok() && !email.empty()) valid = replicore::UserStore::CheckEmail(email);
  if (!valid.ok()) return Fail(valid.message());
  // Opened (and the tables made) before the password is asked for: a wrong --db fails first.
  auto users = replicore::UserStore::Open(db_path);
  if (!users.ok()) return Fail("cannot open " + db_path + ": " + users.status().ToString());
  std::string password;
  if (int failed = ReadPassword(name, &password)) return failed;
  valid = replicore::UserStore::CheckPassword(password);
  if (!valid.ok()) {
    std::fill(password.begin(), password.end(), '\0');
    return Fail(valid.message());
  }
  auto added = (*users)->AddUser(name, password, email);
  std::fill(password.begin(), password.end(), '\0');
  if (!added.ok()) return Fail(added.status().message());
  std::printf("%s\n", (*added)["id"].get<std::string>().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string models_dir;
  std::string db_path = "./replicore.db";
  std::string sync = "normal";
  std::string pg_schema;
  std::string log_level_text = "info";
  replicore::http::ServerOptions options;
  bool users_enabled = false;
  replicore::http::SharedAccess shared_access = replicore::http::SharedAccess::kOpen;
  std::set<std::string> owned;  // models whose JSON says "ownership": "owner"
  replicore::http::UserOptions user_options;
  bool explorer = true;
  bool print_routes = false;
  std::string explorer_dir;
  std::vector<std::string> replicate_to, replicate_from;
  double replicate_interval = 5;

  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "user") {
    return UserCommand(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (!args.empty() && (args[0] == "replicate" || args[0] == "conflicts")) {
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    return args[0] == "replicate" ? replicore::ReplicateCommand(rest)
                                  : replicore::ConflictsCommand(rest);
  }
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
    if (arg == "--users" || arg == "--allow-signup") {
      if (has_inline) return Fail(arg + " takes no value (see --help)");
      users_enabled = true;
      if (arg == "--allow-signup") user_options.allow_signup = true;
      continue;
    }
    if (arg == "--explorer" || arg == "--no-explorer" || arg == "--print-routes") {
      if (has_inline) return Fail(arg + " takes no value (see --help)");
      if (arg == "--print-routes") print_routes = true;
      else explorer = arg == "--explorer";
      continue;
    }
    std::string v;
    if (arg == "--models" || arg == "--db" || arg == "--host" || arg == "--port" ||
        arg == "--static" || arg == "--api-root" || arg == "--max-body" || arg == "--sync" ||
        arg == "--log-level" || arg == "--cors" || arg == "--max-connections" ||
        arg == "--request-timeout" || arg == "--token-ttl" || arg == "--shared-models" ||
        arg == "--explorer-path" || arg == "--explorer-dir" || arg == "--pg-schema" ||
        arg == "--replicate-to" || arg == "--replicate-from" || arg == "--replicate-interval") {
      if (!next(&v)) return Fail(arg + " needs a value (see --help)");
    } else {
      return Fail("unknown option " + args[i] + " (see --help)");
    }
    if (arg == "--models") models_dir = v;
    else if (arg == "--shared-models") {
      if (v == "open") shared_access = replicore::http::SharedAccess::kOpen;
      else if (v == "read-only") shared_access = replicore::http::SharedAccess::kReadOnly;
      else if (v == "closed") shared_access = replicore::http::SharedAccess::kClosed;
      else return Fail("--shared-models must be open, read-only or closed");
    }
    else if (arg == "--db") db_path = v;
    else if (arg == "--pg-schema") pg_schema = v;
    else if (arg == "--replicate-to") replicate_to.push_back(v);
    else if (arg == "--replicate-from") replicate_from.push_back(v);
    else if (arg == "--replicate-interval") {
      if (!replicore::ParseInterval(v, &replicate_interval)) {
        return Fail("--replicate-interval must be 0.001..86400 seconds");
      }
    }
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
    else if (arg == "--explorer-dir") explorer_dir = v;
    else if (arg == "--explorer-path") {
      while (v.size() > 1 && v.back() == '/') v.pop_back();
      if (v.size() < 2 || v[0] != '/' || v.find_first_of("?#") != std::string::npos) {
        return Fail("--explorer-path must be a path such as /explorer");
      }
      options.explorer_path = v;
    }
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
    } else if (arg == "--token-ttl") {
      long n = ParseCount(v);
      if (n < 1 || n > replicore::kMaxTokenTtl) {
        return Fail("--token-ttl must be 1.." + std::to_string(replicore::kMaxTokenTtl) + " seconds");
      }
      user_options.token_ttl = n;
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
  // The routes do not depend on the data: --print-routes opens no database file.
  if (print_routes) db_path = ":memory:";

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
  const bool postgres = replicore::IsPostgresUrl(db_path);
  if (!pg_schema.empty() && !postgres) return Fail("--pg-schema needs a postgresql:// --db");
  if (postgres && users_enabled) {
    return Fail("--users keeps users in a SQLite --db file: not yet with a PostgreSQL --db");
  }
  if (replicore::IsRedisUrl(db_path) && users_enabled) {
    return Fail("--users keeps users in a SQLite --db file: not with a Redis --db");
  }
  auto opened = replicore::OpenStore({db_path, pg_schema, sync == "full"});
  if (!opened.ok()) return Fail(opened.status().message());
  std::unique_ptr<replicore::Store> store = std::move(opened).value();
  replicore::Database db(store.get(), replicore::NativeEnvironment());

  // The models: every *.json of --models, in name order.
  auto model_files = replicore::ReadModelFiles(models_dir);
  if (!model_files.ok()) return Fail(model_files.status().message());
  for (const replicore::ModelFile& model_file : *model_files) {
    const Json& definition = model_file.definition;
    const std::string file = model_file.path;
    replicore::Status added = db.AddModel(definition);
    if (!added.ok()) return Fail(file + ": " + added.ToString());
    // Ours (LoopBack's $owner idea, as a model setting the browser ignores).
    if (auto it = definition.find("ownership"); it != definition.end()) {
      if (*it != "owner") return Fail(file + ": ownership: the one value is \"owner\"");
      owned.insert(definition.value("name", ""));
    }
  }
  if (!owned.empty() && !users_enabled) {
    return Fail("the model \"" + *owned.begin() + "\" has \"ownership\": \"owner\": its records belong "
                "to users, so the server needs --users");
  }
  if (shared_access != replicore::http::SharedAccess::kOpen && !users_enabled) {
    return Fail("--shared-models needs --users");
  }

  // Users (--users): the built-in User model at <api-root>/Users, its tables in the same
  // database file (an in-memory SQLite database with --db :memory:).
  std::unique_ptr<replicore::UserStore> users;
  if (users_enabled) {
    for (const std::string& name : db.ModelNames()) {
      auto model = db.GetModel(name);
      if (name == "User" || (model.ok() && (*model)->plural() == "Users")) {
        return Fail("the model \"" + name + "\" (in " + models_dir +
                    ") clashes with the built-in User model of --users: rename it, or run "
                    "without --users");
      }
    }
    auto opened = replicore::UserStore::Open(db_path);
    if (!opened.ok()) return Fail("cannot open users in " + db_path + ": " + opened.status().ToString());
    users = std::move(opened).value();
    options.configure_api = [&users, &user_options, &owned, shared_access](replicore::http::Api& api) {
      api.set_users(users.get(), user_options);
      api.set_ownership(owned, shared_access);
    };
  }

  if (print_routes) {
    replicore::http::Api api(&db, options.api_root);
    if (options.configure_api) options.configure_api(api);
    for (const std::string& route : api.RouteList()) std::printf("%s\n", route.c_str());
    return 0;
  }

  // --replicate-to/--replicate-from: the live loop takes the Api's lock around each step
  // on the database, as its requests do.
  std::shared_mutex* db_mutex = nullptr;
  options.configure_api = [configure = options.configure_api, &db_mutex](replicore::http::Api& api) {
    if (configure) configure(api);
    db_mutex = &api.db_mutex();
  };

  if (!explorer) options.explorer_path.clear();
  options.explorer_dir = explorer_dir.empty() ? DefaultExplorerDir() : explorer_dir;
  replicore::http::Server server(&db, options);
  auto bound = server.Bind();
  if (!bound.ok()) return Fail(bound.status().message());
  std::printf("%s\n", server.Url().c_str());
  std::fflush(stdout);
  // Later lines: what a person opens (tests and benchmarks read only the first).
  if (server.ExplorerServed()) {
    std::printf("API explorer: %s%s/\n", server.Url().c_str(), options.explorer_path.c_str());
    std::fflush(stdout);
  } else if (explorer) {
    std::fprintf(stderr, "replicore-server: %s; /openapi.json is served, %s/ answers 503\n",
                 server.ExplorerMissing().c_str(), options.explorer_path.c_str());
  }
  if (options.log_level >= replicore::http::LogLevel::kInfo) {
    std::string names;
    for (const auto& name : db.ModelNames()) names += (names.empty() ? "" : ", ") + name;
    std::fprintf(stderr, "replicore-server: listening on %s, api %s, models: %s, db %s%s\n",
                 server.Url().c_str(), options.api_root.c_str(), names.c_str(),
                 replicore::WithoutPassword(db_path).c_str(),
                 !users ? ""
                 : user_options.allow_signup ? ", users (sign-up allowed)"
                                             : ", users");
  }

  std::unique_ptr<replicore::BackgroundReplication> replication;
  if (!replicate_to.empty() || !replicate_from.empty()) {
    auto started = replicore::BackgroundReplication::Start(
        &db, db_path, replicate_to, replicate_from,
        std::chrono::milliseconds(std::llround(replicate_interval * 1000)), db_mutex);
    if (!started.ok()) return Fail(started.status().message());
    replication = std::move(started).value();
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
  if (replication) replication->Stop();
  if (!stopping) {
    // Run ended on its own (an error): wake the signal thread so it can be joined.
    exiting = true;
    pthread_kill(signal_thread.native_handle(), SIGTERM);
  }
  signal_thread.join();
  // server, users, db and then store are destroyed in that order (closing the database).
  if (!served && !stopping) return Fail("the server stopped unexpectedly");
  return 0;
}
