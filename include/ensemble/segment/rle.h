// COCO-style uncompressed run-length encoding of binary masks: how regions are stored and exported.
//
// Layout (pycocotools' uncompressed RLE): the mask is read in column-major (Fortran) order — down the
// first column, then the second — and counts alternate runs of outside and inside pixels, starting
// with outside (so counts[0] may be 0). The counts sum to height × width. JSON form:
//   {"size": [height, width], "counts": [c0, c1, ...]}
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ensemble::segment {

struct Rle {
  int height = 0;
  int width = 0;
  std::vector<std::uint32_t> counts;

  // Inside pixels (sum of the odd-indexed counts).
  std::int64_t area() const;
  friend bool operator==(const Rle&, const Rle&) = default;
};

// Encodes a CV_8UC1 mask (nonzero = inside). Throws Error(kInvalidArgument) for another type.
Rle rle_encode(const cv::Mat& mask);
// Decodes to a CV_8UC1 mask, 255 inside. Throws Error(kBadInput) when the counts do not sum to
// height × width or the size is negative.
cv::Mat rle_decode(const Rle& rle);

std::string rle_to_json(const Rle& rle);
// Throws Error(kBadInput) for malformed JSON or counts that do not fit the size.
Rle rle_from_json(std::string_view json);

}  // namespace ensemble::segment
