#include "sample/patterns.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <opencv2/imgproc.hpp>

namespace ensemble::sample {

namespace {

// A BGR image of one colour. Mat(size, type, Scalar) is slow for 3-channel scalars; one row
// filled by hand and copied is not.
cv::Mat filled(cv::Size size, const cv::Vec3b& c) {
  cv::Mat out(size, CV_8UC3);
  auto* first = out.ptr<cv::Vec3b>(0);
  for (int x = 0; x < size.width; ++x) first[x] = c;
  for (int y = 1; y < size.height; ++y) {
    std::copy(first, first + size.width, out.ptr<cv::Vec3b>(y));
  }
  return out;
}

// Coverage of a band of half-width hw at distance d, antialiased over one pixel.
inline float band(float d, float hw) { return std::clamp(hw - d + 0.5f, 0.0f, 1.0f); }

inline cv::Vec3b mix(const cv::Vec3b& a, const cv::Vec3b& b, float t) {
  return {static_cast<uchar>(a[0] + (b[0] - a[0]) * t + 0.5f),
          static_cast<uchar>(a[1] + (b[1] - a[1]) * t + 0.5f),
          static_cast<uchar>(a[2] + (b[2] - a[2]) * t + 0.5f)};
}

// Distance to the nearest stripe centre along coordinate t, for stripes every period px.
inline float stripe_distance(float t, float period) {
  float f = std::fmod(t, period);
  if (f < 0) f += period;
  return std::abs(f - period * 0.5f);
}

cv::Mat striped(const cv::Vec3b& c1, const cv::Vec3b& c2, cv::Size size, double unit, Rng& rng) {
  const double r = rng.uniform();
  const double angle = r < 0.6 ? 0.0 : r < 0.85 ? 90.0 : (rng.bernoulli(0.5) ? 45.0 : -45.0);
  const float period = static_cast<float>(rng.uniform(8.0, 20.0) * unit);
  const float hw = static_cast<float>(period * rng.uniform(0.15, 0.3));
  const float phase = static_cast<float>(rng.uniform(0.0, period));
  const float ca = static_cast<float>(std::cos(angle * std::numbers::pi / 180.0));
  const float sa = static_cast<float>(std::sin(angle * std::numbers::pi / 180.0));
  cv::Mat out(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y) {
    auto* row = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size.width; ++x) {
      const float t = static_cast<float>(x) * sa + static_cast<float>(y) * ca + phase;
      row[x] = mix(c1, c2, band(stripe_distance(t, period), hw));
    }
  }
  return out;
}

cv::Mat checked(const cv::Vec3b& c1, const cv::Vec3b& c2, cv::Size size, double unit, Rng& rng) {
  const float period = static_cast<float>(rng.uniform(10.0, 22.0) * unit);
  const float hw = period * 0.25f;
  const float px = static_cast<float>(rng.uniform(0.0, period));
  const float py = static_cast<float>(rng.uniform(0.0, period));
  // Tartan variant: a thin contrasting line through every other check.
  const bool tartan = rng.bernoulli(0.4);
  const cv::Vec3b line = mix(c2, cv::Vec3b(240, 240, 240), 0.6f);
  cv::Mat out(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y) {
    auto* row = out.ptr<cv::Vec3b>(y);
    const float ah = band(stripe_distance(static_cast<float>(y) + py, period), hw);
    for (int x = 0; x < size.width; ++x) {
      const float av = band(stripe_distance(static_cast<float>(x) + px, period), hw);
      cv::Vec3b c = mix(c1, c2, 0.5f * (ah + av));
      if (tartan) {
        const float lh = band(stripe_distance(static_cast<float>(y) + py + period * 0.5f, period * 2), 0.6f);
        const float lv = band(stripe_distance(static_cast<float>(x) + px + period * 0.5f, period * 2), 0.6f);
        c = mix(c, line, std::max(lh, lv));
      }
      row[x] = c;
    }
  }
  return out;
}

cv::Mat dotted(const cv::Vec3b& c1, const cv::Vec3b& c2, cv::Size size, double unit, Rng& rng) {
  const float period = static_cast<float>(rng.uniform(9.0, 18.0) * unit);
  const float radius = period * static_cast<float>(rng.uniform(0.15, 0.3));
  const float ox = static_cast<float>(rng.uniform(0.0, period));
  const float oy = static_cast<float>(rng.uniform(0.0, period));
  cv::Mat out(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y) {
    auto* row = out.ptr<cv::Vec3b>(y);
    const float fy = (static_cast<float>(y) + oy) / period;
    const float ry = std::round(fy);
    const bool odd = (static_cast<long>(ry) & 1) != 0;
    const float dy = (fy - ry) * period;
    for (int x = 0; x < size.width; ++x) {
      const float fx = (static_cast<float>(x) + ox) / period + (odd ? 0.5f : 0.0f);
      const float dx = (fx - std::round(fx)) * period;
      row[x] = mix(c1, c2, band(std::sqrt(dx * dx + dy * dy), radius));
    }
  }
  return out;
}

cv::Mat floral(const cv::Vec3b& c1, const cv::Vec3b& c2, cv::Size size, double unit, Rng& rng) {
  // Drawn at twice the size and shrunk: cheap antialiasing for the petals.
  const int k = 2;
  cv::Mat big = filled(size * k, c1);
  const cv::Vec3b petal2 = mix(c2, cv::Vec3b(250, 250, 250), 0.35f);
  const cv::Vec3b leaf(60, 120, 50);
  const cv::Vec3b heart = rng.bernoulli(0.5) ? cv::Vec3b(40, 200, 240) : cv::Vec3b(235, 240, 240);
  const double area = static_cast<double>(size.area()) / (unit * unit);
  const int flowers = std::max(3, static_cast<int>(area / rng.uniform(180.0, 320.0)));
  for (int f = 0; f < flowers; ++f) {
    const cv::Point2d c(rng.uniform(0, size.width * k), rng.uniform(0, size.height * k));
    const double r = rng.uniform(2.0, 4.0) * unit * k;
    const double rot = rng.uniform(0.0, 2 * std::numbers::pi);
    const cv::Vec3b pc = rng.bernoulli(0.7) ? c2 : petal2;
    const double la = rot + 0.6;
    cv::ellipse(big, cv::Point(c + cv::Point2d(std::cos(la), std::sin(la)) * r * 2.0),
                cv::Size(static_cast<int>(r * 1.2), static_cast<int>(r * 0.5)), la * 180 / std::numbers::pi,
                0, 360, cv::Scalar(leaf[0], leaf[1], leaf[2]), cv::FILLED);
    for (int i = 0; i < 5; ++i) {
      const double a = rot + i * 2 * std::numbers::pi / 5;
      cv::circle(big, cv::Point(c + cv::Point2d(std::cos(a), std::sin(a)) * r),
                 static_cast<int>(r * 0.8), cv::Scalar(pc[0], pc[1], pc[2]), cv::FILLED);
    }
    cv::circle(big, cv::Point(c), static_cast<int>(r * 0.5), cv::Scalar(heart[0], heart[1], heart[2]),
               cv::FILLED);
  }
  cv::Mat out;
  cv::resize(big, out, size, 0, 0, cv::INTER_AREA);
  return out;
}

cv::Mat camouflage(const cv::Vec3b& c1, const cv::Vec3b& c2, cv::Size size, double unit, Rng& rng) {
  const cv::Vec3b c3 = mix(c1, cv::Vec3b(20, 20, 20), 0.55f);
  const cv::Vec3b c4 = mix(c2, cv::Vec3b(230, 230, 220), 0.3f);
  const double cell = 11.0 * unit;
  const cv::Size grid(std::max(3, static_cast<int>(size.width / cell) + 2),
                      std::max(3, static_cast<int>(size.height / cell) + 2));
  cv::Mat n1(grid, CV_32F), n2(grid, CV_32F);
  for (int y = 0; y < grid.height; ++y) {
    for (int x = 0; x < grid.width; ++x) {
      n1.at<float>(y, x) = static_cast<float>(rng.uniform());
      n2.at<float>(y, x) = static_cast<float>(rng.uniform());
    }
  }
  cv::resize(n1, n1, size, 0, 0, cv::INTER_CUBIC);
  cv::resize(n2, n2, size, 0, 0, cv::INTER_CUBIC);
  cv::Mat out(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y) {
    auto* row = out.ptr<cv::Vec3b>(y);
    const float* a = n1.ptr<float>(y);
    const float* b = n2.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      cv::Vec3b c = a[x] < 0.45f ? c1 : c2;
      if (b[x] > 0.62f) c = c3;
      if (b[x] < 0.3f && a[x] > 0.55f) c = c4;
      row[x] = c;
    }
  }
  return out;
}

cv::Mat colour_block(const cv::Vec3b& c1, const cv::Vec3b& c2, cv::Size size, Rng& rng) {
  cv::Mat out = filled(size, c1);
  const double split = rng.uniform(0.35, 0.6) * size.height;
  const double slope = rng.bernoulli(0.3) ? rng.uniform(-0.4, 0.4) : 0.0;
  const bool three = rng.bernoulli(0.35);
  const cv::Vec3b mid = rng.bernoulli(0.5) ? cv::Vec3b(240, 240, 240) : cv::Vec3b(30, 30, 30);
  const double band_h = size.height * 0.1;
  for (int y = 0; y < size.height; ++y) {
    auto* row = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size.width; ++x) {
      const double edge = split + slope * (x - size.width * 0.5);
      const double d = y - edge;
      if (three && d > 0 && d < band_h) {
        row[x] = mid;
      } else {
        row[x] = mix(c1, c2, std::clamp(static_cast<float>(d) + 0.5f, 0.0f, 1.0f));
      }
    }
  }
  return out;
}

}  // namespace

cv::Mat pattern_layer(Pattern pattern, const cv::Vec3b& c1, const cv::Vec3b& c2, cv::Size size,
                      double px_per_unit, Rng& rng) {
  switch (pattern) {
    case Pattern::kSolid: return filled(size, c1);
    case Pattern::kStriped: return striped(c1, c2, size, px_per_unit, rng);
    case Pattern::kChecked: return checked(c1, c2, size, px_per_unit, rng);
    case Pattern::kDotted: return dotted(c1, c2, size, px_per_unit, rng);
    case Pattern::kFloral: return floral(c1, c2, size, px_per_unit, rng);
    case Pattern::kCamouflage: return camouflage(c1, c2, size, px_per_unit, rng);
    case Pattern::kColourBlock: return colour_block(c1, c2, size, rng);
  }
  return filled(size, c1);
}

}  // namespace ensemble::sample
