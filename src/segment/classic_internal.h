// Internals of the classical segmenter, exposed for its tests.
#pragma once

#include <opencv2/core.hpp>

#include <array>
#include <cmath>
#include <functional>
#include <iterator>
#include <vector>

#include "ensemble/segment/mask_filters.h"
#include "ensemble/segment/segmenter.h"
#include "segment/region_hierarchy.h"

namespace ensemble::segment::classic {

// Heights below this count as this (leaves have height 0).
inline constexpr float kHeightFloor = 0.02f;
// Logit units per natural-log unit of merge height: a logit offset of 1 (SAM's default stability
// offset) moves the merge threshold by a factor of 1.1.
inline const float kLogitPerLogHeight = static_cast<float>(1.0 / std::log(1.1));
// Superpixels (Felzenszwalb k) of the hierarchies whose candidates are pooled, as selective search
// pools strategies: fine superpixels catch small accessories, coarse ones patterned garments.
inline constexpr float kSuperpixelScales[] = {15.f, 25.f, 40.f, 65.f, 100.f, 160.f};
// Smallest superpixel, as a fraction of the work image.
inline constexpr double kMinSuperpixelFrac = 0.0002;

struct Features {
  cv::Mat lab8;     // CV_8UC3 Lab
  cv::Mat fine;     // CV_32FC3 Lab (8-bit scale), Gaussian σ 0.8
  cv::Mat texture;  // CV_32FC3 Lab, Gaussian σ = 1% of the shorter side (at least 1.5)
  cv::Mat priors;   // CV_32FC2: skin likelihood (YCrCb rule), background likelihood (frame colours)
};
// Per-pixel skin and background likelihoods of a BGR image (see Features::priors).
cv::Mat compute_priors(const cv::Mat& bgr);
Features make_features(const cv::Mat& work_bgr);
HierarchyParams hierarchy_params();
// One hierarchy per kSuperpixelScales entry, in that order.
std::vector<RegionHierarchy> build_hierarchies(const Features& f);

// τ = sqrt(h · hp) of a node (heights floored); the root uses hp = 4h.
float tau_of(const RegionHierarchy& tree, int node);
// log(parent height / height): how long the region survives merging; 0 for the root.
float life_of(const RegionHierarchy& tree, int node);
// The features of a hierarchy node that the region-quality model reads (kNodeFeatureNames, in
// order): its size, merge heights, contrasts, shape, priors, agreement with the other hierarchies
// and relation to its parent and sibling. Nothing about its colour, nor about where it lies beyond how
// many sides of the frame it touches.
inline constexpr const char* kNodeFeatureNames[] = {
    "log_area", "height", "parent_height", "life", "height_gap", "outline_contrast", "inside_contrast",
    "fill", "raggedness", "skin", "background", "leaf", "agreement", "log_parent_share", "log_aspect",
    "frame_sides", "scale", "sibling_colour", "child_balance"};
inline constexpr int kNodeFeatureCount = static_cast<int>(std::size(kNodeFeatureNames));
std::array<float, kNodeFeatureCount> node_features(const RegionHierarchy& tree, int node, double image_pixels,
                                                   int scale_index, float agreement);
// The region-quality model: the probability, in [0, 1], that a node covers a ground-truth item with
// IoU >= 0.5 (gradient-boosted trees fitted on synthetic lookbooks by scripts/fit_region_model.py;
// docs/SEGMENTATION.md). The classic segmenter's score.
float region_quality(const std::array<float, kNodeFeatureCount>& features);
// classic#v2's score: a logistic model of the IoU of a node with the item it best covers over 13 of
// its features, times the square of its agreement (fitted on seed-7 sample lookbooks).
float v2_score(const RegionHierarchy& tree, int node, double image_pixels, float agreement);
// v2's map of its score to a predicted IoU: 0.88 at 0.02, 1 at 0.52.
float v2_predicted_iou(float v2_score);
// Regions at least this share of the image take the larger of the two predicted IoUs. The trees
// never saw an item larger than a figure's garment in a lookbook, and on real product photos (one
// garment filling the frame, clothing-cc0) they rank the whole garment below its parts; v2's simpler
// model does not (judged by eye, docs/SEGMENTATION.md).
inline constexpr double kV2MinAreaFrac = 0.05;
// The predicted IoU of a node: predicted_iou(item_probability), or for a node of kV2MinAreaFrac of the
// image or more, the larger of that and v2_predicted_iou(v2_score).
float node_predicted_iou(const RegionHierarchy& tree, int node, double image_pixels, float item_probability,
                         float agreement);
// Agreement of a node with the other hierarchies (superpixels at other scales): the mean over the
// other trees of the best box IoU × area ratio with one of their nodes of similar area (within
// 0.7..1.43×). Outlines that every superpixel scale finds are object outlines; fragments of a texture
// move with the scale. Per tree, per node (0 for nodes outside the area range).
std::vector<std::vector<float>> consensus(const std::vector<RegionHierarchy>& trees, std::int64_t min_area,
                                          std::int64_t max_area);
// The score (region_quality) at which the predicted IoU is SAM's default threshold, 0.88: at 0.01 the
// pool keeps the accessories the model is unsure of; higher cuts lose them (docs/SEGMENTATION.md).
inline constexpr float kScoreAtSamThreshold = 0.01f;
// SAM-like predicted IoU from the score: linear, 0.88 at kScoreAtSamThreshold and 1 at a score of 1
// (the value is a rank with SAM's threshold at a useful cut, not a calibrated IoU).
float predicted_iou(float score);
// Per-leaf logits of candidate `node` prompted at `seed_leaf` (see classic_segmenter.cc).
std::vector<float> leaf_logits(const RegionHierarchy& tree, int node, int seed_leaf);
// The region {logit > threshold} without painting: a node id, or -1 when empty.
int region_at_logit(const RegionHierarchy& tree, int node, int seed_leaf, float logit_threshold);
// SAM's stability score of the candidate, from the hierarchy.
float stability(const RegionHierarchy& tree, int node, int seed_leaf, float mask_threshold, float offset);

// The areas, in work-image pixels, of the hierarchy nodes that can become candidates:
// config.min_area_frac..max_area_frac of the image, at least one pixel.
struct CandidateAreas {
  std::int64_t min = 1, max = 0;
  // Whether `node` of `tree` can become a candidate: not the root, and its area in range.
  bool admit(const RegionHierarchy& tree, int node) const {
    const auto& nd = tree.nodes()[static_cast<std::size_t>(node)];
    return nd.parent >= 0 && nd.area >= min && nd.area <= max;
  }
};
CandidateAreas candidate_areas(const SegmenterConfig& config, double image_pixels);

// --- Scoring override (eval_segment --oracle) ---------------------------------------------------
// Replaces the region-quality model for one image: given a hierarchy (its index in
// kSuperpixelScales and the tree), the item probability of each of its nodes (indexed like
// tree.nodes()). The predicted IoU is then predicted_iou(probability), with no large-region blend.
// Measurement only: how far the candidates and SAM's filters would go with a perfect score.
using NodeScoreOverride = std::function<std::vector<float>(int scale_index, const RegionHierarchy& tree)>;
// The classic segmenter's segment(), with the score replaced when `override_score` is non-null.
SegmentationResult segment_classic(const cv::Mat& input, const SegmenterConfig& config,
                                   const NodeScoreOverride* override_score);

// --- Pair candidates (classic_pairs.cc) -----------------------------------------------------------
// A pair of shoes, the lenses of sunglasses, two gloves: one product in two disjoint regions that no
// hierarchy merges before swallowing what lies between them. Two candidates form a pair when each is
// at most kPairMaxPartFrac of the image, their areas are within kPairMinAreaRatio, their boxes'
// widths and heights within kPairMinSizeRatio, the boxes overlap by >= kPairMinYOverlap of the lower
// height in y and by <= kPairMaxXOverlap of the narrower width in x, with a gap of at most
// kPairMaxGap × the wider width, and their mean Lab colours (8-bit scale) are within
// kPairMaxColourDistance.
inline constexpr double kPairMaxPartFrac = 0.05;
inline constexpr double kPairMinAreaRatio = 0.5;
inline constexpr double kPairMinSizeRatio = 0.6;
inline constexpr double kPairMinYOverlap = 0.5;
inline constexpr double kPairMaxXOverlap = 0.15;
inline constexpr double kPairMaxGap = 1.0;
inline constexpr float kPairMaxColourDistance = 14.f;
// Unions whose boxes overlap more than this are the same pair found twice; the first is kept.
inline constexpr float kPairDuplicateBoxIou = 0.7f;

struct PairPart {
  std::int64_t area = 0;
  cv::Rect box;
  cv::Vec3f mean_lab;
};
bool is_pair(const PairPart& a, const PairPart& b, double image_pixels);
// For candidates (binarized, at lab8's size, best first) appends the union of every pair of disjoint
// candidates that is_pair() accepts, at most one per box (box IoU > kPairDuplicateBoxIou), with the
// weaker half's predicted IoU and stability. Returns how many were appended.
std::size_t add_pair_unions(std::vector<MaskCandidate>& c, const cv::Mat& lab8);

}  // namespace ensemble::segment::classic
