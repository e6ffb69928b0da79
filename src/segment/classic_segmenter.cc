// The weight-free segmenter behind "classic".
//
//   1. The image is scaled to config.classic_work_size on its longer side (320 px by default).
//   2. Felzenszwalb superpixels at six scales; each set is merged into a region hierarchy
//      (RegionHierarchy: colour histogram, boundary contrast at texture scale, fill and size terms).
//   3. Prompts: SAM's N×N grid — in each hierarchy, the 3 best-scored regions on the way from the
//      prompt's superpixel to the root — plus one prompt inside every other region whose score passes
//      the predicted-IoU threshold (prompts cost nothing here; an 8×8 grid misses most accessories).
//   4. Score = the region-quality model (gradient-boosted trees over the node's features, among them
//      its agreement with the hierarchies of the other superpixel scales): the probability that the
//      region covers an item with IoU >= 0.5. Predicted IoU is a linear map of it that puts SAM's
//      default 0.88 at a useful cut; regions of 5% of the image or more take the larger of that and
//      v2's logistic score (node_predicted_iou, classic_internal.h).
//   5. SAM's filters in SAM's order: predicted IoU, stability, area, box NMS, holes and islands;
//      then the region quality filters and outfit contexts (segment_common.h).
//
// Logits. For a candidate region R (height h, parent height hp) prompted at leaf s, the logit of a
// pixel p is K · (log τ − log max(floor, j(p))), where j(p) is the height at which p's superpixel
// joins s's region and τ = sqrt(h · hp). Thresholding at 0 gives R exactly; thresholding at ±offset
// gives the regions that exist a factor e^(offset/K) below and above τ, so SAM's stability score
// (IoU of the two) measures how long the region survives merging. The hierarchy gives those masks
// directly (RegionHierarchy::region_below), so nothing is painted per candidate; classic_test proves
// the shortcut equal to stability_score() and binarize() on the painted logits.
#include "segment/classic_segmenter.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "ensemble/segment/mask_filters.h"
#include "segment/classic_internal.h"
#include "segment/segment_common.h"

namespace ensemble::segment {
namespace {

using namespace classic;

struct Prompted {
  int tree;
  int node;
  int leaf;
  cv::Point2f point;
};

}  // namespace

classic::CandidateAreas classic::candidate_areas(const SegmenterConfig& config, double image_pixels) {
  CandidateAreas a;
  a.min = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(config.min_area_frac * image_pixels)));
  a.max = static_cast<std::int64_t>(config.max_area_frac * image_pixels);
  return a;
}

SegmentationResult classic::segment_classic(const cv::Mat& input, const SegmenterConfig& config,
                                            const NodeScoreOverride* override_score) {
  const cv::Mat bgr = to_bgr8(input);
  const double scale =
      std::min(1.0, static_cast<double>(config.classic_work_size) / std::max(bgr.cols, bgr.rows));
  cv::Mat work = bgr;
  if (scale < 1.0) {
    cv::resize(bgr, work, cv::Size(std::max(1, static_cast<int>(std::lround(bgr.cols * scale))),
                                   std::max(1, static_cast<int>(std::lround(bgr.rows * scale)))),
               0, 0, cv::INTER_AREA);
  }
  const Features features = make_features(work);
  const std::vector<RegionHierarchy> trees = build_hierarchies(features);

  const double pixels = static_cast<double>(work.total());
  const CandidateAreas areas = candidate_areas(config, pixels);
  FilterStats stats;
  std::vector<Prompted> prompted;
  std::set<std::pair<int, int>> taken;
  auto add = [&](int t, int node, int leaf, cv::Point2f point) {
    if (taken.insert({t, node}).second) prompted.push_back({t, node, leaf, point});
  };
  auto eligible = [&](const RegionHierarchy& tree, int i) { return areas.admit(tree, i); };

  const std::vector<std::vector<float>> agreement = consensus(trees, areas.min, areas.max);
  // Per tree and node: the region-quality model's probability and the predicted IoU (classic_internal.h).
  std::vector<std::vector<float>> item_prob(trees.size()), pred(trees.size());
  for (int t = 0; t < static_cast<int>(trees.size()); ++t) {
    item_prob[t].assign(trees[t].nodes().size(), 0.f);
    pred[t].assign(trees[t].nodes().size(), 0.f);
    const std::vector<float> given = override_score ? (*override_score)(t, trees[t]) : std::vector<float>();
    for (int i = 0; i < static_cast<int>(trees[t].nodes().size()); ++i) {
      if (!eligible(trees[t], i)) continue;
      if (override_score) {
        item_prob[t][i] = given.at(static_cast<std::size_t>(i));
        pred[t][i] = predicted_iou(item_prob[t][i]);
      } else {
        item_prob[t][i] = region_quality(node_features(trees[t], i, pixels, t, agreement[t][i]));
        pred[t][i] = node_predicted_iou(trees[t], i, pixels, item_prob[t][i], agreement[t][i]);
      }
    }
  }
  const std::vector<cv::Point2f> grid = grid_points_for_image(config.points_per_side, work.size());
  for (int t = 0; t < static_cast<int>(trees.size()); ++t) {
    const RegionHierarchy& tree = trees[t];
    for (const auto& p : grid) {
      const cv::Point px(std::min(work.cols - 1, static_cast<int>(p.x)),
                         std::min(work.rows - 1, static_cast<int>(p.y)));
      const int leaf = tree.leaf_at(px);
      std::vector<std::pair<float, int>> path;  // (score, node)
      for (int i = leaf; i >= 0; i = tree.nodes()[i].parent) {
        if (eligible(tree, i)) path.emplace_back(pred[t][i], i);
      }
      std::stable_sort(path.begin(), path.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      stats.candidates += 3;
      for (std::size_t k = 0; k < std::min<std::size_t>(3, path.size()); ++k) add(t, path[k].second, leaf, p);
    }
    // Prompts cost nothing here: also prompt inside every persistent region that no grid point
    // reached, as a denser grid would (8×8 grid points miss most watches and sunglasses).
    for (int i = 0; i < static_cast<int>(tree.nodes().size()); ++i) {
      if (taken.count({t, i}) || !eligible(tree, i) ||
          pred[t][i] <= config.pred_iou_thresh) {
        continue;
      }
      int leaf = i;
      while (leaf >= tree.leaf_count()) {
        const auto& nd = tree.nodes()[leaf];
        leaf = tree.nodes()[nd.left].area >= tree.nodes()[nd.right].area ? nd.left : nd.right;
      }
      const cv::Rect b = tree.nodes()[leaf].box;
      ++stats.candidates;
      add(t, i, leaf, cv::Point2f(b.x + b.width / 2.f, b.y + b.height / 2.f));
    }
  }
  stats.add("unique", static_cast<std::int64_t>(prompted.size()));

  // SAM's filters, in SAM's order. Predicted IoU and stability come from the hierarchy.
  std::vector<Prompted> scored;
  std::vector<MaskCandidate> cands;
  for (const Prompted& pr : prompted) {
    MaskCandidate c;
    c.item_probability = item_prob[pr.tree][pr.node];
    c.predicted_iou = pred[pr.tree][pr.node];
    c.point = pr.point;
    cands.push_back(std::move(c));
    scored.push_back(pr);
  }
  auto keep_where = [&](auto&& pred) {
    std::vector<Prompted> p2;
    std::vector<MaskCandidate> c2;
    for (std::size_t i = 0; i < cands.size(); ++i) {
      if (pred(cands[i], scored[i])) {
        p2.push_back(scored[i]);
        c2.push_back(std::move(cands[i]));
      }
    }
    scored = std::move(p2);
    cands = std::move(c2);
    return static_cast<std::int64_t>(cands.size());
  };
  stats.add("pred_iou", keep_where([&](const MaskCandidate& c, const Prompted&) {
              return config.pred_iou_thresh <= 0.f || c.predicted_iou > config.pred_iou_thresh;
            }));
  stats.add("stability", keep_where([&](MaskCandidate& c, const Prompted& p) {
              c.stability = stability(trees[p.tree], p.node, p.leaf, config.mask_threshold,
                                      config.stability_score_offset);
              return config.stability_score_thresh <= 0.f || c.stability >= config.stability_score_thresh;
            }));
  // The area filter on the regions' known areas, before any mask is drawn.
  stats.add("area", keep_where([&](MaskCandidate& c, const Prompted& p) {
              const int region = region_at_logit(trees[p.tree], p.node, p.leaf, config.mask_threshold);
              c.area = region < 0 ? 0 : trees[p.tree].nodes()[region].area;
              const double frac = static_cast<double>(c.area) / pixels;
              return frac >= config.min_area_frac && frac <= config.max_area_frac;
            }));
  for (std::size_t i = 0; i < cands.size(); ++i) {
    const Prompted& p = scored[i];
    cands[i].mask = trees[p.tree].mask(region_at_logit(trees[p.tree], p.node, p.leaf, config.mask_threshold));
    cands[i].box = mask_box(cands[i].mask);
  }
  run_nms_and_cleanup(cands, config, stats);
  // Pairs (shoes, sunglasses) from the survivors: their union is one product.
  add_pair_unions(cands, features.lab8);
  stats.add("pairs", static_cast<std::int64_t>(cands.size()));
  return finish_segmentation(std::move(cands), work, bgr.size(), config, std::move(stats));
}

namespace {

class ClassicSegmenter final : public Segmenter {
 public:
  explicit ClassicSegmenter(const SegmenterConfig& config) : config_(config) {}

  SegmentationResult segment(const cv::Mat& input) const override {
    return segment_classic(input, config_, nullptr);
  }

  std::string id() const override { return kClassicSegmenterId; }
  const SegmenterConfig& config() const override { return config_; }

 private:
  SegmenterConfig config_;
};

}  // namespace

std::unique_ptr<Segmenter> make_classic_segmenter(const SegmenterConfig& config) {
  config.validate();
  return std::make_unique<ClassicSegmenter>(config);
}

}  // namespace ensemble::segment
