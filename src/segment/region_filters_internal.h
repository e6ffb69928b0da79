// Internals of the region quality filters (region_filters.cc), exposed for their tests.
#pragma once

#include <opencv2/core.hpp>

#include <vector>

#include "ensemble/segment/mask_filters.h"
#include "ensemble/segment/region_filters.h"

namespace ensemble::segment {

// The hue half of the skin rule of skin_fraction(): R > G >= B (hue 0..60 degrees, between red and
// yellow), which skin keeps under the white balance of ordinary photos. The YCrCb rule alone also
// passes pink, rose and mauve garments (B > G).
bool is_skin_hue(const cv::Vec3b& bgr);

// Share of the mask's pixels whose colour (the 512-bin histogram of frame_colour_model) makes up at
// least common_share of the frame band outside the mask: 1 for a piece of a brick wall or a tiled
// floor (each brick colour is common in the frame), about 0 for a garment, even one touching the
// frame (its own frame pixels do not count). Unlike frame_colour_match() it does not ask the region
// to hold *all* the frame's colours, so a one-colour piece of a many-coloured backdrop scores 1.
double frame_colour_support(const cv::Mat& bgr, const cv::Mat& mask, const FrameColourModel& frame,
                            double common_share);
// A colour is common in the frame from this share of the band on.
inline constexpr double kCommonFrameColourShare = 0.02;
// Under the cap, regions with at least this frame colour support wait for slots left over.
inline constexpr double kCapDeferFrameSupport = 0.75;

// cap_regions() where the masks marked in `deferred` (empty: none) are, like repeats of a kept
// region, only given slots left over by the others (best first).
std::vector<bool> cap_regions_deferring(const std::vector<MaskCandidate>& c, int max_regions,
                                        double overlap_iou, const std::vector<bool>& deferred);

}  // namespace ensemble::segment
