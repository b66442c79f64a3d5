// Test-only: a Store that forwards to another, and lets a test fail any call: the Nth call (counting
// every method), or every call from then on. For fault injection (sqlite's pagerfault idea).
#ifndef REPLICORE_TESTS_CORE_STORE_WRAPPER_H_
#define REPLICORE_TESTS_CORE_STORE_WRAPPER_H_

#include <cstdint>

#include "replicore/store.h"

namespace replicore {

class StoreWrapper : public Store {
 public:
  // Borrows `target`, which must outlive the wrapper.
  explicit StoreWrapper(Store* target) : target_(target) {}

  // Call number `n` (1-based, counted from now) fails with a kStorage status; 0 disables.
  void FailCall(uint64_t n) {
    fail_at_ = n == 0 ? 0 : calls_ + n;
  }
  // Only Apply calls count towards FailCall when set (failures injected at each write).
  void set_fail_only_writes(bool only_writes) { only_writes_ = only_writes; }
  uint64_t calls() const { return calls_; }
  bool failed() const { return failed_; }

  Result<std::optional<Record>> Get(const std::string& model, const std::string& id) override {
    RC_RETURN_IF_ERROR(Tick(false));
    return target_->Get(model, id);
  }
  Result<std::vector<Record>> Find(const std::string& model, const Filter& filter) override {
    RC_RETURN_IF_ERROR(Tick(false));
    return target_->Find(model, filter);
  }
  Result<size_t> Count(const std::string& model, const Where& where) override {
    RC_RETURN_IF_ERROR(Tick(false));
    return target_->Count(model, where);
  }
  Result<std::optional<Change>> GetChange(const std::string& model,
                                          const std::string& model_id) override {
    RC_RETURN_IF_ERROR(Tick(false));
    return target_->GetChange(model, model_id);
  }
  Result<std::vector<Change>> Changes(const ChangeQuery& query) override {
    RC_RETURN_IF_ERROR(Tick(false));
    return target_->Changes(query);
  }
  Result<int64_t> CurrentCheckpoint() override {
    RC_RETURN_IF_ERROR(Tick(false));
    return target_->CurrentCheckpoint();
  }
  Result<std::optional<Json>> GetMeta(const std::string& key) override {
    RC_RETURN_IF_ERROR(Tick(false));
    return target_->GetMeta(key);
  }
  Result<CommittedBatch> Apply(Batch batch) override {
    RC_RETURN_IF_ERROR(Tick(true));
    return target_->Apply(std::move(batch));
  }

 private:
  Status Tick(bool is_write) {
    if (only_writes_ && !is_write) return Status::Ok();
    ++calls_;
    if (fail_at_ != 0 && calls_ == fail_at_) {
      failed_ = true;
      return Status::Storage("injected failure at call " + std::to_string(calls_));
    }
    return Status::Ok();
  }

  Store* target_;
  uint64_t calls_ = 0;
  uint64_t fail_at_ = 0;
  bool only_writes_ = false;
  bool failed_ = false;
};

}  // namespace replicore

#endif  // REPLICORE_TESTS_CORE_STORE_WRAPPER_H_
