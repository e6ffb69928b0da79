// Felzenszwalb & Huttenlocher's graph-based segmentation ("Efficient Graph-Based Image
// Segmentation", IJCV 2004): the over-segmentation the classical segmenter's hierarchy starts from.
#pragma once

#include <opencv2/core.hpp>

#include <vector>

namespace ensemble::segment {

// Segments a CV_32FC3 feature image on its 8-connected pixel graph (edge weight = Euclidean feature
// distance). k sets the scale (larger k, larger segments); components smaller than min_size pixels are
// merged into a neighbour afterwards. Writes labels (CV_32S, 0..n-1, dense) and returns n.
int felzenszwalb(const cv::Mat& features, float k, int min_size, cv::Mat& labels);

// The same for several scales at once, sharing the sorted edge list (most of the cost). labels[i]
// and the returned counts[i] belong to ks[i].
std::vector<int> felzenszwalb(const cv::Mat& features, const std::vector<float>& ks, int min_size,
                              std::vector<cv::Mat>& labels);

}  // namespace ensemble::segment
