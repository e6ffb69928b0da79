// Partial top-k selection: a bounded min-heap of (score, id), best = higher score, then lower id.
#pragma once

#include <algorithm>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "ensemble/index/vector_index.h"
#include "ensemble/util/error.h"

namespace ensemble::index::detail {

// Checks search()'s arguments (k >= 1, whole queries of `dim` floats) and returns the result rows
// for them, every slot still the padding (id -1). Shared by every VectorIndex implementation.
inline SearchResults start_search(std::span<const float> queries, int k, int dim) {
  if (k < 1) throw Error(ErrorCode::kInvalidArgument, "search: k must be at least 1, got " + std::to_string(k));
  if (queries.size() % static_cast<std::size_t>(dim) != 0) {
    throw Error(ErrorCode::kInvalidArgument, "search: " + std::to_string(queries.size()) +
                                                 " floats is not a whole number of queries of dimension " +
                                                 std::to_string(dim));
  }
  SearchResults out;
  out.n = static_cast<std::int64_t>(queries.size()) / dim;
  out.k = k;
  out.ids.assign(out.n * k, -1);
  out.scores.assign(out.n * k, 0.0f);
  return out;
}

struct Hit {
  float score;
  Id id;
};

// a ranks before b.
inline bool better(const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.id < b.id); }

class TopK {
 public:
  explicit TopK(int k) : k_(k) { heap_.reserve(k); }

  // Score below which nothing can enter (when full); -inf while not full.
  float threshold() const { return full() ? heap_.front().score : -std::numeric_limits<float>::infinity(); }
  bool full() const { return static_cast<int>(heap_.size()) == k_; }

  void push(float score, Id id) {
    Hit h{score, id};
    // The heap's front is the worst kept hit (a max-heap under "better").
    if (!full()) {
      heap_.push_back(h);
      std::push_heap(heap_.begin(), heap_.end(), better);
    } else if (better(h, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), better);
      heap_.back() = h;
      std::push_heap(heap_.begin(), heap_.end(), better);
    }
  }

  // Writes the kept hits best-first into ids/scores (k slots), padding with -1 / -inf.
  void emit(Id* ids, float* scores) {
    std::sort(heap_.begin(), heap_.end(), better);
    for (int j = 0; j < k_; ++j) {
      bool have = j < static_cast<int>(heap_.size());
      ids[j] = have ? heap_[j].id : -1;
      scores[j] = have ? heap_[j].score : -std::numeric_limits<float>::infinity();
    }
  }

  void clear() { heap_.clear(); }

 private:
  int k_;
  std::vector<Hit> heap_;
};

}  // namespace ensemble::index::detail
