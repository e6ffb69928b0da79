// A minimal parallel loop for rendering: work split in chunks over a few std::threads.
#pragma once

#include <functional>

namespace ensemble::sample {

// Runs fn(i) for every i in [0, n) on `threads` threads, the caller's included, taking chunks of
// `chunk` indices in turn. progress(done), when set, is called only from the calling thread, with
// a non-decreasing count. If any fn (or progress) throws, the remaining work is skipped and the
// first exception is rethrown in the caller once all threads have stopped. fn must be safe to call concurrently.
void parallel_for(int n, int threads, int chunk, const std::function<void(int)>& fn,
                  const std::function<void(int)>& progress = {});

}  // namespace ensemble::sample
