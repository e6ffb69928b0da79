// Pair candidates of the classical segmenter: a pair of shoes, the two lenses of sunglasses, two
// gloves or earrings are one product but two disjoint regions, which no region hierarchy merges
// before it has swallowed what lies between them.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "segment/classic_internal.h"

namespace ensemble::segment::classic {

bool is_pair(const PairPart& a, const PairPart& b, double image_pixels) {
  const auto small = static_cast<double>(std::min(a.area, b.area));
  const auto large = static_cast<double>(std::max(a.area, b.area));
  if (large > kPairMaxPartFrac * image_pixels || small < kPairMinAreaRatio * large) return false;
  const cv::Rect& p = a.box;
  const cv::Rect& q = b.box;
  // Side by side: boxes overlapping mostly in y, hardly in x, with a gap below the wider width.
  const int y_overlap = std::min(p.y + p.height, q.y + q.height) - std::max(p.y, q.y);
  if (y_overlap < kPairMinYOverlap * std::min(p.height, q.height)) return false;
  if (std::min(p.height, q.height) < kPairMinSizeRatio * std::max(p.height, q.height) ||
      std::min(p.width, q.width) < kPairMinSizeRatio * std::max(p.width, q.width)) {
    return false;
  }
  const int x_overlap = std::min(p.x + p.width, q.x + q.width) - std::max(p.x, q.x);
  if (x_overlap > kPairMaxXOverlap * std::min(p.width, q.width)) return false;
  if (-x_overlap > kPairMaxGap * std::max(p.width, q.width)) return false;
  const cv::Vec3f d = a.mean_lab - b.mean_lab;
  return std::sqrt(d.dot(d)) <= kPairMaxColourDistance;
}

std::size_t add_pair_unions(std::vector<MaskCandidate>& c, const cv::Mat& lab8) {
  const double pixels = static_cast<double>(lab8.total());
  std::vector<PairPart> parts(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    parts[i].area = c[i].area;
    parts[i].box = c[i].box;
    if (c[i].area > 0 && static_cast<double>(c[i].area) <= kPairMaxPartFrac * pixels) {
      const cv::Scalar m = cv::mean(lab8(c[i].box), c[i].mask(c[i].box));
      parts[i].mean_lab = cv::Vec3f(static_cast<float>(m[0]), static_cast<float>(m[1]), static_cast<float>(m[2]));
    }
  }
  std::vector<MaskCandidate> unions;
  const std::size_t n = c.size();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      if (!is_pair(parts[i], parts[j], pixels)) continue;
      const cv::Rect overlap = c[i].box & c[j].box;
      if (!overlap.empty() && cv::countNonZero(c[i].mask(overlap) & c[j].mask(overlap)) > 0) continue;
      MaskCandidate u;
      u.mask = c[i].mask | c[j].mask;
      u.box = c[i].box | c[j].box;
      u.area = c[i].area + c[j].area;
      // As confident as its weaker half: a pair is no more an object than each of its parts.
      u.predicted_iou = std::min(c[i].predicted_iou, c[j].predicted_iou);
      u.item_probability = std::min(c[i].item_probability, c[j].item_probability);
      u.stability = std::min(c[i].stability, c[j].stability);
      u.point = c[i].predicted_iou >= c[j].predicted_iou ? c[i].point : c[j].point;
      // The same pair is found through several hierarchies: keep one union per box.
      bool duplicate = false;
      for (const auto& v : unions) {
        if (box_iou(v.box, u.box) > kPairDuplicateBoxIou) {
          duplicate = true;
          break;
        }
      }
      if (!duplicate) unions.push_back(std::move(u));
    }
  }
  const std::size_t added = unions.size();
  for (auto& u : unions) c.push_back(std::move(u));
  return added;
}

}  // namespace ensemble::segment::classic
