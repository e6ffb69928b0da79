// Turns an image (+ optional region mask) into the square "catalog-like" crop every embedder sees.
#pragma once

#include <opencv2/core/mat.hpp>

namespace ensemble::embed::detail {

// Pixels whose every channel is at least this bright count as studio background when trimming.
inline constexpr int kLightLevel = 232;

// Validates one input (see embedder.h) and returns a CV_8UC3 BGR square of side×side:
//   mask given    crop to the mask's bounding box, paint pixels outside the mask white;
//   no mask       BGRA is composited over white; near-white borders are trimmed;
// then pad to a square with white (content centred) and resize.
// Throws Error(kInvalidArgument) for an unsupported type or a mask of the wrong type/size,
// Error(kBadInput) for an empty image or a mask that selects nothing.
cv::Mat prepare_crop(const cv::Mat& image, const cv::Mat& mask, int side, int bg_fill = 0, bool balance = false);

// The bounding box of non-light content in a BGR image (the whole image when there is none).
cv::Rect content_box(const cv::Mat& bgr);

}  // namespace ensemble::embed::detail
