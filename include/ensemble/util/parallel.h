// Minimal parallel loops over std::thread, with exceptions rethrown on the caller: parallel_for
// (embed, index and the pipeline stages use it) and ordered_parallel (work on threads, results
// consumed in order on the caller: the segment stage's compute-then-write).
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace ensemble {

inline int resolve_threads(int threads) {
  if (threads > 0) return threads;
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

// Calls fn(i) for i in [0, n) on up to `threads` threads (0 = all cores), handing out indices
// dynamically so uneven items balance. After the first exception no new items start; it is
// rethrown once all threads have joined.
template <typename Fn>
void parallel_for(std::int64_t n, int threads, Fn&& fn) {
  int t = static_cast<int>(std::min<std::int64_t>(resolve_threads(threads), n));
  if (t <= 1) {
    for (std::int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) return;
      std::int64_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= n) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(t - 1);
  for (int k = 1; k < t; ++k) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

// Calls produce(i) for i in [0, n) on up to `threads` worker threads (0 = all cores) and
// consume(i, result) on the calling thread in index order, each as soon as its result is ready:
// the consumer (a database writer, say) works while the next items are being produced, and no
// batch waits for its slowest item. At most `window` (>= 1) results are produced ahead of the
// last one consumed, which bounds the memory held. An exception thrown by produce(i) is rethrown on
// the caller when i's turn comes (after consume(0..i-1)); one thrown by consume stops the workers.
// Either way no new items start and the workers have joined before it propagates.
template <typename Produce, typename Consume>
void ordered_parallel(std::int64_t n, int threads, std::int64_t window, Produce&& produce, Consume&& consume) {
  using T = std::invoke_result_t<Produce&, std::int64_t>;
  const int t = static_cast<int>(std::min<std::int64_t>(resolve_threads(threads), n));
  if (t <= 1) {
    for (std::int64_t i = 0; i < n; ++i) consume(i, produce(i));
    return;
  }
  window = std::max<std::int64_t>(window, 1);
  struct Slot {
    std::optional<T> value;
    std::exception_ptr error;
    bool ready = false;
  };
  std::vector<Slot> ring(static_cast<size_t>(window));
  std::mutex mutex;
  std::condition_variable ready_cv, room_cv;
  std::int64_t next = 0, consumed = 0;
  bool stop = false;
  auto worker = [&] {
    for (;;) {
      std::int64_t i = 0;
      {
        std::unique_lock lock(mutex);
        room_cv.wait(lock, [&] { return stop || next >= n || next < consumed + window; });
        if (stop || next >= n) return;
        i = next++;
      }
      Slot done;
      try {
        done.value.emplace(produce(i));
      } catch (...) {
        done.error = std::current_exception();
      }
      done.ready = true;
      {
        std::lock_guard lock(mutex);
        ring[static_cast<size_t>(i % window)] = std::move(done);  // slot i - window was consumed
      }
      ready_cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  auto finish = [&] {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    room_cv.notify_all();
    for (auto& th : pool) th.join();
  };
  try {
    pool.reserve(static_cast<size_t>(t));
    for (int k = 0; k < t; ++k) pool.emplace_back(worker);
    for (std::int64_t i = 0; i < n; ++i) {
      Slot slot;
      {
        std::unique_lock lock(mutex);
        Slot& r = ring[static_cast<size_t>(i % window)];
        ready_cv.wait(lock, [&] { return r.ready; });
        slot = std::move(r);
        r = Slot{};
      }
      if (slot.error) std::rethrow_exception(slot.error);
      consume(i, std::move(*slot.value));
      {
        std::lock_guard lock(mutex);
        consumed = i + 1;
      }
      room_cv.notify_all();
    }
  } catch (...) {
    finish();
    throw;
  }
  finish();
}

}  // namespace ensemble
