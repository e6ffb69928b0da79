// Outfit contexts: which regions of one photo belong to the same outfit (person), so that
// co-occurrence pairs only regions of one outfit.
//
// Spatial clustering of the regions along the image's x axis: outfits shown side by side put their
// garments around separate vertical axes. (The Haar body cascades of opencv-data would be a second
// signal; they are not installed on the build machines, see docs/SEGMENTATION.md.)
#pragma once

#include <opencv2/core.hpp>

#include <vector>

namespace ensemble::segment {

struct ContextOptions {
  int max_contexts = 4;             // at most this many contexts. Default 4.
  // A split must leave each side at least this share of the regions' total weight (sqrt of area),
  // so a bag held out to the side never becomes an outfit of its own. Default 0.2.
  double min_share = 0.2;
  // The two sides' axes must be at least this fraction of the image width apart. Default 0.35
  // (side-by-side figures stand about half the width apart; a lamp or a plant beside one figure is
  // nearer).
  double min_separation = 0.35;
};

struct ContextAssignment {
  std::vector<int> context;   // per mask, 0-based, numbered left to right
  int count = 0;              // number of contexts (0 when there are no masks)
};

// masks: CV_8UC1 of one image, all the same size. Finds the outfit axes by recursive weighted
// 2-means over the masks' centroid x (masks wider than half the image do not vote), accepting a split
// only under the options above, then gives each mask the context of the nearest axis (the weighted
// median centroid x of the context's voters).
ContextAssignment assign_outfit_contexts(const std::vector<cv::Mat>& masks, const ContextOptions& options = {});

}  // namespace ensemble::segment
