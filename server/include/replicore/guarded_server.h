// cpp-httplib's Server with its own connection loop, so that no client can hold a thread
// for long: a request must arrive whole, be answered and written within a deadline (a
// client trickling a body one byte a second is cut off), each read and write within a
// timeout, and a connection waits for its next request only for the keep-alive time.
// Debian's httplib 0.11 has per-read timeouts only; this replaces its private socket
// loop with one built on its public Stream and protected process_request.
#ifndef REPLICORE_GUARDED_SERVER_H_
#define REPLICORE_GUARDED_SERVER_H_

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace replicore {
namespace http {

struct ConnectionLimits {
  std::chrono::milliseconds request_timeout{60000};  // whole request: read, handle, write
  std::chrono::milliseconds io_timeout{5000};        // one read or write waiting for the peer
  std::chrono::milliseconds keep_alive{5000};        // idle between requests
  size_t keep_alive_max_count = 10000;               // requests per connection
};

class GuardedServer final : public httplib::Server {
 public:
  explicit GuardedServer(ConnectionLimits limits);

  // When the request the calling thread serves began (for the access log).
  static std::chrono::steady_clock::time_point RequestStart();
  // Whether that request tried to read past its byte budget (a chunked body over the
  // limit): httplib then answers 400, which the server turns into 413.
  static bool BodyLimitHit();
  // Whether that request began "HEAD " (for answers to requests httplib could not parse).
  static bool RequestIsHead();
  // Requests cut off at their deadline since start.
  uint64_t timed_out() const { return timed_out_.load(); }

 private:
  bool process_and_close_socket(socket_t sock) override;

  const ConnectionLimits limits_;
  std::atomic<uint64_t> timed_out_{0};
};

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_GUARDED_SERVER_H_
