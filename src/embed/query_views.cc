#include "ensemble/embed/query_views.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>

#include "ensemble/util/error.h"

namespace ensemble::embed {

std::vector<double> view_angles(const QueryViewOptions& options) {
  if (options.per_side < 0 || !(options.step_degrees > 0 && options.step_degrees <= 45)) {
    throw Error(ErrorCode::kInvalidArgument,
                "query views: per_side must be >= 0 and step_degrees in (0, 45], not " +
                    std::to_string(options.per_side) + " and " + std::to_string(options.step_degrees));
  }
  std::vector<double> angles = {0.0};
  for (int i = 1; i <= options.per_side; ++i) {
    angles.push_back(-i * options.step_degrees);
    angles.push_back(i * options.step_degrees);
  }
  return angles;
}

std::vector<cv::Mat> query_views(const cv::Mat& image, const QueryViewOptions& options) {
  const std::vector<double> angles = view_angles(options);
  if (options.max_side < 16) {
    throw Error(ErrorCode::kInvalidArgument,
                "query views: max_side must be at least 16, not " + std::to_string(options.max_side));
  }
  std::vector<cv::Mat> views = {image};
  if (angles.size() == 1 || image.empty()) return views;
  // Shrinking and turning are one warp (its cost is the output's pixels); bilinear sampling is
  // fine down to half size, so a larger photo is first shrunk to twice max_side by area averaging.
  cv::Mat base = image;
  if (const int side = std::max(image.cols, image.rows); side > 2 * options.max_side) {
    const double f = 2.0 * options.max_side / side;
    cv::resize(image, base, cv::Size(), f, f, cv::INTER_AREA);
  }
  const double scale = std::min(1.0, static_cast<double>(options.max_side) / std::max(base.cols, base.rows));
  const cv::Size out(std::max(1, static_cast<int>(std::lround(base.cols * scale))),
                     std::max(1, static_cast<int>(std::lround(base.rows * scale))));
  const cv::Point2f from((base.cols - 1) * 0.5f, (base.rows - 1) * 0.5f);
  for (size_t i = 1; i < angles.size(); ++i) {
    cv::Mat m = cv::getRotationMatrix2D(from, angles[i], scale);
    m.at<double>(0, 2) += (out.width - 1) * 0.5 - from.x;  // centre to centre
    m.at<double>(1, 2) += (out.height - 1) * 0.5 - from.y;
    cv::Mat turned;
    cv::warpAffine(base, turned, m, out, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    views.push_back(std::move(turned));
  }
  return views;
}

std::vector<float> combine_views(std::span<const float> rows, int dim) {
  if (dim < 1 || rows.empty() || rows.size() % static_cast<size_t>(dim) != 0) {
    throw Error(ErrorCode::kInvalidArgument, "query views: " + std::to_string(rows.size()) +
                                                 " values are not rows of " + std::to_string(dim));
  }
  std::vector<double> sum(static_cast<size_t>(dim), 0.0);
  for (size_t i = 0; i < rows.size(); ++i) sum[i % static_cast<size_t>(dim)] += rows[i];
  double norm = 0;
  for (const double v : sum) norm += v * v;
  norm = std::sqrt(norm);
  if (!(norm > 0) || !std::isfinite(norm)) {
    throw Error(ErrorCode::kInvalidArgument, "query views: the views' embeddings cancel out");
  }
  std::vector<float> out(static_cast<size_t>(dim));
  for (size_t d = 0; d < out.size(); ++d) out[d] = static_cast<float>(sum[d] / norm);
  return out;
}

}  // namespace ensemble::embed
