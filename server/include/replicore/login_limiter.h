// Failed logins counted per name and per client address within a sliding window; past the
// limit, logins are refused (429 with Retry-After) before any password is verified, a
// correct one too. Time is a parameter (epoch or steady milliseconds, as long as one clock).
//
// Defaults: 5 failures per name and 20 per address in 15 minutes. A name is what the client
// logged in with ("username:alice" / "email:a@b.c", the email lowercased); an IPv6 address
// counts per /64, since one host holds a whole /64. Someone who knows a username can keep
// that user locked out by failing 5 times every 15 minutes: the price of stopping password
// guessing spread over many addresses. A success forgets the name's failures.
//
// Memory is bounded: at most `max_keys` names and as many addresses, each with at most its
// limit of timestamps; past that the least recently failed key is forgotten.
#ifndef REPLICORE_LOGIN_LIMITER_H_
#define REPLICORE_LOGIN_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace replicore {
namespace http {

struct LoginLimits {
  int per_name = 5;
  int per_address = 20;
  int64_t window_ms = 15 * 60 * 1000;
  size_t max_keys = 10000;  // per table (names, addresses)
};

// Thread-safe.
class LoginLimiter {
 public:
  explicit LoginLimiter(LoginLimits limits = LoginLimits());

  // Whether a login as `name` from `address` may go ahead at `now_ms`: 0, and the attempt is
  // pending until Finish; or the seconds until it may (at least 1). Attempts still pending
  // count against the limit like failures, so that parallel attempts cannot pass it
  // together (the wait is then 1 s: they end soon).
  int64_t Begin(const std::string& name, const std::string& address, int64_t now_ms);
  // REQUIRES: after a Begin that returned 0, once. A success forgets the name's failures;
  // a failure is counted against both, at `now_ms`.
  void Finish(const std::string& name, const std::string& address, int64_t now_ms,
              bool succeeded);

  // The key an address counts under: IPv4 as is, IPv6 by its /64 ("2001:db8:1:2::/64"),
  // an IPv4-mapped IPv6 address as the IPv4 one; anything unparsable as is.
  static std::string AddressKey(const std::string& address);

 private:
  struct Table {
    struct Entry {
      std::deque<int64_t> failures;          // oldest first, at most the limit
      int pending = 0;                       // attempts begun, not yet finished
      std::list<std::string>::iterator lru;  // position in `order`
    };
    std::unordered_map<std::string, Entry> entries;
    std::list<std::string> order;  // least recently used first

    // Drops the failures of `key` older than the window (and the entry, if nothing is
    // left); returns the entry or nullptr.
    Entry* Find(const std::string& key, int64_t now_ms, int64_t window_ms);
    // 0, or the ms until an attempt may begin, when failures and pending reach `limit`.
    static int64_t WaitMs(const Entry* entry, int limit, int64_t now_ms, int64_t window_ms);
    // The entry of `key`, made (evicting the least recently used past max_keys) if missing.
    Entry& Touch(const std::string& key, size_t max_keys);
    void Erase(const std::string& key);
  };

  const LoginLimits limits_;
  std::mutex mu_;
  Table names_;
  Table addresses_;
};

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_LOGIN_LIMITER_H_
