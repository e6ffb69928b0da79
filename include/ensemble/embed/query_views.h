// Query views: test-time augmentation for visual search.
//
// A shopper's photo is rarely square to the camera. The descriptors (the classic one most of all)
// are sensitive to a few degrees of rotation, while catalog photos are upright, so a search embeds
// the photo together with copies turned by ±step, ±2·step, ... degrees and searches once with the
// normalised mean of their embeddings (docs/SEARCH.md; on the sample catalog, the default three
// views raise exact-product Recall@1 / @10 from 0.885 / 0.952 to 0.939 / 0.984,
// docs/BENCHMARKS.md). The mean tolerates the unknown angle almost as well as searching every view
// and keeping each product's best score, at one index search instead of one per view.
//
// Only queries get views: catalog vectors stay one per product, and the match stage embeds regions
// once (views would multiply its kernel).
#pragma once

#include <span>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace ensemble::embed {

struct QueryViewOptions {
  int per_side = 1;           // rotated views each way; 0 = the photo alone
  double step_degrees = 6.0;  // angle between neighbouring views
  int max_side = 512;         // turned views are at most this side (search: view_side())
};

// The side search turns views at for an embedder of this input_side(): 1.5 × it (96 px for the
// classic embedder), enough detail for the model and cheap to warp.
inline int view_side(int input_side) { return input_side * 3 / 2; }

// The angles of the views, the photo itself first: {0, -s, +s, -2s, +2s, ...} degrees
// (counter-clockwise positive, as cv::getRotationMatrix2D).
std::vector<double> view_angles(const QueryViewOptions& options);

// The views of an image (any type cv::warpAffine takes), in view_angles() order. View 0 is the
// image itself (shared, not copied; search scores its hits against it too). The others are turned
// about the centre, shrunk in the same warp to at most options.max_side (turning a large photo
// costs more than embedding it), the corners filled by replicating the border (a studio white stays
// white, a room stays a room).
// Throws like view_angles() and Error(kInvalidArgument) for max_side < 16.
std::vector<cv::Mat> query_views(const cv::Mat& image, const QueryViewOptions& options);

// The query vector of a photo's views: the mean of their embeddings (rows of `dim` floats, at
// least one), L2-normalised. Throws Error(kInvalidArgument) for a malformed span or a zero mean.
std::vector<float> combine_views(std::span<const float> rows, int dim);

}  // namespace ensemble::embed
