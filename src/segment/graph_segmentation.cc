#include "segment/graph_segmentation.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

namespace ensemble::segment {
namespace {

struct Edge {
  float w;
  int a, b;
};

class DisjointSets {
 public:
  explicit DisjointSets(int n) : parent_(n), size_(n, 1), internal_(n, 0.f) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }
  int find(int x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  // Joins two roots; the new root's internal difference is w (edges come in increasing order).
  int join(int a, int b, float w) {
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
    internal_[a] = w;
    return a;
  }
  int size(int root) const { return size_[root]; }
  float internal(int root) const { return internal_[root]; }

 private:
  std::vector<int> parent_;
  std::vector<int> size_;
  std::vector<float> internal_;
};

// Edges by weight, equal weights in scan order: a least-significant-digit radix sort over the
// float's bits (monotonic for non-negative floats), 11 bits a pass. The same order as
// std::stable_sort by weight, several times faster on the ~300,000 edges of a work image, where the
// merge sort was 7% of the segment stage. Negative weights (never made here) take stable_sort.
void sort_edges_stably(std::vector<Edge>& edges) {
  bool non_negative = true;
  for (const Edge& e : edges) non_negative = non_negative && !std::signbit(e.w);
  if (!non_negative || edges.size() < 1024) {
    std::stable_sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.w < b.w; });
    return;
  }
  auto key = [](const Edge& e) {
    std::uint32_t u = 0;
    std::memcpy(&u, &e.w, sizeof u);
    return u;
  };
  std::vector<Edge> buffer(edges.size());
  std::vector<Edge>* from = &edges;
  std::vector<Edge>* to = &buffer;
  constexpr int kBits = 11;
  constexpr std::uint32_t kBuckets = 1u << kBits;
  for (int shift = 0; shift < 32; shift += kBits) {
    std::vector<std::size_t> offsets(kBuckets + 1, 0);
    for (const Edge& e : *from) ++offsets[((key(e) >> shift) & (kBuckets - 1)) + 1];
    if (offsets[1] == from->size()) continue;  // every key has this digit 0: nothing moves
    for (std::uint32_t b = 0; b < kBuckets; ++b) offsets[b + 1] += offsets[b];
    for (const Edge& e : *from) (*to)[offsets[(key(e) >> shift) & (kBuckets - 1)]++] = e;
    std::swap(from, to);
  }
  if (from != &edges) edges.swap(buffer);
}

}  // namespace

std::vector<int> felzenszwalb(const cv::Mat& features, const std::vector<float>& ks, int min_size,
                              std::vector<cv::Mat>& labels) {
  assert(features.type() == CV_32FC3);
  const int w = features.cols, h = features.rows;
  const int n = w * h;
  std::vector<Edge> edges;
  edges.reserve(static_cast<std::size_t>(n) * 4);
  auto dist = [](const cv::Vec3f& p, const cv::Vec3f& q) {
    const cv::Vec3f d = p - q;
    return std::sqrt(d.dot(d));
  };
  for (int y = 0; y < h; ++y) {
    const auto* row = features.ptr<cv::Vec3f>(y);
    const auto* next = y + 1 < h ? features.ptr<cv::Vec3f>(y + 1) : nullptr;
    for (int x = 0; x < w; ++x) {
      const int i = y * w + x;
      if (x + 1 < w) edges.push_back({dist(row[x], row[x + 1]), i, i + 1});
      if (next) {
        edges.push_back({dist(row[x], next[x]), i, i + w});
        if (x + 1 < w) edges.push_back({dist(row[x], next[x + 1]), i, i + w + 1});
        if (x > 0) edges.push_back({dist(row[x], next[x - 1]), i, i + w - 1});
      }
    }
  }
  // Stable, so that equal weights keep their scan order on every platform.
  sort_edges_stably(edges);

  std::vector<int> counts;
  labels.assign(ks.size(), cv::Mat());
  for (std::size_t s = 0; s < ks.size(); ++s) {
    const float k = ks[s];
    DisjointSets sets(n);
    for (const Edge& e : edges) {
      int a = sets.find(e.a), b = sets.find(e.b);
      if (a == b) continue;
      const float ta = sets.internal(a) + k / static_cast<float>(sets.size(a));
      const float tb = sets.internal(b) + k / static_cast<float>(sets.size(b));
      if (e.w <= std::min(ta, tb)) sets.join(a, b, e.w);
    }
    for (const Edge& e : edges) {
      int a = sets.find(e.a), b = sets.find(e.b);
      if (a != b && (sets.size(a) < min_size || sets.size(b) < min_size)) sets.join(a, b, e.w);
    }
    cv::Mat& out_labels = labels[s];
    out_labels.create(h, w, CV_32S);
    std::vector<int> dense(static_cast<std::size_t>(n), -1);
    int count = 0;
    for (int y = 0; y < h; ++y) {
      int* out = out_labels.ptr<int>(y);
      for (int x = 0; x < w; ++x) {
        const int root = sets.find(y * w + x);
        if (dense[root] < 0) dense[root] = count++;
        out[x] = dense[root];
      }
    }
    counts.push_back(count);
  }
  return counts;
}

int felzenszwalb(const cv::Mat& features, float k, int min_size, cv::Mat& labels) {
  std::vector<cv::Mat> all;
  const int count = felzenszwalb(features, std::vector<float>{k}, min_size, all).front();
  labels = all.front();
  return count;
}

}  // namespace ensemble::segment
