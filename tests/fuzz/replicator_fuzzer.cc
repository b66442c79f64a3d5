// Replicator::OnResponse (replicator.h): the answers of a hostile or broken peer. The
// Replicator runs over a local Todo database; the input's first byte picks push or pull
// and the options, then up to 16 responses follow, separated by 0xFF: in each, the first
// byte picks the status (0 = ok) and the rest is the result as JSON text. Whatever the
// peer answers, the Replicator never crashes or throws, and finishes or fails in bounds.
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "replicore/memory_store.h"
#include "replicore/replicator.h"
#include "replicore/json_limits.h"

using replicore::Json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const Json kTodo = [] {
    std::ifstream in(RC_SOURCE_DIR "/web-example/models/todo.json");
    std::stringstream text;
    text << in.rdbuf();
    return Json::parse(text.str());
  }();
  replicore::MemoryStore store;
  double now = 1700000000000;
  replicore::Environment env{[&] { return now += 1; }, [] { return std::string("guid"); }};
  replicore::Database db(&store, env);
  if (!db.AddModel(kTodo).ok()) abort();
  (void)db.Create("Todo", {{"id", "a-1"}, {"title", "buy milk"}});
  (void)db.Checkpoint();
  (void)db.Create("Todo", {{"id", "a-2"}, {"title", "walk"}});
  (void)db.DeleteById("Todo", "a-1");

  replicore::ReplicatorOptions options;
  options.model = "Todo";
  options.local_is_source = (data[0] & 1) == 0;
  options.cursor_changes = (data[0] & 2) != 0;
  options.reread_last_checkpoint = (data[0] & 4) != 0;
  options.changes_page = 1 + (data[0] >> 3);
  options.chunk_bytes = 256;
  replicore::Replicator replicator(&db, options);
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  for (int step = 0; step < 16 && !input.empty(); ++step) {
    if (!replicator.NextRequest()) break;
    size_t end = input.find('\xff');
    std::string_view chunk = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    if (chunk.empty()) break;
    auto result = replicore::ParseJsonWithin(std::string(chunk.substr(1)));
    if (!result.ok()) break;
    replicore::Status status;
    if (uint8_t code = static_cast<uint8_t>(chunk[0]) % 11; code != 0) {
      status = replicore::Status(static_cast<replicore::StatusCode>(code), "peer error");
    }
    (void)replicator.OnResponse(replicore::Response{status, std::move(*result)});
  }
  return 0;
}
