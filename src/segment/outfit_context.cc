#include "ensemble/segment/outfit_context.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

namespace ensemble::segment {
namespace {

struct Voter {
  double x;       // centroid x
  double weight;  // sqrt(area): large garments count more, but not overwhelmingly
};

double weighted_median(std::vector<Voter> v) {
  std::sort(v.begin(), v.end(), [](const Voter& a, const Voter& b) { return a.x < b.x; });
  double total = 0;
  for (const auto& p : v) total += p.weight;
  double acc = 0;
  for (const auto& p : v) {
    acc += p.weight;
    if (acc >= total / 2) return p.x;
  }
  return v.empty() ? 0 : v.back().x;
}

// Recursively splits voters (sorted by x) into groups; appends the accepted groups' axes.
void split(const std::vector<Voter>& v, double total_weight, double width, const ContextOptions& o,
           int budget, std::vector<double>& axes) {
  if (v.empty()) return;
  if (budget > 1 && v.size() >= 2) {
    // Weighted 2-means in 1-D: the best split of the sorted voters minimises within-group SSE.
    const std::size_t n = v.size();
    std::vector<double> w(n + 1, 0), wx(n + 1, 0), wxx(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
      w[i + 1] = w[i] + v[i].weight;
      wx[i + 1] = wx[i] + v[i].weight * v[i].x;
      wxx[i + 1] = wxx[i] + v[i].weight * v[i].x * v[i].x;
    }
    auto sse = [&](std::size_t a, std::size_t b) {
      const double ww = w[b] - w[a];
      if (ww <= 0) return 0.0;
      const double m = (wx[b] - wx[a]) / ww;
      return (wxx[b] - wxx[a]) - ww * m * m;
    };
    std::size_t best = 0;
    double best_sse = INFINITY;
    for (std::size_t k = 1; k < n; ++k) {
      const double s = sse(0, k) + sse(k, n);
      if (s < best_sse) {
        best_sse = s;
        best = k;
      }
    }
    const std::vector<Voter> left(v.begin(), v.begin() + static_cast<long>(best));
    const std::vector<Voter> right(v.begin() + static_cast<long>(best), v.end());
    const double wl = w[best], wr = w[n] - w[best];
    const double ml = weighted_median(left), mr = weighted_median(right);
    if (wl >= o.min_share * total_weight && wr >= o.min_share * total_weight &&
        mr - ml >= o.min_separation * width) {
      const int budget_left = std::max(1, budget / 2);
      split(left, total_weight, width, o, budget_left, axes);
      split(right, total_weight, width, o, budget - budget_left, axes);
      return;
    }
  }
  axes.push_back(weighted_median(v));
}

}  // namespace

ContextAssignment assign_outfit_contexts(const std::vector<cv::Mat>& masks, const ContextOptions& options) {
  ContextAssignment out;
  out.context.assign(masks.size(), 0);
  if (masks.empty()) return out;
  const int width = masks[0].cols;
  std::vector<double> cx(masks.size(), 0), lo(masks.size(), 0), hi(masks.size(), 0), area(masks.size(), 0);
  for (std::size_t i = 0; i < masks.size(); ++i) {
    assert(masks[i].type() == CV_8UC1 && masks[i].cols == width);
    std::vector<double> column(static_cast<std::size_t>(width), 0.0);
    for (int y = 0; y < masks[i].rows; ++y) {
      const uchar* m = masks[i].ptr<uchar>(y);
      for (int x = 0; x < width; ++x) column[static_cast<std::size_t>(x)] += m[x] != 0;
    }
    double total = 0, sum_x = 0;
    for (int x = 0; x < width; ++x) {
      total += column[static_cast<std::size_t>(x)];
      sum_x += x * column[static_cast<std::size_t>(x)];
    }
    area[i] = total;
    if (total <= 0) continue;
    cx[i] = sum_x / total;
    // Robust extent: 5th to 95th percentile of the pixels' x.
    double acc = 0;
    bool lo_set = false;
    for (int x = 0; x < width; ++x) {
      acc += column[static_cast<std::size_t>(x)];
      if (!lo_set && acc >= 0.05 * total) {
        lo[i] = x;
        lo_set = true;
      }
      if (acc >= 0.95 * total) {
        hi[i] = x;
        break;
      }
    }
  }
  std::vector<Voter> voters;
  double total_weight = 0;
  for (std::size_t i = 0; i < masks.size(); ++i) {
    if (area[i] <= 0 || hi[i] - lo[i] > 0.5 * width) continue;
    voters.push_back({cx[i], std::sqrt(area[i])});
    total_weight += voters.back().weight;
  }
  std::sort(voters.begin(), voters.end(), [](const Voter& a, const Voter& b) { return a.x < b.x; });
  std::vector<double> axes;
  split(voters, total_weight, width, options, std::max(1, options.max_contexts), axes);
  if (axes.empty()) axes.push_back(width / 2.0);
  for (std::size_t i = 0; i < masks.size(); ++i) {
    int best = 0;
    for (std::size_t a = 1; a < axes.size(); ++a) {
      if (std::abs(cx[i] - axes[a]) < std::abs(cx[i] - axes[static_cast<std::size_t>(best)])) best = static_cast<int>(a);
    }
    out.context[i] = best;
  }
  out.count = static_cast<int>(axes.size());
  return out;
}

}  // namespace ensemble::segment
