#include "replicore/replication_party.h"

#include <filesystem>
#include <utility>

#include "replicore/postgres_store.h"

namespace replicore {
namespace {

// Bodies are cut at 1 MiB for replicore-server (it takes 32 MiB), at 64 KiB for LoopBack 3
// (its default limit is 100 KiB, PROTOCOL.md §6.1): as the JS remote does.
constexpr size_t kReplicoreChunk = 1024 * 1024;
constexpr size_t kLoopbackChunk = 64 * 1024;

// A store's stable name: the same file spelt two ways is one peer; no password.
std::string StoreName(const std::string& db) {
  if (db == ":memory:" || IsPostgresUrl(db)) return "store:" + WithoutPassword(db);
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(db, error);
  return "store:" + (error ? db : absolute.lexically_normal().string());
}

}  // namespace

Result<std::unique_ptr<ReplicationParty>> ReplicationParty::Open(
    const std::string& spec, const std::vector<ModelFile>& models, const std::string& pg_schema) {
  if (spec.rfind("http://", 0) == 0 || spec.rfind("https://", 0) == 0) return OfUrl(spec);
  const bool postgres = IsPostgresUrl(spec);
  RC_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                      OpenStore({spec, postgres ? pg_schema : "", false}));
  std::unique_ptr<ReplicationParty> party(new ReplicationParty());
  party->name_ = StoreName(spec) + (postgres && !pg_schema.empty() ? "#" + pg_schema : "");
  party->store_ = std::move(store);
  party->owned_ = std::make_unique<Database>(party->store_.get(), NativeEnvironment());
  party->db_ = party->owned_.get();
  for (const ModelFile& model : models) {
    Status added = party->db_->AddModel(model.definition);
    if (!added.ok()) return Status(added.code(), model.path + ": " + added.message());
  }
  return party;
}

std::unique_ptr<ReplicationParty> ReplicationParty::OfDatabase(Database* db, std::string name) {
  std::unique_ptr<ReplicationParty> party(new ReplicationParty());
  party->name_ = std::move(name);
  party->db_ = db;
  return party;
}

Result<std::unique_ptr<ReplicationParty>> ReplicationParty::OfUrl(const std::string& url) {
  RC_ASSIGN_OR_RETURN(ApiRoot root, ParseApiRoot(url));
  std::unique_ptr<ReplicationParty> party(new ReplicationParty());
  party->name_ = root.url();
  party->root_ = std::move(root);
  return party;
}

Result<ModelLink> ReplicationParty::Link(const ModelDefinition& model) {
  ModelLink link;
  if (db_ != nullptr) {
    Database* db = db_;
    link.carry = [db, name = model.name()](Request request) {
      return Answer(*db, name, std::move(request));
    };
    link.peer = name_;
    return link;
  }
  auto carrier = std::make_shared<HttpCarrier>(*root_, model.plural());
  if (!capabilities_) {
    RC_ASSIGN_OR_RETURN(PeerCapabilities probed, carrier->Probe());
    capabilities_ = probed;
  }
  link.peer = carrier->BaseUrl();
  link.cursor_changes = capabilities_->cursor_changes;
  link.loopback = capabilities_->loopback;
  link.chunk_bytes = capabilities_->loopback ? kLoopbackChunk : kReplicoreChunk;
  link.carry = [carrier](Request request) { return carrier->Carry(std::move(request)); };
  return link;
}

}  // namespace replicore
