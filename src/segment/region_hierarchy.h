// A hierarchy of image regions for the classical segmenter: superpixels merged pairwise, most
// similar neighbours first, into a binary tree whose node heights grow towards the root. Cutting the
// tree at a height gives a segmentation; the nodes on the way from a pixel's superpixel to the root
// are that pixel's candidate masks from fine to coarse — what SAM's 3 masks per point are to a prompt.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace ensemble::segment {

struct HierarchyParams {
  float colour_scale = 24.f;    // ΔE (texture-scale mean colour) at which the colour term saturates
  float edge_scale = 20.f;      // mean boundary contrast at which the edge term saturates
  float w_colour = 0.45f;
  float w_hist = 0.30f;
  float w_edge = 0.25f;
  float w_fill = 0.f;           // empty share of the joint box (selective search's fill)
  float w_size = 0.f;           // joint area / image area (selective search's size)
  float size_power = 0.25f;     // small regions merge earlier: D × (min area / image area)^power ...
  float size_floor = 0.35f;     // ... but never below this factor
  float w_prior = 0.f;          // × the largest difference of the regions' mean priors
  int edge_reach = 3;           // boundary contrast compares the texture colour this far either side
};

struct HierarchyNode {
  int parent = -1;
  int left = -1, right = -1;   // children; -1 for leaves (superpixels)
  float height = 0.f;          // merge dissimilarity; 0 for leaves; parent.height >= height
  std::int64_t area = 0;       // pixels
  cv::Rect box;
  cv::Vec3f mean_lab;          // mean Lab colour (8-bit OpenCV Lab scale)
  cv::Vec2f mean_prior;        // mean skin and background priors (0 without priors)
  // Boundary pixel pairs with the rest of the image (outline) and between the node's own leaves
  // (inside), with their summed texture-scale contrast: outline contrast high and inside contrast low
  // is what a pasted-on or cut-out object looks like.
  double outline_length = 0, outline_contrast = 0;
  double inside_length = 0, inside_contrast = 0;

  double mean_outline_contrast() const { return outline_length > 0 ? outline_contrast / outline_length : 0; }
  double mean_inside_contrast() const { return inside_length > 0 ? inside_contrast / inside_length : 0; }
};

class RegionHierarchy {
 public:
  // labels: CV_32S superpixels 0..n-1 of lab (CV_32FC3 Lab at the same size, 8-bit scale); texture:
  // CV_32FC3 Lab smoothed at the texture scale.
  // priors (optional, CV_32FC2, values in [0, 1]): per-pixel skin and background likelihoods;
  // regions whose mean priors differ merge later (params.w_prior).
  RegionHierarchy(const cv::Mat& labels, int n, const cv::Mat& lab, const cv::Mat& texture,
                  const HierarchyParams& params = {}, const cv::Mat& priors = {});

  const std::vector<HierarchyNode>& nodes() const { return nodes_; }
  int leaf_count() const { return leaves_; }
  int root() const { return static_cast<int>(nodes_.size()) - 1; }
  const cv::Mat& labels() const { return labels_; }

  // Leaf at a pixel.
  int leaf_at(cv::Point p) const { return labels_.at<int>(p); }
  // CV_8UC1 mask of a node (255 inside) at the labels' size.
  cv::Mat mask(int node) const;
  // Per leaf: the height at which it joins `leaf`'s region (height of their lowest common ancestor);
  // 0 for leaf itself.
  std::vector<float> join_heights(int leaf) const;
  // The largest region containing `leaf` whose height (floored at `floor`) is below `threshold`:
  // the highest ancestor of leaf (leaf included) with max(floor, height) < threshold; -1 if none.
  // This is {pixels p : max(floor, join_heights(leaf)[p]) < threshold}, computed without painting.
  int region_below(int leaf, float threshold, float floor) const;
  // Per pixel map from a per-leaf value.
  cv::Mat paint(const std::vector<float>& per_leaf) const;

 private:
  cv::Mat labels_;
  int leaves_ = 0;
  std::vector<HierarchyNode> nodes_;
};

}  // namespace ensemble::segment
