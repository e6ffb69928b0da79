#include "sample/accessories.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace ensemble::sample {

namespace {

constexpr int kSupersample = 3;

cv::Scalar sc(const cv::Vec3b& c) { return cv::Scalar(c[0], c[1], c[2]); }
cv::Vec3b shade(const cv::Vec3b& c, double f) {
  return {cv::saturate_cast<uchar>(c[0] * f), cv::saturate_cast<uchar>(c[1] * f),
          cv::saturate_cast<uchar>(c[2] * f)};
}
cv::Vec3b blend(const cv::Vec3b& a, const cv::Vec3b& b, double t) {
  return {cv::saturate_cast<uchar>(a[0] + (b[0] - a[0]) * t),
          cv::saturate_cast<uchar>(a[1] + (b[1] - a[1]) * t),
          cv::saturate_cast<uchar>(a[2] + (b[2] - a[2]) * t)};
}

const cv::Vec3b kSilver(200, 198, 194);
const cv::Vec3b kGold(60, 160, 210);
const cv::Vec3b kGunmetal(92, 88, 86);

// A supersampled drawing surface: colour drawn on black plus a coverage mask, shrunk at the end
// with INTER_AREA, which gives premultiplied colour and antialiased coverage in one step.
class Canvas {
 public:
  explicit Canvas(int size) : n_(size * kSupersample), colour_(n_, n_, CV_8UC3, cv::Scalar(0, 0, 0)),
                              cover_(n_, n_, CV_8UC1, cv::Scalar(0)) {}
  double h() const { return n_; }
  cv::Point p(double x, double y) const {  // x, y in [0,1] of the canvas
    return {static_cast<int>(std::lround(x * n_)), static_cast<int>(std::lround(y * n_))};
  }
  int len(double v) const { return std::max(1, static_cast<int>(std::lround(v * n_))); }

  void ellipse(double x, double y, double ax, double ay, double angle, double a0, double a1,
               const cv::Vec3b& c, double thickness = -1) {
    const int t = thickness < 0 ? cv::FILLED : len(thickness);
    cv::ellipse(colour_, p(x, y), cv::Size(len(ax), len(ay)), angle, a0, a1, sc(c), t);
    cv::ellipse(cover_, p(x, y), cv::Size(len(ax), len(ay)), angle, a0, a1, cv::Scalar(255), t);
  }
  void circle(double x, double y, double r, const cv::Vec3b& c, double thickness = -1) {
    ellipse(x, y, r, r, 0, 0, 360, c, thickness);
  }
  void rect(double x0, double y0, double x1, double y1, const cv::Vec3b& c, double thickness = -1) {
    const int t = thickness < 0 ? cv::FILLED : len(thickness);
    cv::rectangle(colour_, p(x0, y0), p(x1, y1), sc(c), t);
    cv::rectangle(cover_, p(x0, y0), p(x1, y1), cv::Scalar(255), t);
  }
  void line(double x0, double y0, double x1, double y1, const cv::Vec3b& c, double thickness) {
    cv::line(colour_, p(x0, y0), p(x1, y1), sc(c), len(thickness));
    cv::line(cover_, p(x0, y0), p(x1, y1), cv::Scalar(255), len(thickness));
  }
  void poly(const std::vector<cv::Point2d>& pts, const cv::Vec3b& c, double thickness = -1) {
    std::vector<cv::Point> q;
    for (const auto& pt : pts) q.push_back(p(pt.x, pt.y));
    if (thickness < 0) {
      cv::fillPoly(colour_, std::vector<std::vector<cv::Point>>{q}, sc(c));
      cv::fillPoly(cover_, std::vector<std::vector<cv::Point>>{q}, cv::Scalar(255));
    } else {
      cv::polylines(colour_, q, true, sc(c), len(thickness));
      cv::polylines(cover_, q, true, cv::Scalar(255), len(thickness));
    }
  }
  // Detail painted only where something is already drawn (stitching, ribs, highlights): it changes
  // colour, not coverage.
  void detail_line(double x0, double y0, double x1, double y1, const cv::Vec3b& c, double thickness) {
    cv::line(colour_, p(x0, y0), p(x1, y1), sc(c), len(thickness));
  }

  // Shrinks to the product size: layer (not premultiplied) and alpha.
  void finish(int size, cv::Mat& layer, cv::Mat& alpha) {
    colour_.setTo(cv::Scalar(0, 0, 0), cover_ == 0);  // details that strayed off the shapes
    cv::Mat small_colour, small_cover;
    cv::resize(colour_, small_colour, cv::Size(size, size), 0, 0, cv::INTER_AREA);
    cv::resize(cover_, small_cover, cv::Size(size, size), 0, 0, cv::INTER_AREA);
    layer.create(size, size, CV_8UC3);
    for (int y = 0; y < size; ++y) {
      const auto* c = small_colour.ptr<cv::Vec3b>(y);
      const auto* a = small_cover.ptr<uchar>(y);
      auto* out = layer.ptr<cv::Vec3b>(y);
      for (int x = 0; x < size; ++x) {
        const float k = a[x] > 0 ? 255.0f / a[x] : 0.0f;
        for (int ch = 0; ch < 3; ++ch) out[x][ch] = cv::saturate_cast<uchar>(c[x][ch] * k);
      }
    }
    alpha = small_cover;
  }

 private:
  int n_;
  cv::Mat colour_;
  cv::Mat cover_;
};

bool is_metallic_name(int colour) {
  const auto name = colours()[static_cast<std::size_t>(colour)].name;
  return name == "silver" || name == "grey" || name == "charcoal";
}

void draw_watch(Canvas& cv_, const ProductSpec& p, const cv::Vec3b& c1, const cv::Vec3b& c2,
                Rng& rng) {
  const bool bracelet = is_metallic_name(p.colour) || rng.bernoulli(0.15);
  const cv::Vec3b metal = rng.bernoulli(0.3) ? kGold : rng.bernoulli(0.3) ? kGunmetal : kSilver;
  const cv::Vec3b strap = bracelet ? metal : c1;
  const double cx = 0.5, cy = 0.5, sw = rng.uniform(0.17, 0.22);
  cv_.poly({{cx - sw * 0.42, 0.04}, {cx + sw * 0.42, 0.04}, {cx + sw / 2, 0.3}, {cx + sw / 2, 0.7},
            {cx + sw * 0.42, 0.96}, {cx - sw * 0.42, 0.96}, {cx - sw / 2, 0.7}, {cx - sw / 2, 0.3}},
           strap);
  if (bracelet) {
    for (double y = 0.07; y < 0.95; y += 0.035) {
      cv_.detail_line(cx - sw / 2, y, cx + sw / 2, y, shade(metal, 0.7), 0.006);
    }
  } else {
    const cv::Vec3b stitch = blend(c1, cv::Vec3b(235, 235, 235), 0.5);
    for (double y = 0.06; y < 0.94; y += 0.03) {
      cv_.detail_line(cx - sw * 0.36, y, cx - sw * 0.36, y + 0.015, stitch, 0.005);
      cv_.detail_line(cx + sw * 0.36, y, cx + sw * 0.36, y + 0.015, stitch, 0.005);
    }
    for (int i = 0; i < 4; ++i) cv_.circle(cx, 0.74 + i * 0.045, 0.011, shade(c1, 0.35));
  }
  const double r = rng.uniform(0.17, 0.21);
  const bool square = rng.bernoulli(0.3);
  cv_.rect(cx - r * 0.6, cy - r * 1.3, cx + r * 0.6, cy + r * 1.3, metal);  // lugs
  const cv::Vec3b dial = rng.bernoulli(0.4)   ? cv::Vec3b(238, 240, 242)
                         : rng.bernoulli(0.5) ? cv::Vec3b(25, 25, 28)
                                              : blend(c2, cv::Vec3b(30, 30, 30), 0.3);
  const cv::Vec3b ink = (dial[0] + dial[1] + dial[2]) > 380 ? cv::Vec3b(30, 30, 30)
                                                            : cv::Vec3b(225, 225, 225);
  if (square) {
    cv_.rect(cx - r, cy - r, cx + r, cy + r, metal);
    cv_.rect(cx - r * 0.86, cy - r * 0.86, cx + r * 0.86, cy + r * 0.86, dial);
  } else {
    cv_.circle(cx, cy, r, metal);
    cv_.circle(cx, cy, r * 0.93, shade(metal, 0.75), 0.006);
    cv_.circle(cx, cy, r * 0.85, dial);
  }
  cv_.rect(cx + r * 0.95, cy - 0.018, cx + r + 0.03, cy + 0.018, metal);  // crown
  for (int i = 0; i < 12; ++i) {
    const double a = i * std::numbers::pi / 6;
    const double r0 = r * (i % 3 == 0 ? 0.6 : 0.68), r1 = r * 0.78;
    cv_.line(cx + r0 * std::cos(a), cy + r0 * std::sin(a), cx + r1 * std::cos(a),
             cy + r1 * std::sin(a), ink, i % 3 == 0 ? 0.012 : 0.006);
  }
  const double ha = rng.uniform(0, 2 * std::numbers::pi), ma = rng.uniform(0, 2 * std::numbers::pi);
  cv_.line(cx, cy, cx + r * 0.42 * std::cos(ha), cy + r * 0.42 * std::sin(ha), ink, 0.016);
  cv_.line(cx, cy, cx + r * 0.66 * std::cos(ma), cy + r * 0.66 * std::sin(ma), ink, 0.01);
  cv_.circle(cx, cy, 0.014, metal);
}

void draw_belt(Canvas& c, const cv::Vec3b& c1, Rng& rng) {
  const cv::Vec3b metal = rng.bernoulli(0.4) ? kGold : kSilver;
  const double cy = 0.5, bh = rng.uniform(0.09, 0.12);
  c.poly({{0.12, cy - bh / 2}, {0.92, cy - bh / 2}, {0.97, cy}, {0.92, cy + bh / 2}, {0.12, cy + bh / 2}},
         c1);
  const cv::Vec3b stitch = blend(c1, cv::Vec3b(230, 230, 230), 0.45);
  for (double x = 0.27; x < 0.9; x += 0.03) {
    c.detail_line(x, cy - bh / 2 + 0.016, x + 0.015, cy - bh / 2 + 0.016, stitch, 0.004);
    c.detail_line(x, cy + bh / 2 - 0.016, x + 0.015, cy + bh / 2 - 0.016, stitch, 0.004);
  }
  for (int i = 0; i < 5; ++i) c.circle(0.66 + i * 0.045, cy, 0.011, shade(c1, 0.3));
  c.rect(0.22, cy - bh * 0.62, 0.26, cy + bh * 0.62, shade(c1, 0.8));  // keeper
  const double fh = bh * 0.8;
  c.rect(0.04, cy - fh, 0.19, cy + fh, metal, 0.022);  // buckle frame
  c.line(0.05, cy, 0.17, cy, shade(metal, 0.85), 0.014);  // prong
}

// A lens outline around (cx, cy), drawn for the left lens (outer side at negative x) and mirrored
// for the right one.
std::vector<cv::Point2d> lens_outline(int type, double cx, double cy, bool mirror) {
  std::vector<cv::Point2d> pts;
  const double s = mirror ? -1.0 : 1.0;
  for (int i = 0; i < 48; ++i) {
    const double t = i * 2 * std::numbers::pi / 48;
    double x = std::cos(t), y = std::sin(t);
    double a = 0.16, b = 0.12;
    switch (type) {
      case 0:  // round
        a = b = 0.14;
        break;
      case 1: {  // wayfarer: a superellipse, narrower at the bottom
        x = std::copysign(std::pow(std::abs(std::cos(t)), 0.5), std::cos(t));
        y = std::copysign(std::pow(std::abs(std::sin(t)), 0.5), std::sin(t));
        x *= 1.0 - 0.12 * (y + 1) / 2;
        b = 0.11;
        break;
      }
      case 2:  // aviator: a teardrop, deeper at the bottom and towards the nose
        if (y > 0) {
          y *= 1.3;
          x += 0.12 * y;
        } else {
          y *= 0.85;
        }
        break;
      default:  // cat-eye: outer top corner pulled up
        b = 0.1;
        if (y < 0 && x < 0) y *= 1.0 + 0.7 * std::abs(x);
        break;
    }
    pts.push_back({cx + s * a * x, cy + b * y});
  }
  return pts;
}

void draw_sunglasses(Canvas& c, const cv::Vec3b& c1, const cv::Vec3b& c2, Rng& rng) {
  const int type = static_cast<int>(rng.index(4));
  const cv::Vec3b frame = type == 2 ? (rng.bernoulli(0.5) ? kGold : kSilver) : c1;
  const cv::Vec3b lens = blend(cv::Vec3b(25, 25, 25), c2, 0.25);
  const double t = type == 2 ? 0.012 : 0.028;
  const double cy = 0.5, dx = 0.2;
  for (int side = 0; side < 2; ++side) {
    const double lx = 0.5 + (side == 0 ? -dx : dx);
    const auto outline = lens_outline(type, lx, cy, side == 1);
    c.poly(outline, frame, t * 2);
    c.poly(outline, lens);
    const double ox = side == 0 ? lx - 0.16 : lx + 0.16;
    c.line(ox, cy - 0.06, ox + (side == 0 ? -0.09 : 0.09), cy - 0.08, frame, t);
  }
  c.ellipse(0.5, cy - 0.04, 0.05, 0.035, 0, 180, 360, frame, t);
  const cv::Vec3b glint = blend(lens, cv::Vec3b(240, 240, 240), 0.3);
  for (double lx : {0.5 - dx, 0.5 + dx}) c.detail_line(lx - 0.08, cy + 0.02, lx - 0.02, cy - 0.07, glint, 0.012);
}

void draw_hat(Canvas& c, const cv::Vec3b& c1, const cv::Vec3b& c2, Rng& rng) {
  const int type = static_cast<int>(rng.index(4));
  const cv::Vec3b dark = shade(c1, 0.72);
  switch (type) {
    case 0: {  // fedora
      c.ellipse(0.5, 0.68, 0.45, 0.1, 0, 0, 360, shade(c1, 0.9));
      c.poly({{0.27, 0.68}, {0.31, 0.34}, {0.69, 0.34}, {0.73, 0.68}}, c1);
      c.ellipse(0.5, 0.35, 0.19, 0.06, 0, 180, 360, c1);
      c.detail_line(0.42, 0.37, 0.58, 0.37, dark, 0.012);
      c.poly({{0.285, 0.57}, {0.715, 0.57}, {0.728, 0.665}, {0.272, 0.665}}, c2);
      c.ellipse(0.5, 0.68, 0.45, 0.1, 0, 0, 180, shade(c1, 0.95));
      c.ellipse(0.5, 0.68, 0.45, 0.1, 0, 0, 180, dark, 0.01);
      break;
    }
    case 1: {  // cap
      c.ellipse(0.46, 0.64, 0.3, 0.3, 0, 180, 360, c1);
      c.ellipse(0.74, 0.655, 0.25, 0.06, 4, 0, 360, rng.bernoulli(0.5) ? c2 : dark);
      c.detail_line(0.46, 0.35, 0.46, 0.64, dark, 0.008);
      c.ellipse(0.46, 0.64, 0.14, 0.3, 0, 180, 270, dark, 0.008);
      c.ellipse(0.46, 0.64, 0.14, 0.3, 0, 270, 360, dark, 0.008);
      c.circle(0.46, 0.345, 0.022, c2);
      c.rect(0.16, 0.62, 0.76, 0.65, dark);
      break;
    }
    case 2: {  // beanie
      c.ellipse(0.5, 0.6, 0.29, 0.33, 0, 180, 360, c1);
      c.rect(0.2, 0.56, 0.8, 0.74, shade(c1, 0.92));
      for (double x = 0.215; x < 0.79; x += 0.026) c.detail_line(x, 0.565, x, 0.735, dark, 0.007);
      for (int i = 0; i < 7; ++i) {
        const double a = i * 2 * std::numbers::pi / 7;
        c.circle(0.5 + 0.045 * std::cos(a), 0.24 + 0.04 * std::sin(a), 0.05, c2);
      }
      c.circle(0.5, 0.24, 0.055, blend(c2, cv::Vec3b(240, 240, 240), 0.15));
      break;
    }
    default: {  // sun hat
      c.ellipse(0.5, 0.64, 0.47, 0.13, 0, 0, 360, shade(c1, 0.9));
      c.ellipse(0.5, 0.6, 0.22, 0.24, 0, 180, 360, c1);
      c.poly({{0.28, 0.53}, {0.72, 0.53}, {0.72, 0.6}, {0.28, 0.6}}, c2);
      c.ellipse(0.5, 0.64, 0.47, 0.13, 0, 0, 180, c1);
      for (double x = 0.1; x < 0.92; x += 0.05) c.detail_line(x, 0.64, x + 0.02, 0.7, dark, 0.004);
      break;
    }
  }
}

// Light from above: brighter top, darker bottom, a little darker at the sides.
void light_from_above(cv::Mat& layer, const cv::Mat& alpha) {
  const int n = layer.rows;
  for (int y = 0; y < n; ++y) {
    auto* row = layer.ptr<cv::Vec3b>(y);
    const auto* a = alpha.ptr<uchar>(y);
    for (int x = 0; x < n; ++x) {
      if (a[x] == 0) continue;
      const double f = 1.1 - 0.25 * y / n - 0.1 * std::abs(x - n / 2.0) / n;
      for (int ch = 0; ch < 3; ++ch) row[x][ch] = cv::saturate_cast<uchar>(row[x][ch] * f + 4);
    }
  }
}

}  // namespace

ProductArt render_accessory(const ProductSpec& p, int size) {
  assert(is_accessory(p.category));
  Rng rng(p.render_seed);
  const cv::Vec3b c1 = jittered_bgr(p.colour, rng);
  const cv::Vec3b c2 = jittered_bgr(p.colour2, rng);
  Canvas canvas(size);
  switch (p.category) {
    case kWatch: draw_watch(canvas, p, c1, c2, rng); break;
    case kBelt: draw_belt(canvas, c1, rng); break;
    case kSunglasses: draw_sunglasses(canvas, c1, c2, rng); break;
    default: draw_hat(canvas, c1, c2, rng); break;
  }
  cv::Mat layer, alpha;
  canvas.finish(size, layer, alpha);
  light_from_above(layer, alpha);
  return {studio_photo(layer, alpha, rng), alpha};
}

}  // namespace ensemble::sample
