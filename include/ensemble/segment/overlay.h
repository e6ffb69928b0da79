// Draws a segmentation over its image for people to look at (`ensemble segment --image F --out P`).
#pragma once

#include <opencv2/core.hpp>

#include "ensemble/segment/segmenter.h"

namespace ensemble::segment {

struct OverlayOptions {
  float alpha = 0.45f;        // mask fill opacity. Default 0.45.
  bool boxes = true;          // draw each region's box in its context's colour. Default true.
  bool labels = true;         // "c<context> #<index> <score>" at the box corner. Default true.
  bool contours = true;       // outline each mask. Default true.
  bool show_dropped = false;  // draw dropped regions (grey, dashed) too. Default false.
  int max_regions = 1000;     // draw at most this many kept regions (largest first). Default all.
};

// A BGR copy of image with the result's masks filled in distinct colours, contours, boxes coloured by
// outfit context, and labels. REQUIRES: result.size == image.size(); image 8-bit 1/3/4 channels.
cv::Mat render_overlay(const cv::Mat& image, const SegmentationResult& result,
                       const OverlayOptions& options = {});

}  // namespace ensemble::segment
