#include "segment/graph_segmentation.h"

#include <algorithm>
#include <cassert>
#include <cmath>
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
  std::stable_sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.w < b.w; });

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
