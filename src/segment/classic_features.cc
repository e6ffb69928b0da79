// The classical segmenter's features and its pool of region hierarchies.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <iterator>

#include "segment/classic_internal.h"
#include "segment/graph_segmentation.h"

namespace ensemble::segment::classic {

cv::Mat compute_priors(const cv::Mat& bgr) {
  // Skin: the YCrCb rule of region_filters (skin_fraction), per pixel.
  cv::Mat ycrcb;
  cv::cvtColor(bgr, ycrcb, cv::COLOR_BGR2YCrCb);
  // Background: how much more common a colour is in the frame band than in the whole image.
  constexpr int kBins = 8;
  auto bin = [](const cv::Vec3b& v) {
    return (v[0] * kBins / 256 * kBins + v[1] * kBins / 256) * kBins + v[2] * kBins / 256;
  };
  const int band = std::max(2, static_cast<int>(0.03 * std::min(bgr.cols, bgr.rows)));
  std::vector<double> in_band(kBins * kBins * kBins, 0.0), all(kBins * kBins * kBins, 0.0);
  double band_total = 0;
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const int b = bin(row[x]);
      all[b] += 1;
      if (x < band || y < band || x >= bgr.cols - band || y >= bgr.rows - band) {
        in_band[b] += 1;
        band_total += 1;
      }
    }
  }
  const double band_share = band_total / static_cast<double>(bgr.total());
  cv::Mat priors(bgr.size(), CV_32FC2);
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* row = bgr.ptr<cv::Vec3b>(y);
    const auto* yc = ycrcb.ptr<cv::Vec3b>(y);
    auto* out = priors.ptr<cv::Vec2f>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const int Y = yc[x][0], cr = yc[x][1], cb = yc[x][2];
      const bool skin = Y >= 40 && cr >= 135 && cr <= 180 && cb >= 85 && cb <= 135;
      const int b = bin(row[x]);
      // in_band/all is band_share for a colour spread evenly; ≥ 2× band_share reads as background.
      const double ratio = in_band[b] / std::max(1.0, all[b]) / band_share;
      out[x] = cv::Vec2f(skin ? 1.f : 0.f, static_cast<float>(std::clamp((ratio - 0.5) / 1.5, 0.0, 1.0)));
    }
  }
  cv::GaussianBlur(priors, priors, cv::Size(0, 0), 1.0);
  return priors;
}

Features make_features(const cv::Mat& work_bgr) {
  Features f;
  cv::Mat lab;
  cv::cvtColor(work_bgr, f.lab8, cv::COLOR_BGR2Lab);
  f.lab8.convertTo(lab, CV_32FC3);
  cv::GaussianBlur(lab, f.fine, cv::Size(0, 0), 0.8);
  const double texture_sigma = std::max(1.5, 0.01 * std::min(work_bgr.cols, work_bgr.rows));
  cv::GaussianBlur(lab, f.texture, cv::Size(0, 0), texture_sigma);
  f.priors = compute_priors(work_bgr);
  return f;
}

HierarchyParams hierarchy_params() {
  HierarchyParams p;
  p.w_colour = 0.f;
  p.w_hist = 0.30f;
  p.w_edge = 0.25f;
  p.w_fill = 0.30f;
  p.w_size = 2.0f;
  p.w_prior = 0.f;  // the priors tie-break nothing the other terms miss (measured); kept for the fit
  return p;
}

std::vector<RegionHierarchy> build_hierarchies(const Features& f) {
  const int min_size = std::max(8, static_cast<int>(kMinSuperpixelFrac * static_cast<double>(f.fine.total())));
  std::vector<cv::Mat> labels;
  const std::vector<int> counts = felzenszwalb(
      f.fine, std::vector<float>(std::begin(kSuperpixelScales), std::end(kSuperpixelScales)), min_size, labels);
  std::vector<RegionHierarchy> trees;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    trees.emplace_back(labels[i], counts[i], f.fine, f.texture, hierarchy_params(), f.priors);
  }
  return trees;
}

}  // namespace ensemble::segment::classic
