// Lookbook backgrounds: studio paper, gradients, noise textures (plaster, concrete), brick walls
// and simple rooms with clutter (frames, a window, a shelf, a plant, a lamp).
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "sample/random.h"

namespace ensemble::sample {

struct Background {
  std::string kind;  // "studio", "gradient", "texture", "brick" or "room"
  cv::Mat image;     // CV_8UC3 BGR
};

Background render_background(cv::Size size, Rng& rng);

}  // namespace ensemble::sample
