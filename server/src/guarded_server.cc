#include "replicore/guarded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace replicore {
namespace http {
namespace {

using Clock = std::chrono::steady_clock;
thread_local Clock::time_point request_start;
thread_local bool body_limit_hit = false;
thread_local char request_head[6];  // the first bytes of the request, for an unparsed one

// Waits until `sock` is ready for `events` or `timeout` passes; false on timeout or error.
bool WaitFor(int sock, short events, std::chrono::milliseconds timeout) {
  pollfd pfd{sock, events, 0};
  int ms = static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, timeout.count()));
  for (;;) {
    int n = ::poll(&pfd, 1, ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

void AddressOf(int sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int rc = peer ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len)
                : ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  ip = text;
}

// A socket stream whose every read and write also respects the current request's
// deadline. Reads are buffered: httplib reads the request line and headers byte by byte.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(int sock, std::chrono::milliseconds io_timeout) : sock_(sock), io_timeout_(io_timeout) {}

  // A new request: its deadline, and how many bytes it may read (its headers and a body of
  // the largest size allowed: a chunked body has no length to refuse up front).
  void Begin(Clock::time_point deadline, size_t max_bytes) {
    deadline_ = deadline;
    left_ = max_bytes;
    head_ = 0;
    std::memset(request_head, 0, sizeof request_head);
  }
  bool past_deadline() const { return Clock::now() >= deadline_; }
  bool has_buffered() const { return begin_ < end_; }
  // A read or write timed out or failed: the connection is not reused.
  bool broken() const { return broken_; }

  bool is_readable() const override { return has_buffered() || WaitFor(sock_, POLLIN, Budget()); }
  bool is_writable() const override { return WaitFor(sock_, POLLOUT, Budget()); }

  ssize_t read(char* ptr, size_t size) override {
    if (left_ == 0) body_limit_hit = true;
    if (past_deadline() || left_ == 0) return Broken();  // even when bytes keep trickling in
    if (!has_buffered()) {
      if (!WaitFor(sock_, POLLIN, Budget())) return Broken();
      ssize_t n = Receive(buffer_, sizeof buffer_);
      if (n <= 0) return Broken();
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    size_t n = std::min({size, end_ - begin_, left_});
    for (size_t i = 0; i < n && head_ < sizeof request_head - 1; ++i) request_head[head_++] = buffer_[begin_ + i];
    std::memcpy(ptr, buffer_ + begin_, n);
    begin_ += n;
    left_ -= n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (past_deadline() || !WaitFor(sock_, POLLOUT, Budget())) return Broken();
    for (;;) {
      ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      return n < 0 ? Broken() : n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { AddressOf(sock_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { AddressOf(sock_, false, ip, port); }
  socket_t socket() const override { return sock_; }

 private:
  // The wait allowed for one read or write: the I/O timeout, cut short by the deadline.
  std::chrono::milliseconds Budget() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::min(io_timeout_, left);
  }

  ssize_t Broken() {
    broken_ = true;
    return -1;
  }

  ssize_t Receive(char* ptr, size_t size) {
    for (;;) {
      ssize_t n = ::recv(sock_, ptr, size, 0);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }

  const int sock_;
  const std::chrono::milliseconds io_timeout_;
  Clock::time_point deadline_ = Clock::time_point::max();
  size_t left_ = 0;
  size_t head_ = 0;  // bytes of request_head filled
  char buffer_[4096];
  size_t begin_ = 0, end_ = 0;
  bool broken_ = false;
};

}  // namespace

GuardedServer::GuardedServer(ConnectionLimits limits) : limits_(limits) {
  // Only for the Keep-Alive header httplib writes; the loop below enforces them.
  set_keep_alive_max_count(limits.keep_alive_max_count);
  set_keep_alive_timeout(std::chrono::duration_cast<std::chrono::seconds>(limits.keep_alive).count());
}

Clock::time_point GuardedServer::RequestStart() { return request_start; }

bool GuardedServer::BodyLimitHit() { return body_limit_hit; }

bool GuardedServer::RequestIsHead() { return std::strncmp(request_head, "HEAD ", 5) == 0; }

namespace {

// Closes like a polite server: stop sending, then read and drop what the client is still
// sending (the rest of a refused body, an over-long request line) for a moment. Closing with
// unread bytes makes the kernel send a reset, and the client loses the answer (a 413 or
// 414) it was sent before reading it.
void LingeringClose(int sock) {
  ::shutdown(sock, SHUT_WR);
  char sink[16384];
  auto until = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < until && WaitFor(sock, POLLIN, std::chrono::milliseconds(100))) {
    if (::recv(sock, sink, sizeof sink, 0) <= 0) break;
  }
  ::close(sock);
}

}  // namespace

bool GuardedServer::process_and_close_socket(socket_t sock) {
  DeadlineStream stream(sock, limits_.io_timeout);
  bool ok = false;
  for (size_t left = limits_.keep_alive_max_count; left > 0; --left) {
    // Wait for the next request in short slices, so a stopping server closes idle
    // connections promptly.
    auto idle_until = Clock::now() + limits_.keep_alive;
    bool arrived = stream.has_buffered();
    while (!arrived && svr_sock_ != INVALID_SOCKET && Clock::now() < idle_until) {
      arrived = WaitFor(sock, POLLIN, std::chrono::milliseconds(200));
    }
    if (!arrived || svr_sock_ == INVALID_SOCKET) break;
    request_start = Clock::now();
    body_limit_hit = false;
    constexpr size_t kHeaderBytes = 64 * 1024;  // request line and headers, with room
    stream.Begin(request_start + limits_.request_timeout, payload_max_length_ + kHeaderBytes);
    bool closed = false;
    ok = process_request(stream, left == 1, closed, nullptr);
    if (stream.past_deadline()) ++timed_out_;
    if (!ok || closed || stream.broken()) break;
  }
  LingeringClose(sock);
  return ok;
}

}  // namespace http
}  // namespace replicore
