// Region quality filters: drop masks that cannot be products. They run after SAM's filters, on masks
// at any resolution (thresholds are fractions), and each one is a separate function with its test.
//
// Order in apply_region_filters(): background, skin, thin, containment, cap. Each is counted in the
// FilterStats under that name.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "ensemble/segment/mask_filters.h"
#include "ensemble/segment/segmenter.h"

namespace ensemble::segment {

// Share of the image frame (the pixels of the outermost rows and columns) that the mask covers.
double frame_coverage(const cv::Mat& mask);

// Colour statistics of the image frame, computed once per image for the background test.
struct FrameColourModel {
  cv::Mat hist;          // normalised 3-D histogram of the frame band (CV_32F, sums to 1)
  int band = 0;          // band width in pixels
  double band_pixels = 0;  // pixels in the band
};
// Histogram of a band of width max(2, 3% of the shorter side) around the border of a BGR image.
FrameColourModel frame_colour_model(const cv::Mat& bgr);
// Histogram intersection in [0, 1] of the mask's colours with the frame's colours: 1 when every colour
// of the region is as common in the frame.
double frame_colour_match(const cv::Mat& bgr, const cv::Mat& mask, const FrameColourModel& frame);

// Background: covers >= frame_frac of the frame, or touches the frame and its colours match the
// frame's with intersection >= colour_match.
bool is_background(const cv::Mat& bgr, const cv::Mat& mask, const FrameColourModel& frame,
                   double frame_frac, double colour_match);

// Share of the mask's pixels that are skin-coloured (YCrCb rule: 135 <= Cr <= 180, 85 <= Cb <= 135,
// Y >= 60, and a skin hue: R > G >= B, which keeps pink, rose and mauve garments out). 0 for an
// empty mask.
double skin_fraction(const cv::Mat& bgr, const cv::Mat& mask);

// Twice the largest inscribed radius (L2 distance transform), in pixels: a 10-px-wide stripe has
// thickness about 10.
double mask_thickness(const cv::Mat& mask);

// For masks ordered best first: marks mask i as a near-duplicate when some larger unmarked mask j
// contains >= contain_thresh of i's pixels and area(i) >= area_ratio × area(j).
std::vector<bool> contained_duplicates(const std::vector<MaskCandidate>& c, double contain_thresh,
                                       double area_ratio);

// The cap, for masks ordered best first: marks for dropping all but max_regions of them. The best
// masks are kept first, skipping a mask whose mask IoU with an already kept one is > overlap_iou (a
// variant of a kept region: the same garment with or without a sleeve); slots left over go to the
// skipped masks, best first. overlap_iou > 1 keeps simply the max_regions best.
std::vector<bool> cap_regions(const std::vector<MaskCandidate>& c, int max_regions, double overlap_iou);

// Runs the quality filters of config on the candidates (which must be binarized, at bgr's size) and
// counts each step in stats. Survivors stay in c, in descending score order, at most
// config.max_regions. When dropped is non-null, the dropped candidates are appended to it with their
// reasons ("background", "skin", "thin", "contained", "cap").
void apply_region_filters(std::vector<MaskCandidate>& c, const cv::Mat& bgr,
                          const SegmenterConfig& config, FilterStats& stats,
                          std::vector<std::pair<MaskCandidate, std::string>>* dropped);

}  // namespace ensemble::segment
