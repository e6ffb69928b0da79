#include "embed/crop.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>
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
  // Resize the content straight into the centred window of a white square (no full-size square).
  const int s = std::max(bgr.cols, bgr.rows);
  const int w = std::max(1, static_cast<int>(std::lround(double(bgr.cols) * side / s)));
  const int h = std::max(1, static_cast<int>(std::lround(double(bgr.rows) * side / s)));
  cv::Mat out(side, side, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::Mat window = out(cv::Rect((side - w) / 2, (side - h) / 2, w, h));
  if (w == bgr.cols && h == bgr.rows) {
    bgr.copyTo(window);
  } else {
    cv::resize(bgr, window, window.size(), 0, 0, s > side ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  return out;
}

}  // namespace

cv::Rect content_box(const cv::Mat& bgr) {
  // A row/column holds content when enough of its pixels are not light; the count threshold keeps
  // isolated JPEG specks on a white background from defeating the trim. Written as two simple
  // loops per row so the compiler vectorises them.
  std::vector<int> rows(bgr.rows, 0), cols(bgr.cols, 0);
  std::vector<std::uint8_t> dark(bgr.cols);
  for (int y = 0; y < bgr.rows; ++y) {
    const std::uint8_t* p = bgr.ptr<std::uint8_t>(y);
    int count = 0;
    for (int x = 0; x < bgr.cols; ++x) {
      std::uint8_t m = std::min(std::min(p[3 * x], p[3 * x + 1]), p[3 * x + 2]);
      dark[x] = m < kLightLevel;
      count += dark[x];
    }
    rows[y] = count;
    if (count == 0) continue;
    for (int x = 0; x < bgr.cols; ++x) cols[x] += dark[x];
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

// Share of the image's outermost pixels that are light (a studio background).
double light_border_fraction(const cv::Mat& bgr) {
  int light = 0, total = 0;
  auto count = [&](int y, int x) {
    const cv::Vec3b& p = bgr.at<cv::Vec3b>(y, x);
    light += std::min({p[0], p[1], p[2]}) >= kLightLevel;
    ++total;
  };
  for (int x = 0; x < bgr.cols; ++x) count(0, x), count(bgr.rows - 1, x);
  for (int y = 0; y < bgr.rows; ++y) count(y, 0), count(y, bgr.cols - 1);
  return double(light) / total;
}

namespace {

// The background's colours on the border of `small`: greedily, the border colour with the most
// border pixels within `tol` of it, then the next among those left. The first mode is always kept,
// a second only when it covers at least 30 % of the border (a two-tone floor and wall): a garment
// cut by the frame touches the border too, but over a small share of it. `dominant_share` is the
// first mode's share of the border.
struct BorderModes {
  std::vector<cv::Vec3b> colours;
  double dominant_share = 0;
};
BorderModes border_background_modes(const cv::Mat& small, int tol) {
  std::vector<cv::Vec3b> px;
  const int w = small.cols, h = small.rows;
  for (int x = 0; x < w; ++x) px.push_back(small.at<cv::Vec3b>(0, x)), px.push_back(small.at<cv::Vec3b>(h - 1, x));
  for (int y = 1; y + 1 < h; ++y) px.push_back(small.at<cv::Vec3b>(y, 0)), px.push_back(small.at<cv::Vec3b>(y, w - 1));
  auto near = [tol](const cv::Vec3b& a, const cv::Vec3b& b) {
    return std::abs(a[0] - b[0]) <= tol && std::abs(a[1] - b[1]) <= tol && std::abs(a[2] - b[2]) <= tol;
  };
  BorderModes out;
  std::vector<bool> taken(px.size(), false);
  for (int round = 0; round < 2; ++round) {
    std::size_t best = 0, best_count = 0;
    for (std::size_t i = 0; i < px.size(); ++i) {
      if (taken[i]) continue;
      std::size_t c = 0;
      for (std::size_t j = 0; j < px.size(); ++j) c += !taken[j] && near(px[i], px[j]);
      if (c > best_count) best = i, best_count = c;
    }
    if (best_count == 0 || (round > 0 && best_count * 100 < px.size() * 30)) break;
    if (round == 0) out.dominant_share = double(best_count) / px.size();
    out.colours.push_back(px[best]);
    for (std::size_t j = 0; j < px.size(); ++j) taken[j] = taken[j] || near(px[best], px[j]);
  }
  return out;
}

}  // namespace

// Paints white the background connected to the border whose colour stays within `tol` of the
// border pixel it was reached from; returns false (and changes nothing) when the result looks wrong.
// On a plain backdrop (one colour covers at least 65 % of the border) the fill starts only from
// border pixels of the backdrop's colours (border_background_modes): a garment cut by the frame
// also touches the border, and a fill started on it would erase it. On a cluttered border (a
// room, a floor and a wall) it starts from every border pixel.
bool suppress_border_background(cv::Mat& bgr, int tol) {
  const int work = 64;
  cv::Mat small;
  cv::resize(bgr, small, cv::Size(work, work), 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(small, small, cv::Size(5, 5), 0);
  const BorderModes modes = border_background_modes(small, tol);
  const bool plain = modes.dominant_share >= 0.65;
  auto is_background = [&](cv::Point s) {
    if (!plain) return true;
    const cv::Vec3b& p = small.at<cv::Vec3b>(s);
    for (const auto& m : modes.colours)
      if (std::abs(p[0] - m[0]) <= tol && std::abs(p[1] - m[1]) <= tol && std::abs(p[2] - m[2]) <= tol) return true;
    return false;
  };
  cv::Mat fill = cv::Mat::zeros(work + 2, work + 2, CV_8UC1);
  const int flags = 4 | cv::FLOODFILL_MASK_ONLY | cv::FLOODFILL_FIXED_RANGE | (255 << 8);
  for (int i = 0; i < work; i += 3) {
    cv::Point seeds[4] = {{i, 0}, {i, work - 1}, {0, i}, {work - 1, i}};
    for (auto s : seeds) {
      if (fill.at<uchar>(s.y + 1, s.x + 1) || !is_background(s)) continue;
      cv::floodFill(small, fill, s, cv::Scalar(), nullptr, cv::Scalar::all(tol), cv::Scalar::all(tol), flags);
    }
  }
  cv::Mat bg = fill(cv::Rect(1, 1, work, work));
  double frac = cv::countNonZero(bg) / double(work * work);
  if (frac < 0.05 || frac > 0.85) return false;
  cv::Mat bg_full;
  cv::resize(bg, bg_full, bgr.size(), 0, 0, cv::INTER_NEAREST);
  cv::Mat out = bgr.clone();
  out.setTo(cv::Scalar(255, 255, 255), bg_full);
  bgr = out;
  return true;
}

// Max-RGB white balance: scales each channel so its 99th percentile becomes white, when that
// percentile is bright enough to be a white reference (a studio background, a white wall).
void white_balance(cv::Mat& bgr) {
  int hist[3][256] = {};
  const int step = std::max(1, static_cast<int>(bgr.total() / 4096));
  int counted = 0;
  for (int y = 0; y < bgr.rows; ++y) {
    const cv::Vec3b* p = bgr.ptr<cv::Vec3b>(y);
    for (int x = (y * 7) % step; x < bgr.cols; x += step, ++counted)
      for (int c = 0; c < 3; ++c) ++hist[c][p[x][c]];
  }
  float gain[3];
  bool change = false;
  for (int c = 0; c < 3; ++c) {
    int need = counted / 100, v = 255;
    for (int acc = 0; v > 0 && (acc += hist[c][v]) <= need; --v) {
    }
    gain[c] = v >= 160 && v < 252 ? 255.0f / v : 1.0f;
    change |= gain[c] != 1.0f;
  }
  if (!change) return;
  // Each channel's 256 outputs through cv::transform (its fixed-point rounding included), then a
  // table lookup per byte: the same bytes as transforming the image, at a fraction of the cost
  // (cv::LUT has no fast path for a 3-channel table).
  cv::Mat ramp(1, 256, CV_8UC3), table;
  for (int v = 0; v < 256; ++v) ramp.at<cv::Vec3b>(0, v) = cv::Vec3b::all(static_cast<uchar>(v));
  cv::transform(ramp, table, cv::Matx33f(gain[0], 0, 0, 0, gain[1], 0, 0, 0, gain[2]));
  const cv::Vec3b* lut = table.ptr<cv::Vec3b>(0);
  cv::Mat out(bgr.size(), CV_8UC3);
  for (int y = 0; y < bgr.rows; ++y) {
    const uchar* p = bgr.ptr<uchar>(y);
    uchar* q = out.ptr<uchar>(y);
    for (int x = 0; x < 3 * bgr.cols; x += 3) {
      q[x] = lut[p[x]][0];
      q[x + 1] = lut[p[x + 1]][1];
      q[x + 2] = lut[p[x + 2]][2];
    }
  }
  bgr = out;
}

cv::Mat prepare_crop(const cv::Mat& image, const cv::Mat& mask, int side, int bg_fill, bool balance) {
  cv::Mat alpha;
  cv::Mat bgr = to_bgr_over_white(image, mask.empty() ? &alpha : nullptr);
  if (mask.empty()) {
    if (balance) white_balance(bgr);
    if (bg_fill > 0 && light_border_fraction(bgr) < 0.9) {
      if (suppress_border_background(bgr, bg_fill)) bgr = bgr(content_box(bgr));
    }
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
