// replicore-demo (bash .ci/run demo): the core alone, no I/O. Two databases (a phone working
// offline and a server) replicate in-process with the real Replicator: creates both ways,
// a conflict resolved by the app, then both sides are printed and compared.
//
//   replicore-demo [MODEL.json]     (default: web-example/models/todo.json)
#include <cstdio>
#include <fstream>
#include <sstream>

#include "replicore/conflict_resolver.h"
#include "replicore/memory_store.h"
#include "replicore/replicator.h"

namespace {

using replicore::Database;
using replicore::Json;

// The demo's clock and ids are deterministic, so its output is too.
replicore::Environment DemoEnvironment(const char* prefix) {
  auto counter = std::make_shared<int>(0);
  return replicore::Environment{
      [] { return 1767225600000.0; },  // 2026-01-01T00:00:00.000Z
      [counter, prefix] { return std::string(prefix) + "-" + std::to_string(++*counter); }};
}

bool Check(const replicore::Status& status, const char* what) {
  if (status.ok()) return true;
  std::fprintf(stderr, "%s failed: %s\n", what, status.ToString().c_str());
  return false;
}

replicore::Result<replicore::ReplicationResult> Replicate(Database* phone, Database* server,
                                                          bool push) {
  replicore::ReplicatorOptions options;
  options.model = "Todo";
  options.peer = "server";
  options.local_is_source = push;
  auto result = replicore::ReplicateLocal(phone, server, options);
  if (result.ok()) {
    std::printf("%s: applied %zu, conflicts %zu, since {source: %lld, target: %lld}\n",
                push ? "push" : "pull", result->applied, result->conflicts.size(),
                static_cast<long long>(result->checkpoints.source),
                static_cast<long long>(result->checkpoints.target));
  }
  return result;
}

std::string Titles(Database& db) {
  auto all = db.Find("Todo", Json{{"order", "id ASC"}});
  if (!all.ok()) return all.status().ToString();
  Json titles = Json::object();
  for (const replicore::Record& todo : *all) titles[(*todo)["id"].get<std::string>()] = (*todo)["title"];
  return titles.dump();
}

}  // namespace

int main(int argc, char** argv) {
  const char* model_path = argc > 1 ? argv[1] : "web-example/models/todo.json";
  std::ifstream in(model_path);
  if (!in) {
    std::fprintf(stderr, "cannot read the model file %s\n", model_path);
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  Json model = Json::parse(text.str(), nullptr, false);
  if (model.is_discarded()) {
    std::fprintf(stderr, "%s is not JSON\n", model_path);
    return 2;
  }

  replicore::MemoryStore phone_store, server_store;
  Database phone(&phone_store, DemoEnvironment("phone"));
  Database server(&server_store, DemoEnvironment("server"));
  if (!Check(phone.AddModel(model), "phone model") || !Check(server.AddModel(model), "server model")) {
    return 1;
  }

  std::printf("offline on the phone: 3 todos; on the server: 1\n");
  for (const char* title : {"buy milk", "call mum", "fix the bike"}) {
    if (!Check(phone.Create("Todo", {{"title", title}}).status(), "create")) return 1;
  }
  if (!Check(server.Create("Todo", {{"title", "pay rent"}}).status(), "create")) return 1;

  std::printf("back online:\n");
  if (!Check(Replicate(&phone, &server, true).status(), "push")) return 1;
  if (!Check(Replicate(&phone, &server, false).status(), "pull")) return 1;

  std::printf("both edit phone-1 before the next sync:\n");
  (void)phone.PatchAttributes("Todo", "phone-1", {{"title", "buy oat milk"}});
  (void)server.PatchAttributes("Todo", "phone-1", {{"completed", true}, {"title", "buy milk!"}});
  auto push = Replicate(&phone, &server, true);
  if (!Check(push.status(), "push")) return 1;
  for (const replicore::Conflict& conflict : push->conflicts) {
    std::printf("conflict on %s (%s): the app keeps the phone's version\n",
                conflict.model_id.c_str(), replicore::ChangeTypeName(conflict.type()));
    if (!Check(replicore::ResolveLocal(&phone, &server, "Todo", conflict,
                                       replicore::Resolution::kUseSource),
               "resolve")) {
      return 1;
    }
  }
  if (!Check(Replicate(&phone, &server, true).status(), "push")) return 1;
  if (!Check(Replicate(&phone, &server, false).status(), "pull")) return 1;

  std::string phone_titles = Titles(phone);
  std::string server_titles = Titles(server);
  std::printf("phone:  %s\nserver: %s\n", phone_titles.c_str(), server_titles.c_str());
  bool converged = phone_titles == server_titles;
  std::printf("%s\n", converged ? "converged" : "NOT converged");
  return converged ? 0 : 1;
}
