#include "embed/crop.h"

#include <algorithm>
#include <string>

#include <opencv2/imgproc.hpp>

#include "ensemble/util/error.h"

namespace ensemble::embed::detail {
namespace {

cv::Mat to_bgr_over_white(const cv::Mat& image, cv::Mat* alpha_mask) {
  if (image.empty()) throw Error(ErrorCode::kBadInput, "cannot embed an empty image");
  if (image.depth() != CV_8U) {
    throw Error(ErrorCode::kInvalidArgument,
                "embedder input must be 8-bit (CV_8UC1/3/4), got depth " + std::to_string(image.depth()));
  }
  cv::Mat bgr;
  switch (image.channels()) {
    case 1: cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR); break;
    case 3: bgr = image; break;
    case 4: {
      // Composite over white so transparent product cut-outs look like studio photos.
      bgr.create(image.size(), CV_8UC3);
      if (alpha_mask) alpha_mask->create(image.size(), CV_8UC1);
      for (int y = 0; y < image.rows; ++y) {
        const cv::Vec4b* s = image.ptr<cv::Vec4b>(y);
        cv::Vec3b* d = bgr.ptr<cv::Vec3b>(y);
        for (int x = 0; x < image.cols; ++x) {
          int a = s[x][3];
          for (int c = 0; c < 3; ++c) d[x][c] = static_cast<uchar>((s[x][c] * a + 255 * (255 - a) + 127) / 255);
          if (alpha_mask) alpha_mask->at<uchar>(y, x) = a >= 128 ? 255 : 0;
        }
      }
      break;
    }
    default:
      throw Error(ErrorCode::kInvalidArgument,
                  "embedder input must have 1, 3 or 4 channels, got " + std::to_string(image.channels()));
  }
  return bgr;
}

cv::Mat pad_square_resize(const cv::Mat& bgr, int side) {
  int s = std::max(bgr.cols, bgr.rows);
  cv::Mat square(s, s, CV_8UC3, cv::Scalar(255, 255, 255));
  bgr.copyTo(square(cv::Rect((s - bgr.cols) / 2, (s - bgr.rows) / 2, bgr.cols, bgr.rows)));
  if (s == side) return square;
  cv::Mat out;
  cv::resize(square, out, cv::Size(side, side), 0, 0, s > side ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

}  // namespace

cv::Rect content_box(const cv::Mat& bgr) {
  // A row/column holds content when enough of its pixels are not light; the count threshold keeps
  // isolated JPEG specks on a white background from defeating the trim.
  std::vector<int> rows(bgr.rows, 0), cols(bgr.cols, 0);
  for (int y = 0; y < bgr.rows; ++y) {
    const cv::Vec3b* p = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      if (std::min({p[x][0], p[x][1], p[x][2]}) < kLightLevel) {
        ++rows[y];
        ++cols[x];
      }
    }
  }
  int row_min = std::max(1, bgr.cols / 100), col_min = std::max(1, bgr.rows / 100);
  int y0 = 0, y1 = bgr.rows - 1, x0 = 0, x1 = bgr.cols - 1;
  while (y0 <= y1 && rows[y0] < row_min) ++y0;
  while (y1 >= y0 && rows[y1] < row_min) --y1;
  while (x0 <= x1 && cols[x0] < col_min) ++x0;
  while (x1 >= x0 && cols[x1] < col_min) --x1;
  if (y0 > y1 || x0 > x1) return cv::Rect(0, 0, bgr.cols, bgr.rows);  // blank: keep everything
  return cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
}

cv::Mat prepare_crop(const cv::Mat& image, const cv::Mat& mask, int side) {
  cv::Mat alpha;
  cv::Mat bgr = to_bgr_over_white(image, mask.empty() ? &alpha : nullptr);
  if (mask.empty()) {
    // An alpha channel acts as the mask when no explicit mask is given; compositing already made
    // the outside white, so trimming the light border finds the same box.
    return pad_square_resize(bgr(content_box(bgr)), side);
  }
  if (mask.type() != CV_8UC1 || mask.size() != image.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                "a region mask must be CV_8UC1 of its image's size (" + std::to_string(image.cols) + "x" +
                    std::to_string(image.rows) + "), got " + std::to_string(mask.cols) + "x" +
                    std::to_string(mask.rows) + " type " + std::to_string(mask.type()));
  }
  cv::Rect box = cv::boundingRect(mask);
  if (box.area() == 0) throw Error(ErrorCode::kBadInput, "region mask selects no pixels");
  cv::Mat crop(box.size(), CV_8UC3, cv::Scalar(255, 255, 255));
  bgr(box).copyTo(crop, mask(box));
  return pad_square_resize(crop, side);
}

}  // namespace ensemble::embed::detail
