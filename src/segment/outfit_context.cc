#include "ensemble/segment/outfit_context.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace ensemble::segment {
namespace {

struct Extent {
  double lo = 0, hi = 0;
  std::vector<double> column_mass;  // pixels per column, for wide masks
};

Extent robust_extent(const cv::Mat& mask) {
  Extent e;
  e.column_mass.assign(mask.cols, 0.0);
  double total = 0;
  for (int y = 0; y < mask.rows; ++y) {
    const uchar* m = mask.ptr<uchar>(y);
    for (int x = 0; x < mask.cols; ++x) {
      if (m[x]) e.column_mass[x] += 1;
    }
  }
  total = std::accumulate(e.column_mass.begin(), e.column_mass.end(), 0.0);
  if (total <= 0) return e;
  double acc = 0;
  bool lo_set = false;
  for (int x = 0; x < mask.cols; ++x) {
    acc += e.column_mass[x];
    if (!lo_set && acc >= 0.05 * total) {
      e.lo = x;
      lo_set = true;
    }
    if (acc >= 0.95 * total) {
      e.hi = x;
      break;
    }
  }
  return e;
}

}  // namespace

ContextAssignment assign_outfit_contexts(const std::vector<cv::Mat>& masks, int max_contexts,
                                         double gap_frac) {
  ContextAssignment out;
  out.context.assign(masks.size(), 0);
  if (masks.empty()) return out;
  const int width = masks[0].cols;
  const double gap = gap_frac * width;
  std::vector<Extent> ext;
  for (const auto& m : masks) ext.push_back(robust_extent(m));

  // Narrow masks define the groups; wide ones join a group afterwards.
  std::vector<int> narrow;
  for (std::size_t i = 0; i < masks.size(); ++i) {
    if (ext[i].hi - ext[i].lo <= 0.5 * width) narrow.push_back(static_cast<int>(i));
  }
  if (narrow.empty() || max_contexts <= 1) {
    out.count = 1;
    return out;
  }
  std::sort(narrow.begin(), narrow.end(), [&](int a, int b) { return ext[a].lo < ext[b].lo; });
  struct Group {
    double lo, hi;
    std::vector<int> members;
  };
  std::vector<Group> groups;
  for (int i : narrow) {
    if (!groups.empty() && ext[i].lo - groups.back().hi < gap) {
      groups.back().hi = std::max(groups.back().hi, ext[i].hi);
      groups.back().members.push_back(i);
    } else {
      groups.push_back({ext[i].lo, ext[i].hi, {i}});
    }
  }
  while (static_cast<int>(groups.size()) > max_contexts) {
    std::size_t best = 0;
    for (std::size_t g = 1; g + 1 < groups.size(); ++g) {
      if (groups[g + 1].lo - groups[g].hi < groups[best + 1].lo - groups[best].hi) best = g;
    }
    groups[best].hi = std::max(groups[best].hi, groups[best + 1].hi);
    groups[best].members.insert(groups[best].members.end(), groups[best + 1].members.begin(),
                                groups[best + 1].members.end());
    groups.erase(groups.begin() + static_cast<long>(best) + 1);
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (int i : groups[g].members) out.context[i] = static_cast<int>(g);
  }
  for (std::size_t i = 0; i < masks.size(); ++i) {
    if (ext[i].hi - ext[i].lo <= 0.5 * width) continue;
    // Most pixels inside the group's column band (extended halfway to its neighbours).
    double best_mass = -1;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const double lo = g == 0 ? 0 : (groups[g - 1].hi + groups[g].lo) / 2;
      const double hi = g + 1 == groups.size() ? width : (groups[g].hi + groups[g + 1].lo) / 2;
      double mass = 0;
      for (int x = std::max(0, static_cast<int>(lo)); x < std::min(width, static_cast<int>(hi)); ++x) {
        mass += ext[i].column_mass[x];
      }
      if (mass > best_mass) {
        best_mass = mass;
        out.context[i] = static_cast<int>(g);
      }
    }
  }
  out.count = static_cast<int>(groups.size());
  return out;
}

}  // namespace ensemble::segment
