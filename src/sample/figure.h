// A standing figure for lookbooks: its body geometry, where each item is worn, and a simple
// skin-toned mannequin drawn behind the clothes.
#pragma once

#include <opencv2/core.hpp>

#include "sample/random.h"

namespace ensemble::sample {

// Geometry in pixels. The figure is 8 units tall (the head is one unit), standing with its top at
// `top` and its centre line at cx.
struct Body {
  double cx = 0.0;
  double top = 0.0;
  double unit = 1.0;
  cv::Point2d at(double dx_units, double dy_units) const {
    return {cx + dx_units * unit, top + dy_units * unit};
  }
  // The extent of the body itself (arms and feet included), not of what it wears.
  cv::Rect2d extent() const { return {cx - 1.6 * unit, top, 3.2 * unit, 8.05 * unit}; }
};

// Draws the mannequin on a transparent layer the size of the canvas: layer is CV_8UC3 colour
// premultiplied by alpha (CV_8UC1), both allocated by the call when empty and drawn over otherwise.
// Skin tone and hair are drawn from rng.
void draw_figure(const Body& body, Rng& rng, cv::Mat& layer, cv::Mat& alpha);

}  // namespace ensemble::sample
