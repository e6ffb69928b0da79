#include "sample/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ensemble::sample {

void parallel_for(int n, int threads, int chunk, const std::function<void(int)>& fn,
                  const std::function<void(int)>& progress) {
  if (n <= 0) return;
  chunk = std::max(1, chunk);
  threads = std::clamp(threads, 1, std::max(1, (n + chunk - 1) / chunk));
  std::atomic<int> next{0};
  std::atomic<int> done{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mu;

  auto work = [&](bool caller) {
    while (!failed.load(std::memory_order_relaxed)) {
      const int begin = next.fetch_add(chunk);
      if (begin >= n) break;
      const int end = std::min(n, begin + chunk);
      try {
        for (int i = begin; i < end; ++i) fn(i);
        done.fetch_add(end - begin);
        if (caller && progress) progress(done.load());
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (!error) error = std::current_exception();
        failed = true;
        break;
      }
    }
  };

  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads - 1));
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, false);
  work(true);
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  if (progress) progress(done.load());
}

}  // namespace ensemble::sample
