#include "sample/backgrounds.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace ensemble::sample {

namespace {

cv::Vec3f random_muted(Rng& rng, double lo, double hi) {
  // A random hue pulled towards grey: walls and paper are rarely saturated.
  const double grey = rng.uniform(lo, hi);
  const double sat = rng.uniform(0.0, 0.25);
  cv::Vec3f c;
  for (int i = 0; i < 3; ++i) c[i] = static_cast<float>(grey * (1.0 - sat + 2.0 * sat * rng.uniform()));
  return c;
}

cv::Scalar to_scalar(const cv::Vec3f& c) { return cv::Scalar(c[0], c[1], c[2]); }

// Smooth noise in [0,1]: random values on a coarse grid, upscaled with cubic interpolation.
cv::Mat smooth_noise(cv::Size size, int cells_x, Rng& rng) {
  const int cx = std::max(2, cells_x);
  const int cy = std::max(2, cells_x * size.height / std::max(1, size.width));
  cv::Mat grid(cy, cx, CV_32F);
  for (int y = 0; y < cy; ++y) {
    for (int x = 0; x < cx; ++x) grid.at<float>(y, x) = static_cast<float>(rng.uniform());
  }
  cv::Mat out;
  cv::resize(grid, out, size, 0, 0, cv::INTER_CUBIC);
  return out;
}

cv::Mat studio(cv::Size size, Rng& rng) {
  const cv::Vec3f base = random_muted(rng, 190, 245);
  const double horizon = rng.uniform(0.7, 0.85) * size.height;
  const double vignette = rng.uniform(0.1, 0.3);
  cv::Mat img(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    // The paper sweep: slightly brighter where it curves into the floor.
    const double floor = y > horizon ? 1.0 + 0.06 * std::min(1.0, (y - horizon) / (0.1 * size.height)) : 1.0;
    for (int x = 0; x < size.width; ++x) {
      const double dx = (x - size.width / 2.0) / size.width, dy = (y - size.height / 2.0) / size.height;
      const double f = floor * (1.0 - vignette * (dx * dx + dy * dy) * 2.0);
      for (int c = 0; c < 3; ++c) row[x][c] = cv::saturate_cast<uchar>(base[c] * f);
    }
  }
  return img;
}

cv::Mat gradient(cv::Size size, Rng& rng) {
  const cv::Vec3f a = random_muted(rng, 120, 240), b = random_muted(rng, 120, 240);
  const double angle = rng.uniform(0, 2 * std::numbers::pi);
  const double ca = std::cos(angle), sa = std::sin(angle);
  const double half = 0.5 * (std::abs(ca) * size.width + std::abs(sa) * size.height);
  cv::Mat img(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size.width; ++x) {
      const double t = 0.5 + ((x - size.width / 2.0) * ca + (y - size.height / 2.0) * sa) / (2 * half);
      for (int c = 0; c < 3; ++c) row[x][c] = cv::saturate_cast<uchar>(a[c] + (b[c] - a[c]) * t);
    }
  }
  return img;
}

cv::Mat texture(cv::Size size, Rng& rng) {
  const cv::Vec3f a = random_muted(rng, 110, 200), b = random_muted(rng, 170, 240);
  const cv::Mat low = smooth_noise(size, rng.uniform_int(3, 7), rng);
  const cv::Mat mid = smooth_noise(size, rng.uniform_int(25, 60), rng);
  cv::Mat grain(size, CV_32F);
  cv::RNG cvrng(rng.next());
  cvrng.fill(grain, cv::RNG::NORMAL, 0.0, 1.0);
  const double wl = rng.uniform(0.4, 0.7);
  cv::Mat img(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    const float* l = low.ptr<float>(y);
    const float* m = mid.ptr<float>(y);
    const float* g = grain.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      const double t = std::clamp(wl * l[x] + (1 - wl) * m[x] + 0.04 * g[x], 0.0, 1.0);
      for (int c = 0; c < 3; ++c) row[x][c] = cv::saturate_cast<uchar>(a[c] + (b[c] - a[c]) * t);
    }
  }
  return img;
}

cv::Mat brick(cv::Size size, Rng& rng) {
  const bool whitewashed = rng.bernoulli(0.35);
  const cv::Vec3f base = whitewashed ? random_muted(rng, 200, 235)
                                     : cv::Vec3f(static_cast<float>(rng.uniform(50, 80)),
                                                 static_cast<float>(rng.uniform(70, 100)),
                                                 static_cast<float>(rng.uniform(130, 170)));
  const cv::Vec3f mortar = random_muted(rng, 170, 215);
  const double scale = rng.uniform(0.8, 1.3);
  const int bh = static_cast<int>(26 * scale), bw = static_cast<int>(64 * scale), m = 3;
  cv::Mat img(size, CV_8UC3, to_scalar(mortar));
  for (int r = 0, y = 0; y < size.height; ++r, y += bh) {
    const int offset = (r % 2) ? bw / 2 : 0;
    for (int x = -offset; x < size.width; x += bw) {
      const double v = rng.uniform(0.85, 1.12);
      cv::rectangle(img, cv::Rect(x + m, y + m, bw - m, bh - m),
                    cv::Scalar(base[0] * v, base[1] * v, base[2] * v), cv::FILLED);
    }
  }
  const cv::Mat stain = smooth_noise(size, 6, rng);
  cv::Mat f;
  img.convertTo(f, CV_32FC3);
  for (int y = 0; y < size.height; ++y) {
    auto* row = f.ptr<cv::Vec3f>(y);
    const float* s = stain.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) row[x] *= 0.85f + 0.25f * s[x];
  }
  f.convertTo(img, CV_8UC3);
  cv::GaussianBlur(img, img, cv::Size(0, 0), rng.uniform(0.8, 2.0));
  return img;
}

void picture_frame(cv::Mat& img, Rng& rng, int horizon) {
  const int w = rng.uniform_int(img.cols / 8, img.cols / 4);
  const int h = static_cast<int>(w * rng.uniform(0.7, 1.4));
  const int x = rng.uniform_int(0, std::max(0, img.cols - w));
  const int y = rng.uniform_int(img.rows / 12, std::max(img.rows / 12, horizon - h - img.rows / 10));
  const cv::Vec3f frame = rng.bernoulli(0.5) ? cv::Vec3f(30, 30, 30) : cv::Vec3f(60, 140, 180);
  const cv::Vec3f art = random_muted(rng, 80, 230);
  cv::rectangle(img, cv::Rect(x, y, w, h), to_scalar(frame), cv::FILLED);
  const int t = std::max(3, w / 14);
  cv::rectangle(img, cv::Rect(x + t, y + t, w - 2 * t, h - 2 * t), to_scalar(art), cv::FILLED);
  for (int i = 0; i < 3; ++i) {
    const cv::Vec3f blob = random_muted(rng, 40, 230);
    cv::circle(img, cv::Point(x + rng.uniform_int(t, w - t), y + rng.uniform_int(t, h - t)),
               rng.uniform_int(w / 10, w / 4), to_scalar(blob), cv::FILLED, cv::LINE_AA);
  }
  cv::rectangle(img, cv::Rect(x, y, w, h), to_scalar(frame), t, cv::LINE_AA);
}

void window(cv::Mat& img, Rng& rng, int horizon) {
  const int w = rng.uniform_int(img.cols / 5, img.cols / 3);
  const int h = static_cast<int>(w * rng.uniform(1.2, 1.8));
  const int x = rng.uniform_int(0, std::max(0, img.cols - w));
  const int y = std::max(4, horizon - h - rng.uniform_int(img.rows / 10, img.rows / 5));
  cv::rectangle(img, cv::Rect(x, y, w, h), cv::Scalar(235, 235, 230), cv::FILLED);
  const cv::Rect glass(x + 6, y + 6, w - 12, h - 12);
  for (int yy = glass.y; yy < glass.y + glass.height && yy < img.rows; ++yy) {
    const double t = static_cast<double>(yy - glass.y) / glass.height;
    cv::line(img, cv::Point(glass.x, yy), cv::Point(glass.x + glass.width - 1, yy),
             cv::Scalar(250 - 40 * t, 235 - 25 * t, 215 - 10 * t));
  }
  cv::line(img, cv::Point(x + w / 2, y), cv::Point(x + w / 2, y + h), cv::Scalar(235, 235, 230), 6);
  cv::line(img, cv::Point(x, y + h / 2), cv::Point(x + w, y + h / 2), cv::Scalar(235, 235, 230), 6);
}

void shelf(cv::Mat& img, Rng& rng, int horizon) {
  const int w = rng.uniform_int(img.cols / 4, img.cols / 2);
  const int x = rng.uniform_int(0, std::max(0, img.cols - w));
  const int y = rng.uniform_int(img.rows / 6, std::max(img.rows / 6 + 1, horizon - img.rows / 4));
  cv::rectangle(img, cv::Rect(x, y, w, 8), cv::Scalar(60, 90, 120), cv::FILLED);
  for (int bx = x + 4; bx < x + w - 12;) {
    const int bw = rng.uniform_int(8, 18), bh = rng.uniform_int(28, 52);
    const cv::Vec3f c = random_muted(rng, 50, 200);
    cv::rectangle(img, cv::Rect(bx, y - bh, bw, bh), to_scalar(c), cv::FILLED);
    bx += bw + rng.uniform_int(0, 6);
    if (rng.bernoulli(0.15)) bx += rng.uniform_int(20, 50);
  }
}

void plant(cv::Mat& img, Rng& rng, int horizon) {
  const int x = rng.bernoulli(0.5) ? rng.uniform_int(20, img.cols / 5) : rng.uniform_int(img.cols * 4 / 5, img.cols - 20);
  const int pot_w = rng.uniform_int(40, 70), pot_h = static_cast<int>(pot_w * 0.9);
  const int base = horizon + rng.uniform_int(10, 40);
  const cv::Vec3f pot = random_muted(rng, 90, 220);
  const std::vector<cv::Point> pts = {{x - pot_w / 2, base - pot_h}, {x + pot_w / 2, base - pot_h},
                                      {x + pot_w / 3, base}, {x - pot_w / 3, base}};
  for (int i = 0; i < 14; ++i) {
    const double a = rng.uniform(-2.6, -0.5);
    const double len = rng.uniform(0.8, 2.2) * pot_w;
    const cv::Point tip(x + static_cast<int>(std::cos(a) * len), base - pot_h + static_cast<int>(std::sin(a) * len));
    const cv::Point mid((x + tip.x) / 2, (base - pot_h + tip.y) / 2);
    const double ang = std::atan2(tip.y - (base - pot_h), tip.x - x) * 180 / std::numbers::pi;
    const double g = rng.uniform(0.6, 1.1);
    cv::ellipse(img, mid, cv::Size(static_cast<int>(len / 2), static_cast<int>(pot_w * 0.14)), ang, 0, 360,
                cv::Scalar(40 * g, 110 * g, 50 * g), cv::FILLED, cv::LINE_AA);
  }
  cv::fillConvexPoly(img, pts, to_scalar(pot), cv::LINE_AA);
}

void lamp(cv::Mat& img, Rng& rng, int horizon) {
  const int x = rng.uniform_int(img.cols / 10, img.cols * 9 / 10);
  const int top = rng.uniform_int(img.rows / 5, img.rows / 3);
  cv::line(img, cv::Point(x, top), cv::Point(x, horizon + 20), cv::Scalar(40, 40, 40), 4, cv::LINE_AA);
  const std::vector<cv::Point> shade = {{x - 22, top}, {x + 22, top}, {x + 38, top + 45}, {x - 38, top + 45}};
  cv::fillConvexPoly(img, shade, cv::Scalar(200, 225, 240), cv::LINE_AA);
  cv::ellipse(img, cv::Point(x, horizon + 20), cv::Size(30, 6), 0, 0, 360, cv::Scalar(40, 40, 40), cv::FILLED);
}

cv::Mat room(cv::Size size, Rng& rng) {
  const int horizon = static_cast<int>(rng.uniform(0.66, 0.8) * size.height);
  const cv::Vec3f wall = random_muted(rng, 150, 235);
  cv::Mat img(size, CV_8UC3, to_scalar(wall));
  const cv::Mat light = smooth_noise(size, 3, rng);
  const bool wood = rng.bernoulli(0.6);
  const cv::Vec3f floor = wood ? cv::Vec3f(static_cast<float>(rng.uniform(40, 90)),
                                           static_cast<float>(rng.uniform(80, 130)),
                                           static_cast<float>(rng.uniform(120, 180)))
                               : random_muted(rng, 90, 190);
  cv::rectangle(img, cv::Rect(0, horizon, size.width, size.height - horizon), to_scalar(floor), cv::FILLED);
  if (wood) {
    for (int y = horizon, k = 0; y < size.height; y += 8 + k * 2, ++k) {
      const double v = rng.uniform(0.85, 1.1);
      cv::rectangle(img, cv::Rect(0, y, size.width, 8 + k * 2),
                    cv::Scalar(floor[0] * v, floor[1] * v, floor[2] * v), cv::FILLED);
      cv::line(img, cv::Point(0, y), cv::Point(size.width, y), cv::Scalar(floor[0] * 0.6, floor[1] * 0.6, floor[2] * 0.6));
    }
  }
  cv::rectangle(img, cv::Rect(0, horizon - 10, size.width, 10), cv::Scalar(wall[0] * 1.05, wall[1] * 1.05, wall[2] * 1.05), cv::FILLED);
  const int clutter = rng.uniform_int(2, 4);
  for (int i = 0; i < clutter; ++i) {
    switch (rng.index(5)) {
      case 0: picture_frame(img, rng, horizon); break;
      case 1: window(img, rng, horizon); break;
      case 2: shelf(img, rng, horizon); break;
      case 3: plant(img, rng, horizon); break;
      default: lamp(img, rng, horizon); break;
    }
  }
  // Window light falling unevenly across the room, and depth of field.
  cv::Mat f;
  img.convertTo(f, CV_32FC3);
  for (int y = 0; y < size.height; ++y) {
    auto* row = f.ptr<cv::Vec3f>(y);
    const float* l = light.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) row[x] *= 0.82f + 0.3f * l[x];
  }
  f.convertTo(img, CV_8UC3);
  cv::GaussianBlur(img, img, cv::Size(0, 0), rng.uniform(1.5, 3.5));
  return img;
}

}  // namespace

Background render_background(cv::Size size, Rng& rng) {
  const double r = rng.uniform();
  if (r < 0.25) return {"studio", studio(size, rng)};
  if (r < 0.4) return {"gradient", gradient(size, rng)};
  if (r < 0.6) return {"texture", texture(size, rng)};
  if (r < 0.7) return {"brick", brick(size, rng)};
  return {"room", room(size, rng)};
}

}  // namespace ensemble::sample
