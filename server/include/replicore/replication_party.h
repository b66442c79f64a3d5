// One side of a server-to-server replication (issue 26): a LoopBack 3 REST API reached by
// URL (replicore-server or LoopBack 3 itself), or a store opened in this process (a
// SQLite file, postgresql://..., :memory:). A store can run the Replicator; a URL only
// answers, through an HttpCarrier.
#ifndef REPLICORE_REPLICATION_PARTY_H_
#define REPLICORE_REPLICATION_PARTY_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "replicore/database.h"
#include "replicore/http_carrier.h"
#include "replicore/open_database.h"
#include "replicore/protocol.h"
#include "replicore/store.h"

namespace replicore {

// How to reach one model of a party, and how the Replicator should talk to it.
struct ModelLink {
  Carrier carry;
  std::string peer;           // the name since and the unresolved set are kept under
  bool cursor_changes = true; // pages /changes by cursor
  bool loopback = false;      // LoopBack 3: re-read the last checkpoint on pulls (§8.5)
  size_t chunk_bytes = 1024 * 1024;
};

class ReplicationParty {
 public:
  // `spec` starting with http:// is an API root (".../api"); anything else names a store
  // (StoreLocation.db), opened with `models` added; a PostgreSQL store in `pg_schema`
  // ("": the connection's search_path).
  static Result<std::unique_ptr<ReplicationParty>> Open(const std::string& spec,
                                                        const std::vector<ModelFile>& models,
                                                        const std::string& pg_schema = "");
  // A database this process already has (a running server's), borrowed.
  static std::unique_ptr<ReplicationParty> OfDatabase(Database* db, std::string name);
  // A URL party (spec validated by ParseApiRoot).
  static Result<std::unique_ptr<ReplicationParty>> OfUrl(const std::string& url);

  bool is_store() const { return db_ != nullptr; }
  // The store's database; null for a URL.
  Database* db() const { return db_; }
  // The API root URL, or "store:" + the store's location (absolute path, no password).
  const std::string& name() const { return name_; }
  // A link to `model` on this party. A URL's capabilities are asked once (kStorage when
  // it cannot be reached).
  Result<ModelLink> Link(const ModelDefinition& model);

 private:
  ReplicationParty() = default;

  std::string name_;
  std::unique_ptr<Store> store_;     // opened here; null when borrowed or a URL
  std::unique_ptr<Database> owned_;  // over store_
  Database* db_ = nullptr;
  std::optional<ApiRoot> root_;      // a URL
  std::optional<PeerCapabilities> capabilities_;
};

}  // namespace replicore

#endif  // REPLICORE_REPLICATION_PARTY_H_
