#include "embed/classic_descriptor.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace ensemble::embed::detail {
namespace {

constexpr float kPi = 3.14159265358979f;
constexpr int kLbpCodes = 59;
// a*, b* of clothing colours sit well inside ±80 around neutral (128 in 8-bit Lab).
constexpr float kAbLow = 48.0f, kAbHigh = 208.0f;

struct SoftBin {
  int i0, i1;
  float w0, w1;
};

// Linear interpolation between the two nearest bin centres; clamped at the ends.
inline SoftBin soft_bin(float pos, int bins) {
  float p = pos - 0.5f;
  int i0 = static_cast<int>(std::floor(p));
  float f = p - static_cast<float>(i0);
  if (i0 < 0) return {0, 0, 1.0f, 0.0f};
  if (i0 >= bins - 1) return {bins - 1, bins - 1, 1.0f, 0.0f};
  return {i0, i0 + 1, 1.0f - f, f};
}

const std::array<std::uint8_t, 256>& uniform_lbp_table() {
  static const std::array<std::uint8_t, 256> table = [] {
    std::array<std::uint8_t, 256> t{};
    int next = 0;
    for (int code = 0; code < 256; ++code) {
      int transitions = 0;
      for (int b = 0; b < 8; ++b) transitions += ((code >> b) & 1) != ((code >> ((b + 1) % 8)) & 1);
      t[code] = transitions <= 2 ? static_cast<std::uint8_t>(next++) : static_cast<std::uint8_t>(kLbpCodes - 1);
    }
    return t;
  }();
  return table;
}

// Signed power, then L2, then the block weight.
void normalise_block(float* v, int n, float power, float weight) {
  double ss = 0;
  for (int i = 0; i < n; ++i) {
    float x = v[i];
    if (power != 1.0f) x = std::copysign(std::pow(std::fabs(x), power), x);
    v[i] = x;
    ss += static_cast<double>(x) * x;
  }
  float scale = ss > 0 ? static_cast<float>(weight / std::sqrt(ss)) : 0.0f;
  for (int i = 0; i < n; ++i) v[i] *= scale;
}

int cells_with_whole(int grid) { return 1 + grid * grid; }

void colour_block(const cv::Mat& bgr, const DescriptorParams& p, float* out) {
  cv::Mat lab;
  cv::cvtColor(bgr, lab, cv::COLOR_BGR2Lab);
  const int nl = p.l_bins, na = p.a_bins, nb = p.b_bins, per_cell = nl * na * nb;
  const int g = p.colour_grid, cells = cells_with_whole(g);
  std::memset(out, 0, sizeof(float) * per_cell * cells);
  const float ab_scale = static_cast<float>(na) / (kAbHigh - kAbLow);
  const float bb_scale = static_cast<float>(nb) / (kAbHigh - kAbLow);
  for (int y = 0; y < lab.rows; ++y) {
    const cv::Vec3b* row = lab.ptr<cv::Vec3b>(y);
    int gy = y * g / lab.rows;
    for (int x = 0; x < lab.cols; ++x) {
      SoftBin bl = soft_bin(row[x][0] * nl / 256.0f, nl);
      SoftBin ba = soft_bin((row[x][1] - kAbLow) * ab_scale, na);
      SoftBin bbb = soft_bin((row[x][2] - kAbLow) * bb_scale, nb);
      int cell = g > 0 ? 1 + gy * g + x * g / lab.cols : 0;
      float* local = out + cell * per_cell;
      const int li[2] = {bl.i0, bl.i1}, ai[2] = {ba.i0, ba.i1}, bi[2] = {bbb.i0, bbb.i1};
      const float lw[2] = {bl.w0, bl.w1}, aw[2] = {ba.w0, ba.w1}, bw[2] = {bbb.w0, bbb.w1};
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
          for (int k = 0; k < 2; ++k) {
            float w = lw[i] * aw[j] * bw[k];
            if (w == 0.0f) continue;
            local[(li[i] * na + ai[j]) * nb + bi[k]] += w;
          }
    }
  }
  // The whole crop is the sum of its cells (they tile it), or its only cell without a grid.
  if (g > 0) {
    for (int c = 1; c < cells; ++c)
      for (int i = 0; i < per_cell; ++i) out[i] += out[c * per_cell + i];
  }
  // Each cell as a distribution, so the whole crop and a quarter weigh alike before the block norm.
  for (int c = 0; c < cells; ++c) {
    float* h = out + c * per_cell;
    double s = 0;
    for (int i = 0; i < per_cell; ++i) s += h[i];
    if (s > 0)
      for (int i = 0; i < per_cell; ++i) h[i] = static_cast<float>(h[i] / s);
  }
  normalise_block(out, per_cell * cells, p.power, p.w_colour);
}

void hog_block(const cv::Mat& grey, const DescriptorParams& p, float* out, int dim) {
  const int n = grey.rows, cell = p.hog_cell, nc = n / cell, bins = p.hog_bins;
  std::vector<float> hist(static_cast<std::size_t>(nc) * nc * bins, 0.0f);
  // Centred differences with replicated borders, then magnitude/angle in one vectorised pass.
  cv::Mat gx(n, n, CV_32F), gy(n, n, CV_32F), mag_m, ang_m;
  for (int y = 0; y < n; ++y) {
    const uchar* row = grey.ptr<uchar>(y);
    const uchar* up = grey.ptr<uchar>(std::max(y - 1, 0));
    const uchar* down = grey.ptr<uchar>(std::min(y + 1, n - 1));
    float* dx = gx.ptr<float>(y);
    float* dy = gy.ptr<float>(y);
    for (int x = 0; x < n; ++x) {
      dx[x] = static_cast<float>(row[std::min(x + 1, n - 1)]) - row[std::max(x - 1, 0)];
      dy[x] = static_cast<float>(down[x]) - up[x];
    }
  }
  cv::cartToPolar(gx, gy, mag_m, ang_m, false);
  for (int y = 0; y < n; ++y) {
    const float* mrow = mag_m.ptr<float>(y);
    const float* arow = ang_m.ptr<float>(y);
    for (int x = 0; x < n; ++x) {
      float mag = mrow[x];
      if (mag == 0.0f) continue;
      float ang = arow[x];  // [0, 2π)
      if (ang >= kPi) ang -= kPi;
      if (ang >= kPi) ang = 0.0f;
      // Orientation: circular linear interpolation between the two nearest bins.
      float po = ang / kPi * bins - 0.5f;
      int o0 = static_cast<int>(std::floor(po));
      float fo = po - o0;
      int o1 = o0 + 1;
      o0 = (o0 + bins) % bins;
      o1 = o1 % bins;
      // Space: bilinear between the four nearest cell centres.
      float py = (y + 0.5f) / cell - 0.5f, px = (x + 0.5f) / cell - 0.5f;
      int cy0 = static_cast<int>(std::floor(py)), cx0 = static_cast<int>(std::floor(px));
      float fy = py - cy0, fx = px - cx0;
      for (int dy = 0; dy < 2; ++dy) {
        int cy = cy0 + dy;
        if (cy < 0 || cy >= nc) continue;
        float wy = dy ? fy : 1.0f - fy;
        for (int dx = 0; dx < 2; ++dx) {
          int cx = cx0 + dx;
          if (cx < 0 || cx >= nc) continue;
          float w = mag * wy * (dx ? fx : 1.0f - fx);
          float* h = &hist[(static_cast<std::size_t>(cy) * nc + cx) * bins];
          h[o0] += w * (1.0f - fo);
          h[o1] += w * fo;
        }
      }
    }
  }
  // 2×2-cell blocks, stride one cell, L2-Hys.
  float* o = out;
  const int block_len = 4 * bins;
  for (int by = 0; by + 1 < nc; ++by) {
    for (int bx = 0; bx + 1 < nc; ++bx) {
      float* start = o;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const float* h = &hist[(static_cast<std::size_t>(by + dy) * nc + bx + dx) * bins];
          std::memcpy(o, h, sizeof(float) * bins);
          o += bins;
        }
      for (int pass = 0; pass < 2; ++pass) {
        double ss = 1e-6;
        for (int i = 0; i < block_len; ++i) ss += static_cast<double>(start[i]) * start[i];
        float inv = static_cast<float>(1.0 / std::sqrt(ss));
        for (int i = 0; i < block_len; ++i) start[i] = pass == 0 ? std::min(start[i] * inv, 0.2f) : start[i] * inv;
      }
    }
  }
  normalise_block(out, dim, p.power, p.w_hog);
}

void lbp_block(const cv::Mat& grey, const DescriptorParams& p, float* out) {
  const auto& table = uniform_lbp_table();
  const int n = grey.rows, g = p.lbp_grid, cells = cells_with_whole(g), t = p.lbp_threshold;
  std::memset(out, 0, sizeof(float) * kLbpCodes * cells);
  static constexpr int dy[8] = {-1, -1, -1, 0, 1, 1, 1, 0};
  static constexpr int dx[8] = {-1, 0, 1, 1, 1, 0, -1, -1};
  for (int y = 1; y + 1 < n; ++y) {
    int gy = y * g / n;
    for (int x = 1; x + 1 < n; ++x) {
      int c = grey.at<uchar>(y, x) + t;
      int code = 0;
      for (int k = 0; k < 8; ++k) code |= (grey.at<uchar>(y + dy[k], x + dx[k]) >= c) << k;
      int bin = table[code];
      out[bin] += 1.0f;
      if (g > 0) out[(1 + gy * g + x * g / n) * kLbpCodes + bin] += 1.0f;
    }
  }
  for (int c = 0; c < cells; ++c) {
    float* h = out + c * kLbpCodes;
    double s = 0;
    for (int i = 0; i < kLbpCodes; ++i) s += h[i];
    if (s > 0)
      for (int i = 0; i < kLbpCodes; ++i) h[i] = static_cast<float>(h[i] / s);
  }
  normalise_block(out, kLbpCodes * cells, p.power, p.w_lbp);
}

void thumb_block(const cv::Mat& grey, const DescriptorParams& p, float* out) {
  cv::Mat small;
  cv::resize(grey, small, cv::Size(p.thumb, p.thumb), 0, 0, cv::INTER_AREA);
  for (int y = 0; y < p.thumb; ++y)
    for (int x = 0; x < p.thumb; ++x) out[y * p.thumb + x] = 1.0f - small.at<uchar>(y, x) / 255.0f;
  normalise_block(out, p.thumb_dim(), 1.0f, p.w_thumb);
}

}  // namespace

int DescriptorParams::colour_dim() const {
  return w_colour > 0 ? l_bins * a_bins * b_bins * cells_with_whole(colour_grid) : 0;
}
int DescriptorParams::hog_dim() const {
  int nc = side / hog_cell;
  return w_hog > 0 ? (nc - 1) * (nc - 1) * 4 * hog_bins : 0;
}
int DescriptorParams::coarse_dim() const {
  int nc = hog_coarse / hog_cell;
  return w_hog > 0 && hog_coarse > 0 ? (nc - 1) * (nc - 1) * 4 * hog_bins : 0;
}
int DescriptorParams::lbp_dim() const { return w_lbp > 0 ? kLbpCodes * cells_with_whole(lbp_grid) : 0; }
int DescriptorParams::thumb_dim() const { return w_thumb > 0 ? thumb * thumb : 0; }

std::string DescriptorParams::id() const {
  std::string tag = "classic-v" + std::to_string(kDescriptorVersion) + "/" + std::to_string(dim());
  static const DescriptorParams defaults;
  auto same = [](float a, float b) { return a == b; };
  bool is_default = side == defaults.side && colour_side == defaults.colour_side && tex_side == defaults.tex_side && l_bins == defaults.l_bins &&
                    a_bins == defaults.a_bins && b_bins == defaults.b_bins &&
                    colour_grid == defaults.colour_grid && hog_cell == defaults.hog_cell &&
                    hog_bins == defaults.hog_bins && lbp_grid == defaults.lbp_grid &&
                    lbp_threshold == defaults.lbp_threshold && thumb == defaults.thumb &&
                    same(w_colour, defaults.w_colour) && same(w_hog, defaults.w_hog) &&
                    same(w_lbp, defaults.w_lbp) && same(w_thumb, defaults.w_thumb) && same(power, defaults.power) && flip == defaults.flip &&
                    hog_coarse == defaults.hog_coarse && bg_fill == defaults.bg_fill && balance == defaults.balance;
  if (is_default) return tag;
  char buf[256];
  std::snprintf(buf, sizeof buf, "+s%d,t%d,c%d:%dx%dx%dg%d,h%dx%d,l%dt%d,m%d,w%g/%g/%g/%g,p%g,f%d,hc%d,bg%d,wb%d", side, tex_side, colour_side, l_bins,
                a_bins, b_bins, colour_grid, hog_cell, hog_bins, lbp_grid, lbp_threshold, thumb, w_colour, w_hog,
                w_lbp, w_thumb, power, flip, hog_coarse, bg_fill, balance);
  return tag + buf;
}

namespace {

void compute_one(const cv::Mat& crop_bgr, const DescriptorParams& p, float* out) {
  // Every canvas derives from the prepared crop once; integer ratios keep INTER_AREA on its fast path.
  auto resized = [](const cv::Mat& m, int side) {
    if (m.cols == side) return m;
    cv::Mat r;
    cv::resize(m, r, cv::Size(side, side), 0, 0, cv::INTER_AREA);
    return r;
  };
  cv::Mat grey_full;
  cv::cvtColor(crop_bgr, grey_full, cv::COLOR_BGR2GRAY);
  float* o = out;
  if (p.colour_dim()) {
    colour_block(resized(crop_bgr, p.colour_side), p, o);
    o += p.colour_dim();
  }
  if (p.hog_dim()) {
    hog_block(resized(grey_full, p.side), p, o, p.hog_dim());
    o += p.hog_dim();
  }
  cv::Mat grey_coarse;
  if (p.coarse_dim() || p.thumb_dim()) grey_coarse = resized(grey_full, p.hog_coarse > 0 ? p.hog_coarse : 32);
  if (p.coarse_dim()) {
    hog_block(grey_coarse, p, o, p.coarse_dim());
    o += p.coarse_dim();
  }
  if (p.lbp_dim()) {
    lbp_block(resized(grey_full, p.tex_side), p, o);
    o += p.lbp_dim();
  }
  if (p.thumb_dim()) {
    thumb_block(grey_coarse, p, o);
    o += p.thumb_dim();
  }
}

}  // namespace

void compute_descriptor(const cv::Mat& crop_bgr, const DescriptorParams& p, float* out) {
  compute_one(crop_bgr, p, out);
  if (!p.flip) return;
  cv::Mat mirrored;
  cv::flip(crop_bgr, mirrored, 1);
  std::vector<float> other(p.dim());
  compute_one(mirrored, p, other.data());
  for (int i = 0; i < p.dim(); ++i) out[i] = 0.5f * (out[i] + other[i]);
}

}  // namespace ensemble::embed::detail
