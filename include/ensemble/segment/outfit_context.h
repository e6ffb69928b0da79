// Outfit contexts: which regions of one photo belong to the same outfit (person), so that
// co-occurrence pairs only regions of one outfit.
//
// Spatial clustering of the regions' column extents: outfits shown side by side occupy separate
// column bands with empty space between them. (The Haar body cascades of opencv-data would be a
// second signal; they are not installed here, see docs/SEGMENTATION.md.)
#pragma once

#include <opencv2/core.hpp>

#include <vector>

namespace ensemble::segment {

struct ContextAssignment {
  std::vector<int> context;   // per mask, 0-based, numbered left to right
  int count = 0;              // number of contexts (0 when there are no masks)
};

// masks: CV_8UC1 of one image, all the same size. Groups masks whose robust column extents (5th to
// 95th percentile of their pixels' x) overlap or lie closer than gap_frac × width, merges the closest
// groups until at most max_contexts remain, then puts each wide mask (wider than half the image,
// typically a whole figure or background) in the group holding most of its pixels.
ContextAssignment assign_outfit_contexts(const std::vector<cv::Mat>& masks, int max_contexts,
                                         double gap_frac);

}  // namespace ensemble::segment
