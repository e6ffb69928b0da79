#include "ensemble/segment/mask_filters.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cassert>
#include <numeric>

namespace ensemble::segment {
namespace {

// Keeps c[i] where keep[i], preserving order.
std::size_t compact(std::vector<MaskCandidate>& c, const std::vector<char>& keep) {
  std::size_t out = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (keep[i]) {
      if (out != i) c[out] = std::move(c[i]);
      ++out;
    }
  }
  c.resize(out);
  return out;
}

}  // namespace

std::vector<cv::Point2f> build_point_grid(int n) {
  assert(n >= 1);
  const double offset = 1.0 / (2.0 * n);
  // numpy.linspace(offset, 1 - offset, n)
  std::vector<double> side(n);
  for (int i = 0; i < n; ++i) {
    side[i] = n == 1 ? offset : offset + (1.0 - 2.0 * offset) * i / (n - 1);
  }
  std::vector<cv::Point2f> points;
  points.reserve(static_cast<std::size_t>(n) * n);
  for (int row = 0; row < n; ++row) {
    for (int col = 0; col < n; ++col) {
      points.emplace_back(static_cast<float>(side[col]), static_cast<float>(side[row]));
    }
  }
  return points;
}

std::vector<cv::Point2f> grid_points_for_image(int n, cv::Size size) {
  std::vector<cv::Point2f> points = build_point_grid(n);
  for (auto& p : points) {
    p.x *= static_cast<float>(size.width);
    p.y *= static_cast<float>(size.height);
  }
  return points;
}

float stability_score(const cv::Mat& logits, float mask_threshold, float offset) {
  assert(logits.type() == CV_32FC1);
  const float hi = mask_threshold + offset;
  const float lo = mask_threshold - offset;
  std::int64_t intersection = 0;
  std::int64_t uni = 0;
  for (int y = 0; y < logits.rows; ++y) {
    const float* row = logits.ptr<float>(y);
    for (int x = 0; x < logits.cols; ++x) {
      intersection += row[x] > hi;
      uni += row[x] > lo;
    }
  }
  return uni == 0 ? 0.f : static_cast<float>(static_cast<double>(intersection) / static_cast<double>(uni));
}

cv::Rect mask_box(const cv::Mat& mask) {
  assert(mask.type() == CV_8UC1);
  return cv::boundingRect(mask);
}

float box_iou(const cv::Rect& a, const cv::Rect& b) {
  // SAM's boxes: x0 = min column, x1 = max column (inclusive); torchvision areas without +1.
  auto xyxy = [](const cv::Rect& r, double v[4]) {
    if (r.empty()) {
      v[0] = v[1] = v[2] = v[3] = 0;  // SAM's box for an empty mask
    } else {
      v[0] = r.x;
      v[1] = r.y;
      v[2] = r.x + r.width - 1;
      v[3] = r.y + r.height - 1;
    }
  };
  double p[4], q[4];
  xyxy(a, p);
  xyxy(b, q);
  const double area_a = (p[2] - p[0]) * (p[3] - p[1]);
  const double area_b = (q[2] - q[0]) * (q[3] - q[1]);
  const double iw = std::max(0.0, std::min(p[2], q[2]) - std::max(p[0], q[0]));
  const double ih = std::max(0.0, std::min(p[3], q[3]) - std::max(p[1], q[1]));
  const double inter = iw * ih;
  const double uni = area_a + area_b - inter;
  // torchvision divides by zero here (NaN, which never exceeds a threshold): 0 keeps that behaviour.
  return uni <= 0 ? 0.f : static_cast<float>(inter / uni);
}

float mask_iou(const cv::Mat& a, const cv::Mat& b) {
  assert(a.size() == b.size() && a.type() == CV_8UC1 && b.type() == CV_8UC1);
  std::int64_t inter = 0, uni = 0;
  for (int y = 0; y < a.rows; ++y) {
    const uchar* pa = a.ptr<uchar>(y);
    const uchar* pb = b.ptr<uchar>(y);
    for (int x = 0; x < a.cols; ++x) {
      const bool ia = pa[x] != 0, ib = pb[x] != 0;
      inter += ia && ib;
      uni += ia || ib;
    }
  }
  return uni == 0 ? 0.f : static_cast<float>(static_cast<double>(inter) / static_cast<double>(uni));
}

std::size_t filter_by_predicted_iou(std::vector<MaskCandidate>& c, float thresh) {
  if (thresh <= 0.f) return c.size();
  std::vector<char> keep(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) keep[i] = c[i].predicted_iou > thresh;
  return compact(c, keep);
}

std::size_t filter_by_stability(std::vector<MaskCandidate>& c, float mask_threshold, float offset,
                                float thresh) {
  std::vector<char> keep(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    c[i].stability = stability_score(c[i].logits, mask_threshold, offset);
    keep[i] = thresh <= 0.f || c[i].stability >= thresh;
  }
  return compact(c, keep);
}

void binarize(std::vector<MaskCandidate>& c, float mask_threshold) {
  for (auto& m : c) {
    assert(m.logits.type() == CV_32FC1);
    cv::compare(m.logits, mask_threshold, m.mask, cv::CMP_GT);  // 255 where greater
    m.logits.release();
    m.area = cv::countNonZero(m.mask);
    m.box = mask_box(m.mask);
  }
}

std::size_t filter_by_area(std::vector<MaskCandidate>& c, double min_frac, double max_frac) {
  std::vector<char> keep(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    const double total = static_cast<double>(c[i].mask.total());
    const double frac = total > 0 ? static_cast<double>(c[i].area) / total : 0.0;
    keep[i] = frac >= min_frac && frac <= max_frac;
  }
  return compact(c, keep);
}

std::vector<int> box_nms(const std::vector<cv::Rect>& boxes, const std::vector<float>& scores,
                         float iou_thresh) {
  assert(boxes.size() == scores.size());
  std::vector<int> order(boxes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  std::vector<int> kept;
  for (int i : order) {
    bool suppressed = false;
    for (int k : kept) {
      if (box_iou(boxes[i], boxes[k]) > iou_thresh) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(i);
  }
  return kept;
}

std::size_t filter_by_box_nms(std::vector<MaskCandidate>& c, float iou_thresh) {
  std::vector<cv::Rect> boxes;
  std::vector<float> scores;
  for (const auto& m : c) {
    boxes.push_back(m.box);
    scores.push_back(m.predicted_iou);
  }
  std::vector<MaskCandidate> out;
  for (int i : box_nms(boxes, scores, iou_thresh)) out.push_back(std::move(c[i]));
  c = std::move(out);
  return c.size();
}

namespace {

// Which components of a connectedComponentsWithStats result (of ~mask for holes, of the mask for
// islands) end up inside the mask. Holes: label 0 (the mask itself) and the small holes, except
// those marked in `outer` (empty = none). Islands: the components that are not small, or the
// largest one when all are small.
std::vector<char> labels_inside(const cv::Mat& stats, const std::vector<char>& small,
                                const std::vector<char>& outer, bool holes) {
  const auto n = small.size();
  std::vector<char> inside(n, 0);
  if (holes) {
    inside[0] = 1;
    for (std::size_t i = 1; i < n; ++i) inside[i] = (outer.empty() || !outer[i]) && small[i];
    return inside;
  }
  bool any = false;
  for (std::size_t i = 1; i < n; ++i) {
    inside[i] = !small[i];
    any = any || inside[i];
  }
  if (!any && n > 1) {
    int best = 1;
    for (int i = 2; i < static_cast<int>(n); ++i) {
      if (stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA)) best = i;
    }
    inside[static_cast<std::size_t>(best)] = 1;
  }
  return inside;
}

// out(y, x) = 255 where the label at (y, x) is inside, else 0 (out has labels' size).
void paint_inside(const cv::Mat& labels, const std::vector<char>& inside, cv::Mat out) {
  for (int y = 0; y < labels.rows; ++y) {
    const int* l = labels.ptr<int>(y);
    uchar* o = out.ptr<uchar>(y);
    for (int x = 0; x < labels.cols; ++x) o[x] = inside[static_cast<std::size_t>(l[x])] ? 255 : 0;
  }
}

// SAM's remove_small_regions on a whole mask (the reference computation).
cv::Mat remove_small_regions_full(const cv::Mat& mask, std::int64_t area_thresh, bool holes, bool* changed) {
  cv::Mat working = holes ? (mask == 0) : (mask != 0);
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(working, labels, stats, centroids, 8, CV_32S);
  std::vector<char> small(static_cast<std::size_t>(n), 0);
  bool any_small = false;
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) < area_thresh) {
      small[static_cast<std::size_t>(i)] = 1;
      any_small = true;
    }
  }
  if (!any_small) {
    *changed = false;
    return mask != 0;
  }
  cv::Mat out(mask.size(), CV_8UC1);
  paint_inside(labels, labels_inside(stats, small, {}, holes), out);
  *changed = true;
  return out;
}

}  // namespace

cv::Mat remove_small_regions(const cv::Mat& mask, std::int64_t area_thresh, SmallRegionMode mode,
                             bool* changed) {
  assert(mask.type() == CV_8UC1);
  bool dummy = false;
  if (!changed) changed = &dummy;
  const bool holes = mode == SmallRegionMode::kHoles;
  const cv::Rect box = mask_box(mask);
  if (area_thresh <= 0 && !box.empty()) {
    *changed = false;  // no component is smaller than nothing
    return mask != 0;
  }
  // The same result from the mask's box plus a one-pixel ring (where the image allows): every
  // foreground component lies inside the box, and a background component that does not reach the
  // ring cannot leave the box. Components reaching the ring are the outside; if one of them might be
  // small, the whole-image computation decides.
  const cv::Rect roi = cv::Rect(box.x - 1, box.y - 1, box.width + 2, box.height + 2) & cv::Rect(0, 0, mask.cols, mask.rows);
  if (box.empty() || roi.area() * 2 > mask.cols * mask.rows) {
    return remove_small_regions_full(mask, area_thresh, holes, changed);
  }
  const cv::Mat sub = mask(roi);
  cv::Mat working = holes ? (sub == 0) : (sub != 0);
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(working, labels, stats, centroids, 8, CV_32S);
  std::vector<char> outer(static_cast<std::size_t>(n), 0);
  if (holes) {
    const cv::Rect inner = box - roi.tl();
    for (int y = 0; y < roi.height; ++y) {
      const int* l = labels.ptr<int>(y);
      for (int x = 0; x < roi.width; ++x) {
        if (!inner.contains(cv::Point(x, y))) outer[static_cast<std::size_t>(l[x])] = 1;
      }
    }
  }
  std::vector<char> small(static_cast<std::size_t>(n), 0);
  bool any_small = false;
  for (int i = 1; i < n; ++i) {
    const bool is_small = stats.at<int>(i, cv::CC_STAT_AREA) < area_thresh;
    if (outer[static_cast<std::size_t>(i)]) {
      if (is_small) return remove_small_regions_full(mask, area_thresh, holes, changed);
      continue;
    }
    small[static_cast<std::size_t>(i)] = is_small;
    any_small = any_small || is_small;
  }
  cv::Mat out = mask != 0;
  if (!any_small) {
    *changed = false;
    return out;
  }
  paint_inside(labels, labels_inside(stats, small, outer, holes), out(roi));
  *changed = true;
  return out;
}

std::size_t postprocess_small_regions(std::vector<MaskCandidate>& c, std::int64_t hole_area,
                                      std::int64_t island_area, float nms_thresh) {
  if (c.empty() || (hole_area <= 0 && island_area <= 0)) return c.size();
  std::vector<cv::Mat> masks(c.size());
  std::vector<cv::Rect> boxes(c.size());
  std::vector<float> scores(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    bool changed_holes = false, changed_islands = false;
    cv::Mat m = remove_small_regions(c[i].mask, hole_area, SmallRegionMode::kHoles, &changed_holes);
    masks[i] = remove_small_regions(m, island_area, SmallRegionMode::kIslands, &changed_islands);
    boxes[i] = mask_box(masks[i]);
    scores[i] = (changed_holes || changed_islands) ? 0.f : 1.f;
  }
  std::vector<MaskCandidate> out;
  for (int i : box_nms(boxes, scores, nms_thresh)) {
    MaskCandidate m = std::move(c[i]);
    if (scores[i] == 0.f) {
      m.mask = masks[i];
      m.box = boxes[i];
      m.area = cv::countNonZero(m.mask);
    }
    out.push_back(std::move(m));
  }
  c = std::move(out);
  return c.size();
}

}  // namespace ensemble::segment
