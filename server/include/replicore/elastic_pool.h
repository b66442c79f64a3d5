// The server's thread pool: cpp-httplib serves each connection on one thread for as long
// as it stays open, so idle and slow connections each hold a thread. This pool starts a
// thread only when every thread is busy, up to a high bound, so a few hundred idle
// connections cannot starve the others and an idle server keeps few threads.
#ifndef REPLICORE_ELASTIC_POOL_H_
#define REPLICORE_ELASTIC_POOL_H_

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace replicore {
namespace http {

class ElasticPool final : public httplib::TaskQueue {
 public:
  explicit ElasticPool(size_t max_threads);
  ~ElasticPool() override;

  // Runs `fn` on an idle thread, or a new one while under the bound; past it, `fn` waits.
  void enqueue(std::function<void()> fn) override;
  // Runs what is queued, then joins every thread.
  void shutdown() override;

 private:
  void Work();

  const size_t max_threads_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_ELASTIC_POOL_H_
