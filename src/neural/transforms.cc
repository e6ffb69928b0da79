#include "ensemble/neural/transforms.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace ensemble::neural {
namespace {

// BGR 8-bit -> RGB CHW floats (x / 255 - mean) / std, written into out (3 planes of stride_h × stride_w,
// image at the top-left).
void normalise_into(const cv::Mat& bgr, const std::array<float, 3>& mean, const std::array<float, 3>& std,
                    float* out, int plane_w, int plane_h) {
  const std::size_t plane = static_cast<std::size_t>(plane_w) * plane_h;
  for (int c = 0; c < 3; ++c) {
    const int src_c = 2 - c;  // RGB plane c comes from BGR channel 2 - c
    float lut[256];           // (x / 255 - mean) / std, computed exactly as written for each level
    for (int v = 0; v < 256; ++v) lut[v] = (static_cast<float>(v) / 255.f - mean[c]) / std[c];
    float* dst = out + c * plane;
    for (int y = 0; y < bgr.rows; ++y) {
      const auto* row = bgr.ptr<cv::Vec3b>(y);
      float* d = dst + static_cast<std::size_t>(y) * plane_w;
      for (int x = 0; x < bgr.cols; ++x) d[x] = lut[row[x][src_c]];
    }
  }
}

}  // namespace

cv::Size sam_resized_size(cv::Size original, int target) {
  const double scale = static_cast<double>(target) / std::max(original.width, original.height);
  return {static_cast<int>(original.width * scale + 0.5), static_cast<int>(original.height * scale + 0.5)};
}

std::vector<float> sam_preprocess(const cv::Mat& bgr, int target, const std::array<float, 3>& mean,
                                  const std::array<float, 3>& std) {
  CV_Assert(bgr.type() == CV_8UC3 && !bgr.empty());
  const cv::Size size = sam_resized_size(bgr.size(), target);
  cv::Mat resized;
  if (size == bgr.size()) {
    resized = bgr;
  } else {
    const bool shrink = size.width < bgr.cols;
    cv::resize(bgr, resized, size, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  std::vector<float> out(static_cast<std::size_t>(3) * target * target, 0.f);
  normalise_into(resized, mean, std, out.data(), target, target);
  return out;
}

cv::Point2f sam_point_to_model(cv::Point2f p, cv::Size original, int target) {
  const cv::Size size = sam_resized_size(original, target);
  return {p.x * static_cast<float>(size.width) / static_cast<float>(original.width),
          p.y * static_cast<float>(size.height) / static_cast<float>(original.height)};
}

cv::Mat sam_postprocess_mask(const float* low_res, int lh, int lw, cv::Size original, int target) {
  const cv::Mat low(lh, lw, CV_32FC1, const_cast<float*>(low_res));
  cv::Mat full;
  cv::resize(low, full, cv::Size(target, target), 0, 0, cv::INTER_LINEAR);
  const cv::Size size = sam_resized_size(original, target);
  cv::Mat out;
  cv::resize(full(cv::Rect(0, 0, size.width, size.height)), out, original, 0, 0, cv::INTER_LINEAR);
  return out;
}

std::vector<float> clip_preprocess(const cv::Mat& bgr, int side, const std::array<float, 3>& mean,
                                   const std::array<float, 3>& std) {
  CV_Assert(bgr.type() == CV_8UC3 && !bgr.empty());
  const int w = bgr.cols, h = bgr.rows;
  cv::Size size;
  if (w <= h) {
    size = {side, static_cast<int>(static_cast<long long>(side) * h / w)};
  } else {
    size = {static_cast<int>(static_cast<long long>(side) * w / h), side};
  }
  cv::Mat resized;
  if (size == bgr.size()) {
    resized = bgr;
  } else {
    // torchvision/PIL bicubic antialiases when shrinking; area averaging is OpenCV's closest match.
    const bool shrink = size.width < w;
    cv::resize(bgr, resized, size, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_CUBIC);
  }
  const int top = static_cast<int>(std::nearbyint((resized.rows - side) / 2.0));
  const int left = static_cast<int>(std::nearbyint((resized.cols - side) / 2.0));
  const cv::Mat crop = resized(cv::Rect(left, top, side, side));
  std::vector<float> out(static_cast<std::size_t>(3) * side * side);
  normalise_into(crop, mean, std, out.data(), side, side);
  return out;
}

}  // namespace ensemble::neural
