// LoginLimiter (login_limiter.h): two LRU tables of recent failure times.
#include "replicore/login_limiter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace replicore {
namespace http {

LoginLimiter::LoginLimiter(LoginLimits limits) : limits_(limits) {}

std::string LoginLimiter::AddressKey(const std::string& address) {
  unsigned char bytes[16];
  if (address.find(':') == std::string::npos ||
      inet_pton(AF_INET6, address.c_str(), bytes) != 1) {
    return address;
  }
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(bytes, bytes + 12, kMapped)) {
    char v4[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, bytes + 12, v4, sizeof v4) != nullptr) return v4;
  }
  std::fill(bytes + 8, bytes + 16, 0);
  char v6[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, bytes, v6, sizeof v6) == nullptr) return address;
  return std::string(v6) + "/64";
}

LoginLimiter::Table::Entry* LoginLimiter::Table::Find(const std::string& key, int64_t now_ms,
                                                      int64_t window_ms) {
  auto it = entries.find(key);
  if (it == entries.end()) return nullptr;
  std::deque<int64_t>& failures = it->second.failures;
  while (!failures.empty() && failures.front() + window_ms <= now_ms) failures.pop_front();
  if (failures.empty() && it->second.pending == 0) {
    Erase(key);
    return nullptr;
  }
  return &it->second;
}

int64_t LoginLimiter::Table::WaitMs(const Entry* entry, int limit, int64_t now_ms,
                                    int64_t window_ms) {
  if (entry == nullptr) return 0;
  const int failed = static_cast<int>(entry->failures.size());
  if (failed + entry->pending < limit) return 0;
  // The failures are the last `limit`: an attempt may begin once the oldest leaves the
  // window. Held up by pending attempts only: they end within a hash's time.
  if (failed >= limit) return std::max<int64_t>(1, entry->failures.front() + window_ms - now_ms);
  return 1000;
}

LoginLimiter::Table::Entry& LoginLimiter::Table::Touch(const std::string& key, size_t max_keys) {
  auto it = entries.find(key);
  if (it != entries.end()) {
    order.splice(order.end(), order, it->second.lru);  // now the most recent
    return it->second;
  }
  while (!order.empty() && entries.size() >= std::max<size_t>(max_keys, 1)) {
    entries.erase(order.front());
    order.pop_front();
  }
  order.push_back(key);
  Entry entry;
  entry.lru = std::prev(order.end());
  return entries.emplace(key, std::move(entry)).first->second;
}

void LoginLimiter::Table::Erase(const std::string& key) {
  auto it = entries.find(key);
  if (it == entries.end()) return;
  order.erase(it->second.lru);
  entries.erase(it);
}

int64_t LoginLimiter::Begin(const std::string& name, const std::string& address,
                            int64_t now_ms) {
  const std::string where = AddressKey(address);
  const int64_t window = limits_.window_ms;
  std::lock_guard<std::mutex> lock(mu_);
  int64_t wait = std::max(
      Table::WaitMs(names_.Find(name, now_ms, window), limits_.per_name, now_ms, window),
      Table::WaitMs(addresses_.Find(where, now_ms, window), limits_.per_address, now_ms, window));
  if (wait > 0) return (wait + 999) / 1000;
  ++names_.Touch(name, limits_.max_keys).pending;
  ++addresses_.Touch(where, limits_.max_keys).pending;
  return 0;
}

void LoginLimiter::Finish(const std::string& name, const std::string& address, int64_t now_ms,
                          bool succeeded) {
  const std::string where = AddressKey(address);
  std::lock_guard<std::mutex> lock(mu_);
  auto finish = [&](Table& table, const std::string& key, int limit, bool forget) {
    Table::Entry& entry = table.Touch(key, limits_.max_keys);  // remade if evicted meanwhile
    if (entry.pending > 0) --entry.pending;
    if (forget) {
      entry.failures.clear();
    } else if (!succeeded) {
      entry.failures.push_back(now_ms);
      while (static_cast<int>(entry.failures.size()) > std::max(limit, 1)) {
        entry.failures.pop_front();
      }
    }
    if (entry.failures.empty() && entry.pending == 0) table.Erase(key);
  };
  finish(names_, name, limits_.per_name, succeeded);
  finish(addresses_, where, limits_.per_address, false);
}

}  // namespace http
}  // namespace replicore
