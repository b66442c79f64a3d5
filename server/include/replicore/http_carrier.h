// The native twin of the JS remote (js/src/remote/): carries the core's replication
// Requests (protocol.h) to one model of a LoopBack 3 REST API (replicore-server or
// LoopBack itself) over HTTP with cpp-httplib's client, and turns the answers back into
// Responses. Blocking; one connection, kept alive. Not thread-safe: one per thread.
#ifndef REPLICORE_HTTP_CARRIER_H_
#define REPLICORE_HTTP_CARRIER_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "replicore/protocol.h"
#include "replicore/status.h"

namespace httplib {
class Client;
}

namespace replicore {

// What a peer serves (GET <api root>/replicore/capabilities; LoopBack 3 answers 404).
struct PeerCapabilities {
  bool cursor_changes = false;  // pages /changes by cursor (PROTOCOL.md §9.1)
  bool loopback = true;         // no replicore extensions: taken for LoopBack 3 (§8.5)
};

struct HttpCarrierOptions {
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds io_timeout{120};  // a bulk-update of 1 MiB into a slow store
  // The whole answer: io_timeout bounds each read only, so a peer sending a byte a minute
  // would hold a replicate (and a stopping server) forever.
  std::chrono::seconds answer_timeout{600};
  // Ask for gzip answers (replicore-server gzips those over 1 KiB): a pull's records
  // cross in about a fifth of the bytes, for some CPU on both sides.
  bool accept_gzip = true;
  size_t max_answer_bytes = size_t{1} << 30;  // inflated
};

// "http://host:port/api" split into the client's "http://host:port" and the path "/api";
// trailing slashes dropped. kBadRequest for anything that is not http://.
struct ApiRoot {
  std::string origin;
  std::string path;
  std::string url() const { return origin + path; }
};
Result<ApiRoot> ParseApiRoot(const std::string& url);

class HttpCarrier {
 public:
  // Carries to the model whose REST base is `root` + "/" + `plural` (e.g. .../api/Todos).
  HttpCarrier(ApiRoot root, std::string plural, HttpCarrierOptions options = {});
  ~HttpCarrier();
  HttpCarrier(const HttpCarrier&) = delete;
  HttpCarrier& operator=(const HttpCarrier&) = delete;

  // The model's base URL: also the peer name a replicate keeps its checkpoints under.
  std::string BaseUrl() const { return root_.url() + "/" + plural_; }
  // Asks the API root once what it serves; a 404 is LoopBack 3. kStorage when it cannot
  // be reached.
  Result<PeerCapabilities> Probe();
  // One request, one HTTP call. Never throws: an unreachable peer is a kStorage error
  // naming the URL; HTTP errors come back with the core code of their status (or of the
  // LoopBack error body's code), a bulk-update's 409 with its details.conflicts.
  Response Carry(Request request);
  Response operator()(Request request) { return Carry(std::move(request)); }
  // Answers that came gzipped (tests, progress).
  size_t gzipped_answers() const { return gzipped_answers_; }

 private:
  ApiRoot root_;
  std::string plural_;
  HttpCarrierOptions options_;
  std::unique_ptr<httplib::Client> client_;
  size_t gzipped_answers_ = 0;
};

}  // namespace replicore

#endif  // REPLICORE_HTTP_CARRIER_H_
