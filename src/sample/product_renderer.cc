#include "sample/product_renderer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ensemble/util/error.h"
#include "sample/accessories.h"
#include "sample/patterns.h"

namespace ensemble::sample {

namespace {

constexpr double kItemFill = 0.84;  // share of the frame the item's 28x28 box covers

// Round and clamp to a byte. cv::saturate_cast<uchar>(float) calls lrint, which keeps the pixel
// loops from vectorising; this is the hot path of a 44,000-product catalog.
inline uchar to_byte(float v) { return static_cast<uchar>(std::clamp(v, 0.0f, 255.0f) + 0.5f); }

float smoothstep(float e0, float e1, float x) {
  const float t = std::clamp((x - e0) / (e1 - e0), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}

// Sets mask to value wherever labels names a component marked in which.
void relabel(cv::Mat& mask, const cv::Mat& labels, const std::vector<uchar>& which, uchar value) {
  for (int y = 0; y < mask.rows; ++y) {
    const int* l = labels.ptr<int>(y);
    uchar* m = mask.ptr<uchar>(y);
    for (int x = 0; x < mask.cols; ++x) {
      if (which[static_cast<std::size_t>(l[x])]) m[x] = value;
    }
  }
}

}  // namespace

cv::Vec3b jittered_bgr(int colour, Rng& rng, double amount) {
  const Rgb c = colours()[static_cast<std::size_t>(colour)].rgb;
  const double bright = 1.0 + rng.normal(0.0, amount);
  auto ch = [&](std::uint8_t v) {
    return cv::saturate_cast<uchar>(v * bright + rng.normal(0.0, amount * 60.0));
  };
  const uchar r = ch(c.r), g = ch(c.g), b = ch(c.b);
  return {b, g, r};
}

cv::Mat garment_mask(const cv::Mat& grey, bool keep_openings) {
  cv::Mat mask = grey > 2;
  cv::Mat labels, stats, centroids;
  // Stray specks of scanner noise around the item are not garment: drop pieces smaller than 2% of
  // the largest (and than 7 px), keeping the separate straps of a sandal.
  int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8);
  int largest = 0;
  for (int i = 1; i < n; ++i) largest = std::max(largest, stats.at<int>(i, cv::CC_STAT_AREA));
  std::vector<uchar> drop(static_cast<std::size_t>(n), 0);
  for (int i = 1; i < n; ++i) {
    const int area = stats.at<int>(i, cv::CC_STAT_AREA);
    drop[static_cast<std::size_t>(i)] = area < 7 || area * 50 < largest;
  }
  relabel(mask, labels, drop, 0);
  // Background reachable from the border stays background; enclosed specks become garment.
  cv::Mat holes;
  cv::bitwise_not(mask, holes);
  cv::Mat padded;
  cv::copyMakeBorder(holes, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(255));
  cv::floodFill(padded, cv::Point(0, 0), cv::Scalar(0));
  holes = padded(cv::Rect(1, 1, grey.cols, grey.rows));
  n = cv::connectedComponentsWithStats(holes, labels, stats, centroids, 4);
  std::vector<uchar> fill(static_cast<std::size_t>(n), 0);
  for (int i = 1; i < n; ++i) {
    fill[static_cast<std::size_t>(i)] = !keep_openings || stats.at<int>(i, cv::CC_STAT_AREA) <= 4;
  }
  relabel(mask, labels, fill, 255);
  return mask;
}

namespace {

// Fashion-MNIST outlines are antialiased: a pixel on the edge is darker because it is only partly
// covered. Splits the image into coverage (for the alpha) and the brightness the garment would
// have there (for the shading), estimated from the nearby interior.
void coverage_and_shade(const cv::Mat& grey, const cv::Mat& mask, cv::Mat& coverage, cv::Mat& shade) {
  cv::Mat interior;
  cv::erode(mask, interior, cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3)));
  cv::Mat g, e;
  grey.convertTo(g, CV_32F);
  interior.convertTo(e, CV_32F, 1.0 / 255.0);
  cv::Mat ge = g.mul(e), num, den, local_max;
  cv::GaussianBlur(ge, num, cv::Size(0, 0), 1.0);
  cv::GaussianBlur(e, den, cv::Size(0, 0), 1.0);
  cv::dilate(g, local_max, cv::Mat());
  coverage.create(grey.size(), CV_32F);
  shade.create(grey.size(), CV_32F);
  for (int y = 0; y < grey.rows; ++y) {
    for (int x = 0; x < grey.cols; ++x) {
      const float v = g.at<float>(y, x);
      if (interior.at<uchar>(y, x)) {
        coverage.at<float>(y, x) = 1.0f;
        shade.at<float>(y, x) = v;
        continue;
      }
      const float d = den.at<float>(y, x);
      const float near = d > 0.05f ? num.at<float>(y, x) / d : local_max.at<float>(y, x);
      const float ref = std::max({near, v, 1.0f});
      coverage.at<float>(y, x) = mask.at<uchar>(y, x) ? std::clamp(v / ref, 0.0f, 1.0f) : 0.0f;
      shade.at<float>(y, x) = ref;
    }
  }
}

}  // namespace

ProductArt render_garment(const std::uint8_t* grey, int rows, int cols, const ProductSpec& p,
                          int size) {
  Rng rng(p.render_seed);
  const cv::Mat g(rows, cols, CV_8UC1, const_cast<std::uint8_t*>(grey));
  // Bags have handles and sandals have straps; in anything else an enclosed gap is a dark print.
  const cv::Mat mask = garment_mask(g, p.category == kBagCategory || p.category == 5);
  cv::Mat coverage, shade28;
  coverage_and_shade(g, mask, coverage, shade28);

  // Brightness reference: the 95th percentile of the garment's brightness.
  std::vector<float> inside;
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      if (mask.at<uchar>(y, x)) inside.push_back(shade28.at<float>(y, x));
    }
  }
  float p95 = 200.0f;
  if (!inside.empty()) {
    const auto k = static_cast<std::ptrdiff_t>(inside.size() * 95 / 100);
    std::nth_element(inside.begin(), inside.begin() + k, inside.end());
    p95 = std::max(40.0f, inside[static_cast<std::size_t>(k)]);
  }

  // Smooth upscaling: cubic, then a blur of about a third of a source pixel, so the result reads
  // as a soft photo rather than 28x28 blocks. The alpha is the upscaled coverage cut at one half.
  const int box = std::max(8, static_cast<int>(std::lround(size * kItemFill)));
  const double factor = static_cast<double>(box) / std::max(rows, cols);
  cv::Mat gb, mb;
  cv::resize(shade28, gb, cv::Size(box, box), 0, 0, cv::INTER_CUBIC);
  cv::GaussianBlur(gb, gb, cv::Size(0, 0), 0.35 * factor);
  cv::resize(coverage, mb, cv::Size(box, box), 0, 0, cv::INTER_CUBIC);
  cv::GaussianBlur(mb, mb, cv::Size(0, 0), 0.3 * factor);

  const double unit = box / 134.0;
  const cv::Vec3b c1 = jittered_bgr(p.colour, rng);
  const cv::Vec3b c2 = jittered_bgr(p.colour2, rng);
  const cv::Mat pattern = pattern_layer(p.pattern, c1, c2, cv::Size(box, box), unit, rng);

  // Fine fabric grain so flat colours do not look synthetic.
  cv::Mat grain(box, box, CV_32F);
  cv::RNG cvrng(p.render_seed ^ 0x9a1aULL);
  cvrng.fill(grain, cv::RNG::UNIFORM, -1.7, 1.7);
  cv::blur(grain, grain, cv::Size(2, 2));

  const int off_x = (size - box) / 2;
  const int off_y = (size - box) / 2 + rng.uniform_int(-1, 2);
  cv::Mat layer(size, size, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat alpha(size, size, CV_8UC1, cv::Scalar(0));
  for (int y = 0; y < box; ++y) {
    const int ty = y + off_y;
    if (ty < 0 || ty >= size) continue;
    const float* gr = gb.ptr<float>(y);
    const float* mr = mb.ptr<float>(y);
    const float* nr = grain.ptr<float>(y);
    const auto* pr = pattern.ptr<cv::Vec3b>(y);
    auto* lr = layer.ptr<cv::Vec3b>(ty);
    auto* ar = alpha.ptr<uchar>(ty);
    for (int x = 0; x < box; ++x) {
      const int tx = x + off_x;
      const float a = smoothstep(0.4f, 0.6f, mr[x]);
      if (a <= 0.0f) continue;
      const float s = std::clamp(0.3f + 0.8f * gr[x] / p95, 0.22f, 1.12f) * (1.0f + 0.035f * nr[x]);
      const float lift = 30.0f * (s - 0.6f);  // keeps folds visible on black garments
      cv::Vec3b out;
      for (int c = 0; c < 3; ++c) out[c] = to_byte(pr[x][c] * s + lift);
      lr[tx] = out;
      ar[tx] = to_byte(a * 255.0f);
    }
  }
  return {studio_photo(layer, alpha, rng), alpha};
}

cv::Mat studio_photo(const cv::Mat& layer, const cv::Mat& alpha, Rng& rng) {
  const int w = layer.cols, h = layer.rows;
  // Light paper, a little warm or cool, brighter towards the bottom.
  const double base = rng.uniform(236.0, 250.0);
  const double tint = rng.uniform(-4.0, 4.0);
  const cv::Vec3f top(static_cast<float>(base - tint - 6), static_cast<float>(base - 6),
                      static_cast<float>(base + tint - 6));
  // The shadow: the alpha shifted down-right and blurred, computed at a quarter of the size (it is
  // soft anyway) and scaled back up.
  const int dx = static_cast<int>(std::lround(w * 0.015)), dy = static_cast<int>(std::lround(h * 0.03));
  cv::Mat shifted(h, w, CV_8UC1, cv::Scalar(0));
  alpha(cv::Rect(0, 0, w - dx, h - dy)).copyTo(shifted(cv::Rect(dx, dy, w - dx, h - dy)));
  cv::Mat small_shadow, shadow;
  const cv::Size quarter(std::max(1, w / 4), std::max(1, h / 4));
  cv::resize(shifted, small_shadow, quarter, 0, 0, cv::INTER_AREA);
  small_shadow.convertTo(small_shadow, CV_32F, 1.0 / 255.0);
  cv::GaussianBlur(small_shadow, small_shadow, cv::Size(0, 0), std::max(0.5, w * 0.03 / 4));
  cv::resize(small_shadow, shadow, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  const float strength = static_cast<float>(rng.uniform(0.15, 0.28));

  cv::Mat photo(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    const float grad = 1.0f + 0.03f * static_cast<float>(y) / static_cast<float>(h);
    const auto* lr = layer.ptr<cv::Vec3b>(y);
    const auto* ar = alpha.ptr<uchar>(y);
    const float* sr = shadow.ptr<float>(y);
    auto* out = photo.ptr<cv::Vec3b>(y);
    for (int x = 0; x < w; ++x) {
      const float a = ar[x] / 255.0f;
      const float bg_scale = grad * (1.0f - strength * sr[x]);
      for (int c = 0; c < 3; ++c) {
        const float bg = std::min(255.0f, top[c] * bg_scale);
        out[x][c] = to_byte(bg * (1.0f - a) + lr[x][c] * a);
      }
    }
  }
  return photo;
}

ProductArt render_product(const ProductSpec& p, const FashionMnist& data, int size) {
  if (is_accessory(p.category)) return render_accessory(p, size);
  return render_garment(data.images.image(p.source_index), data.images.rows, data.images.cols, p,
                        size);
}

std::string encode_jpeg(const cv::Mat& bgr, int quality) {
  std::vector<uchar> buf;
  const std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, quality};
  if (!cv::imencode(".jpg", bgr, buf, params)) {
    throw Error(ErrorCode::kInternal, "OpenCV could not encode a JPEG");
  }
  return std::string(buf.begin(), buf.end());
}

}  // namespace ensemble::sample
