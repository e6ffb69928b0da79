// At most N holders at once, admitted in arrival order.
//
// The server's photo work (decode, describe, search) is CPU-bound, so only as many photo requests
// as cores run at once and the others wait. std::counting_semaphore admits waiters in no
// particular order, so under load a request could lose the race many times in a row: that was
// the serving benchmark's p99 tail. Here waiters queue and a released slot goes to the longest
// waiter (only that one is woken). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace ensemble::server {

class FifoSlots {
 public:
  // slots >= 1.
  explicit FifoSlots(int slots) : slots_(slots < 1 ? 1 : slots), free_(slots_) {}
  FifoSlots(const FifoSlots&) = delete;
  FifoSlots& operator=(const FifoSlots&) = delete;

  // Blocks until every earlier caller has been admitted and a slot is free.
  void acquire() {
    std::unique_lock lock(mutex_);
    if (free_ > 0 && queue_.empty()) {
      --free_;
      return;
    }
    Waiter me;
    queue_.push_back(&me);
    me.wake.wait(lock, [&] { return me.admitted; });
  }
  // Hands the slot straight to the longest waiter (waking only that one), or frees it.
  void release() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      ++free_;
      return;
    }
    Waiter* next = queue_.front();
    queue_.pop_front();
    next->admitted = true;
    next->wake.notify_one();  // under the lock: `next` lives on its waiter's stack until it wakes
  }
  int slots() const { return slots_; }
  // Callers blocked in acquire() right now.
  std::size_t waiting() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

 private:
  struct Waiter {
    std::condition_variable wake;
    bool admitted = false;
  };
  const int slots_;
  mutable std::mutex mutex_;
  int free_;
  std::deque<Waiter*> queue_;
};

// Holds one slot for its scope.
class SlotLease {
 public:
  explicit SlotLease(FifoSlots& s) : s_(s) { s_.acquire(); }
  ~SlotLease() { s_.release(); }
  SlotLease(const SlotLease&) = delete;
  SlotLease& operator=(const SlotLease&) = delete;

 private:
  FifoSlots& s_;
};

}  // namespace ensemble::server
