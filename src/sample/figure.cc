#include "sample/figure.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace ensemble::sample {

namespace {

const std::vector<cv::Vec3b>& skin_tones() {  // BGR
  static const std::vector<cv::Vec3b> tones = {
      {189, 208, 241}, {160, 190, 228}, {130, 168, 212}, {100, 140, 190},
      {80, 112, 160},  {60, 85, 125},   {45, 62, 92},    {175, 196, 236}};
  return tones;
}

const std::vector<cv::Vec3b>& hair_colours() {
  static const std::vector<cv::Vec3b> hair = {
      {25, 22, 20}, {30, 45, 70}, {40, 70, 110}, {90, 150, 200}, {40, 60, 140}, {150, 150, 155}};
  return hair;
}

cv::Point pt(const cv::Point2d& p) {
  return {static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y))};
}

// A limb segment as a tapered quad from a (width wa) to b (width wb), with round joints.
void limb(cv::Mat& layer, cv::Mat& alpha, cv::Point2d a, cv::Point2d b, double wa, double wb,
          const cv::Scalar& colour) {
  const cv::Point2d d = b - a;
  const double len = std::max(1e-6, std::hypot(d.x, d.y));
  const cv::Point2d n(-d.y / len, d.x / len);
  const std::vector<cv::Point> quad = {pt(a + n * (wa / 2)), pt(b + n * (wb / 2)), pt(b - n * (wb / 2)),
                                       pt(a - n * (wa / 2))};
  cv::fillConvexPoly(layer, quad, colour, cv::LINE_AA);
  cv::fillConvexPoly(alpha, quad, cv::Scalar(255), cv::LINE_AA);
  cv::circle(layer, pt(b), static_cast<int>(wb / 2), colour, cv::FILLED, cv::LINE_AA);
  cv::circle(alpha, pt(b), static_cast<int>(wb / 2), cv::Scalar(255), cv::FILLED, cv::LINE_AA);
}

void blob(cv::Mat& layer, cv::Mat& alpha, cv::Point2d c, double ax, double ay, double angle,
          const cv::Scalar& colour) {
  const cv::Size axes(std::max(1, static_cast<int>(ax)), std::max(1, static_cast<int>(ay)));
  cv::ellipse(layer, pt(c), axes, angle, 0, 360, colour, cv::FILLED, cv::LINE_AA);
  cv::ellipse(alpha, pt(c), axes, angle, 0, 360, cv::Scalar(255), cv::FILLED, cv::LINE_AA);
}

}  // namespace

void draw_figure(const Body& b, Rng& rng, cv::Mat& layer, cv::Mat& alpha) {
  const cv::Vec3b skin = rng.pick(skin_tones());
  const cv::Vec3b hair = rng.pick(hair_colours());
  const cv::Scalar s(skin[0], skin[1], skin[2]);
  const cv::Scalar h(hair[0], hair[1], hair[2]);
  const double u = b.unit;
  // Draw on a tight canvas around the body, then copy into the layer.
  const cv::Rect canvas(0, 0, layer.cols, layer.rows);
  const cv::Rect2d ext = b.extent();
  cv::Rect roi = cv::Rect(static_cast<int>(ext.x - u), static_cast<int>(ext.y - u),
                          static_cast<int>(ext.width + 2 * u), static_cast<int>(ext.height + 2 * u)) &
                 canvas;
  if (roi.empty()) return;
  cv::Mat l(roi.size(), CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat a(roi.size(), CV_8UC1, cv::Scalar(0));
  Body local = b;
  local.cx -= roi.x;
  local.top -= roi.y;

  const bool long_hair = rng.bernoulli(0.5);
  if (long_hair) {
    blob(l, a, local.at(0, 0.75), 0.5 * u, 0.75 * u, 0, h);
  }
  // Legs, then torso, arms, neck and head.
  for (double side : {-1.0, 1.0}) {
    limb(l, a, local.at(side * 0.38, 3.7), local.at(side * 0.34, 5.7), 0.62 * u, 0.42 * u, s);
    limb(l, a, local.at(side * 0.34, 5.7), local.at(side * 0.3, 7.55), 0.42 * u, 0.26 * u, s);
    blob(l, a, local.at(side * 0.36, 7.78), 0.26 * u, 0.14 * u, 0, s);
  }
  const std::vector<cv::Point> torso = {
      pt(local.at(-0.95, 1.4)), pt(local.at(0.95, 1.4)), pt(local.at(0.66, 2.9)),
      pt(local.at(0.82, 3.85)), pt(local.at(-0.82, 3.85)), pt(local.at(-0.66, 2.9))};
  cv::fillPoly(l, std::vector<std::vector<cv::Point>>{torso}, s, cv::LINE_AA);
  cv::fillPoly(a, std::vector<std::vector<cv::Point>>{torso}, cv::Scalar(255), cv::LINE_AA);
  for (double side : {-1.0, 1.0}) {
    blob(l, a, local.at(side * 0.9, 1.55), 0.24 * u, 0.2 * u, 0, s);
    limb(l, a, local.at(side * 1.0, 1.55), local.at(side * 1.22, 2.8), 0.34 * u, 0.28 * u, s);
    limb(l, a, local.at(side * 1.22, 2.8), local.at(side * 1.34, 3.9), 0.28 * u, 0.22 * u, s);
    blob(l, a, local.at(side * 1.37, 4.15), 0.14 * u, 0.24 * u, side * -6, s);
  }
  limb(l, a, local.at(0, 0.9), local.at(0, 1.45), 0.32 * u, 0.36 * u, s);
  blob(l, a, local.at(0, 0.52), 0.37 * u, 0.5 * u, 0, s);
  // Hair: a cap over the top of the head.
  cv::ellipse(l, pt(local.at(0, 0.42)), cv::Size(static_cast<int>(0.4 * u), static_cast<int>(0.42 * u)),
              0, 180, 360, h, cv::FILLED, cv::LINE_AA);

  // Round the body: darker towards its outline, from the distance to the edge.
  cv::Mat inside = a > 127, dist;
  cv::distanceTransform(inside, dist, cv::DIST_L2, 3);
  const float falloff = static_cast<float>(0.25 * u);
  for (int y = 0; y < l.rows; ++y) {
    auto* lr = l.ptr<cv::Vec3b>(y);
    const float* dr = dist.ptr<float>(y);
    for (int x = 0; x < l.cols; ++x) {
      const float f = 0.74f + 0.3f * std::min(1.0f, dr[x] / falloff);
      for (int c = 0; c < 3; ++c) lr[x][c] = cv::saturate_cast<uchar>(lr[x][c] * f);
    }
  }

  // Over whatever is already on the layer (a second figure overlapping the first).
  cv::Mat dst_l = layer(roi), dst_a = alpha(roi);
  for (int y = 0; y < roi.height; ++y) {
    const auto* sl = l.ptr<cv::Vec3b>(y);
    const auto* sa = a.ptr<uchar>(y);
    auto* dl = dst_l.ptr<cv::Vec3b>(y);
    auto* da = dst_a.ptr<uchar>(y);
    for (int x = 0; x < roi.width; ++x) {
      if (sa[x] == 0) continue;
      const float k = 1.0f - sa[x] / 255.0f;
      for (int c = 0; c < 3; ++c) dl[x][c] = cv::saturate_cast<uchar>(sl[x][c] + dl[x][c] * k);
      da[x] = cv::saturate_cast<uchar>(sa[x] + da[x] * k);
    }
  }
}

}  // namespace ensemble::sample
