#include "ensemble/segment/region_filters.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cassert>
#include <numeric>

#include "segment/region_filters_internal.h"

namespace ensemble::segment {
namespace {

constexpr int kBins = 8;  // per channel of the colour histograms: 512 bins

int colour_bin(const cv::Vec3b& p) {
  return (p[0] * kBins / 256) * kBins * kBins + (p[1] * kBins / 256) * kBins + (p[2] * kBins / 256);
}

bool in_band(int x, int y, cv::Size s, int band) {
  return x < band || y < band || x >= s.width - band || y >= s.height - band;
}

}  // namespace

bool is_skin_hue(const cv::Vec3b& bgr) { return bgr[2] > bgr[1] && bgr[1] >= bgr[0]; }

double frame_coverage(const cv::Mat& mask) {
  assert(mask.type() == CV_8UC1);
  if (mask.empty()) return 0.0;
  const int w = mask.cols, h = mask.rows;
  std::int64_t total = 0, covered = 0;
  auto visit = [&](int x, int y) {
    ++total;
    covered += mask.at<uchar>(y, x) != 0;
  };
  for (int x = 0; x < w; ++x) {
    visit(x, 0);
    if (h > 1) visit(x, h - 1);
  }
  for (int y = 1; y < h - 1; ++y) {
    visit(0, y);
    if (w > 1) visit(w - 1, y);
  }
  return total ? static_cast<double>(covered) / static_cast<double>(total) : 0.0;
}

FrameColourModel frame_colour_model(const cv::Mat& bgr) {
  assert(bgr.type() == CV_8UC3);
  FrameColourModel m;
  m.band = std::max(2, static_cast<int>(0.03 * std::min(bgr.cols, bgr.rows)));
  m.hist = cv::Mat::zeros(1, kBins * kBins * kBins, CV_32F);
  float* h = m.hist.ptr<float>();
  double total = 0;
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      if (!in_band(x, y, bgr.size(), m.band)) continue;
      h[colour_bin(row[x])] += 1.f;
      total += 1;
    }
  }
  if (total > 0) m.hist /= total;
  m.band_pixels = total;
  return m;
}

namespace {

// The region's colour histogram (frame_colour_model's bins, counts) and that of its own pixels in
// the frame band, for comparing a region with the rest of the frame.
struct RegionColours {
  std::vector<double> region, band_inside;
  double region_total = 0, band_inside_total = 0;

  // Pixels of the frame band outside the region; nothing to compare when <= 0 or the region is empty.
  double rest_total(const FrameColourModel& frame) const { return frame.band_pixels - band_inside_total; }
  bool comparable(const FrameColourModel& frame) const { return region_total > 0 && rest_total(frame) > 0; }
  // Share of the frame band outside the region that has colour bin b (the garment's own frame
  // pixels do not count).
  double rest_share(const FrameColourModel& frame, int b) const {
    return std::max(0.0, frame.hist.ptr<float>()[b] * frame.band_pixels - band_inside[b]) / rest_total(frame);
  }
};
RegionColours region_colours(const cv::Mat& bgr, const cv::Mat& mask, const FrameColourModel& frame) {
  assert(bgr.size() == mask.size());
  const int nb = kBins * kBins * kBins;
  RegionColours rc{std::vector<double>(nb, 0.0), std::vector<double>(nb, 0.0)};
  const cv::Rect box = mask_box(mask);
  for (int y = box.y; y < box.y + box.height; ++y) {
    const auto* row = bgr.ptr<cv::Vec3b>(y);
    const uchar* m = mask.ptr<uchar>(y);
    for (int x = box.x; x < box.x + box.width; ++x) {
      if (!m[x]) continue;
      const int b = colour_bin(row[x]);
      rc.region[b] += 1;
      rc.region_total += 1;
      if (in_band(x, y, bgr.size(), frame.band)) {
        rc.band_inside[b] += 1;
        rc.band_inside_total += 1;
      }
    }
  }
  return rc;
}

}  // namespace

double frame_colour_match(const cv::Mat& bgr, const cv::Mat& mask, const FrameColourModel& frame) {
  const RegionColours rc = region_colours(bgr, mask, frame);
  if (!rc.comparable(frame)) return 0.0;
  // The frame's colours outside this region: a garment's own colours in the frame do not count.
  double match = 0;
  for (int b = 0; b < static_cast<int>(rc.region.size()); ++b) {
    match += std::min(rc.region[b] / rc.region_total, rc.rest_share(frame, b));
  }
  return match;
}

double frame_colour_support(const cv::Mat& bgr, const cv::Mat& mask, const FrameColourModel& frame,
                            double common_share) {
  const RegionColours rc = region_colours(bgr, mask, frame);
  if (!rc.comparable(frame)) return 0.0;
  double supported = 0;
  for (int b = 0; b < static_cast<int>(rc.region.size()); ++b) {
    if (rc.region[b] > 0 && rc.rest_share(frame, b) >= common_share) supported += rc.region[b];
  }
  return supported / rc.region_total;
}

bool is_background(const cv::Mat& bgr, const cv::Mat& mask, const FrameColourModel& frame,
                   double frame_frac, double colour_match) {
  const double cover = frame_coverage(mask);
  if (cover >= frame_frac) return true;
  if (colour_match > 1.0) return false;
  // "Touches the frame": has pixels in the frame band.
  const cv::Rect box = mask_box(mask);
  const bool touches = !box.empty() && (box.x < frame.band || box.y < frame.band ||
                                        box.x + box.width > mask.cols - frame.band ||
                                        box.y + box.height > mask.rows - frame.band);
  return touches && frame_colour_match(bgr, mask, frame) >= colour_match;
}

double skin_fraction(const cv::Mat& bgr, const cv::Mat& mask) {
  assert(bgr.type() == CV_8UC3 && mask.type() == CV_8UC1 && bgr.size() == mask.size());
  const cv::Rect box = mask_box(mask);
  if (box.empty()) return 0.0;
  cv::Mat ycrcb;
  cv::cvtColor(bgr(box), ycrcb, cv::COLOR_BGR2YCrCb);
  std::int64_t inside = 0, skin = 0;
  for (int y = 0; y < box.height; ++y) {
    const auto* p = ycrcb.ptr<cv::Vec3b>(y);
    const auto* c = bgr.ptr<cv::Vec3b>(y + box.y) + box.x;
    const uchar* m = mask.ptr<uchar>(y + box.y) + box.x;
    for (int x = 0; x < box.width; ++x) {
      if (!m[x]) continue;
      ++inside;
      const int Y = p[x][0], cr = p[x][1], cb = p[x][2];
      skin += Y >= 60 && cr >= 135 && cr <= 180 && cb >= 85 && cb <= 135 && is_skin_hue(c[x]);
    }
  }
  return inside ? static_cast<double>(skin) / static_cast<double>(inside) : 0.0;
}

double mask_thickness(const cv::Mat& mask) {
  assert(mask.type() == CV_8UC1);
  const cv::Rect box = mask_box(mask);
  if (box.empty()) return 0.0;
  // Pad by one so pixels on the image edge count as boundary too.
  cv::Mat padded;
  cv::copyMakeBorder(mask(box), padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  cv::Mat dist;
  cv::distanceTransform(padded != 0, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  double max_dist = 0;
  cv::minMaxLoc(dist, nullptr, &max_dist);
  // A w-pixel-wide stripe has its centre w/2 (even w) or (w+1)/2 (odd w) from the nearest outside
  // pixel; 2d - 1 gives w - 1 or w.
  return std::max(1.0, 2.0 * max_dist - 1.0);
}

std::vector<bool> contained_duplicates(const std::vector<MaskCandidate>& c, double contain_thresh,
                                       double area_ratio) {
  std::vector<bool> marked(c.size(), false);
  if (contain_thresh > 1.0) return marked;
  std::vector<int> by_area(c.size());
  std::iota(by_area.begin(), by_area.end(), 0);
  std::stable_sort(by_area.begin(), by_area.end(), [&](int a, int b) { return c[a].area > c[b].area; });
  for (std::size_t ii = 0; ii < by_area.size(); ++ii) {
    const int i = by_area[ii];
    if (c[i].area <= 0) continue;
    for (std::size_t jj = 0; jj < ii; ++jj) {
      const int j = by_area[jj];
      if (marked[j]) continue;
      if (static_cast<double>(c[i].area) < area_ratio * static_cast<double>(c[j].area)) continue;
      const cv::Rect overlap = c[i].box & c[j].box;
      if (overlap.empty()) continue;
      const std::int64_t inter = cv::countNonZero(c[i].mask(overlap) & c[j].mask(overlap));
      if (static_cast<double>(inter) >= contain_thresh * static_cast<double>(c[i].area)) {
        marked[i] = true;
        break;
      }
    }
  }
  return marked;
}

std::vector<bool> cap_regions(const std::vector<MaskCandidate>& c, int max_regions, double overlap_iou) {
  return cap_regions_deferring(c, max_regions, overlap_iou, {});
}

std::vector<bool> cap_regions_deferring(const std::vector<MaskCandidate>& c, int max_regions,
                                        double overlap_iou, const std::vector<bool>& deferred) {
  std::vector<bool> drop(c.size(), true);
  const auto cap = static_cast<std::size_t>(std::max(0, max_regions));
  std::size_t taken = 0;
  std::vector<std::size_t> selected;
  // First pass: best first, skipping regions that mostly repeat a selected one.
  for (std::size_t i = 0; i < c.size() && taken < cap; ++i) {
    bool repeats = !deferred.empty() && deferred[i];
    if (!repeats && overlap_iou <= 1.0) {
      for (std::size_t k : selected) {
        const cv::Rect overlap = c[i].box & c[k].box;
        if (overlap.empty()) continue;
        const auto inter = static_cast<double>(cv::countNonZero(c[i].mask(overlap) & c[k].mask(overlap)));
        const double uni = static_cast<double>(c[i].area + c[k].area) - inter;
        if (uni > 0 && inter / uni > overlap_iou) {
          repeats = true;
          break;
        }
      }
    }
    if (!repeats) {
      drop[i] = false;
      selected.push_back(i);
      ++taken;
    }
  }
  // Second pass: the remaining slots to the skipped regions, best first.
  for (std::size_t i = 0; i < c.size() && taken < cap; ++i) {
    if (drop[i]) {
      drop[i] = false;
      ++taken;
    }
  }
  return drop;
}

void apply_region_filters(std::vector<MaskCandidate>& c, const cv::Mat& bgr,
                          const SegmenterConfig& config, FilterStats& stats,
                          std::vector<std::pair<MaskCandidate, std::string>>* dropped) {
  assert(bgr.type() == CV_8UC3);
  std::stable_sort(c.begin(), c.end(), [](const MaskCandidate& a, const MaskCandidate& b) {
    return a.predicted_iou * a.stability > b.predicted_iou * b.stability;
  });
  auto run = [&](const std::string& name, const std::vector<bool>& drop) {
    std::vector<MaskCandidate> kept;
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (!drop[i]) {
        kept.push_back(std::move(c[i]));
      } else if (dropped) {
        dropped->emplace_back(std::move(c[i]), name);
      }
    }
    c = std::move(kept);
    stats.add(name, static_cast<std::int64_t>(c.size()));
  };
  auto per_region = [&](auto&& pred) {
    std::vector<bool> drop(c.size());
    for (std::size_t i = 0; i < c.size(); ++i) drop[i] = pred(c[i]);
    return drop;
  };

  const FrameColourModel frame = frame_colour_model(bgr);
  run("background", per_region([&](const MaskCandidate& m) {
        return is_background(bgr, m.mask, frame, config.background_frame_frac,
                             config.background_colour_match);
      }));
  run("skin", per_region([&](const MaskCandidate& m) {
        const bool rated_product = m.item_probability >= 0.f && config.skin_keep_item_prob <= 1.0 &&
                                   m.item_probability >= config.skin_keep_item_prob;
        return config.skin_max_frac <= 1.0 && !rated_product && skin_fraction(bgr, m.mask) >= config.skin_max_frac;
      }));
  const double min_thickness = config.min_thickness_frac * std::min(bgr.cols, bgr.rows);
  run("thin", per_region([&](const MaskCandidate& m) {
        return min_thickness > 0 && mask_thickness(m.mask) < min_thickness;
      }));
  run("contained", contained_duplicates(c, config.containment_thresh, config.containment_area_ratio));
  // Pieces of a patterned backdrop (bricks, tiles, a rug) that do not touch the frame pass the
  // background filter; under the cap they wait for slots left over, like variants of a kept region.
  std::vector<bool> deferred;
  if (config.max_regions < static_cast<int>(c.size())) {
    for (const auto& m : c) {
      deferred.push_back(frame_colour_support(bgr, m.mask, frame, kCommonFrameColourShare) >=
                         kCapDeferFrameSupport);
    }
  }
  run("cap", cap_regions_deferring(c, config.max_regions, config.cap_overlap_iou, deferred));
}

}  // namespace ensemble::segment
