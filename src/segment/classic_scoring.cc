// How the classical segmenter scores hierarchy nodes as SAM-like candidates: logits and stability
// from merge heights, the fitted IoU model, and the agreement between hierarchies.
#include <algorithm>
#include <cmath>

#include "ensemble/segment/mask_filters.h"
#include "segment/classic_internal.h"

namespace ensemble::segment::classic {
namespace {

struct RegionModelNode {
  int feature;  // -1: a leaf
  float threshold;
  int left, right;
  float value;
};
#include "segment/classic_region_model.inc"
static_assert(kRegionModelFeatures == kNodeFeatureCount,
              "classic_region_model.inc was fitted on other features: rerun scripts/fit_region_model.py");

}  // namespace

float region_quality(const std::array<float, kNodeFeatureCount>& f) {
  float total = kRegionModelBase;
  for (std::size_t t = 0; t + 1 < std::size(kRegionModelTreeStart); ++t) {
    const RegionModelNode* tree = kRegionModelNodes + kRegionModelTreeStart[t];
    int i = 0;
    while (tree[i].feature >= 0) i = f[static_cast<std::size_t>(tree[i].feature)] <= tree[i].threshold ? tree[i].left : tree[i].right;
    total += tree[i].value;
  }
  if (kRegionModelLogOdds) return 1.f / (1.f + std::exp(-total));
  return std::clamp(total, 0.f, 1.f);
}

float tau_of(const RegionHierarchy& tree, int node) {
  const auto& nodes = tree.nodes();
  const float h = std::max(kHeightFloor, nodes[node].height);
  const float hp = nodes[node].parent < 0 ? h * 4.f : std::max(h, nodes[nodes[node].parent].height);
  return std::sqrt(h * hp);
}

float life_of(const RegionHierarchy& tree, int node) {
  const auto& nodes = tree.nodes();
  if (nodes[node].parent < 0) return 0.f;
  const float h = std::max(kHeightFloor, nodes[node].height);
  return std::log(std::max(h, nodes[nodes[node].parent].height) / h);
}

std::vector<float> leaf_logits(const RegionHierarchy& tree, int node, int seed_leaf) {
  const std::vector<float> join = tree.join_heights(seed_leaf);
  const float log_tau = std::log(tau_of(tree, node));
  std::vector<float> logit(join.size());
  for (std::size_t l = 0; l < join.size(); ++l) {
    logit[l] = kLogitPerLogHeight * (log_tau - std::log(std::max(kHeightFloor, join[l])));
  }
  return logit;
}

int region_at_logit(const RegionHierarchy& tree, int node, int seed_leaf, float logit_threshold) {
  return tree.region_below(seed_leaf, tau_of(tree, node) * std::exp(-logit_threshold / kLogitPerLogHeight),
                           kHeightFloor);
}

float stability(const RegionHierarchy& tree, int node, int seed_leaf, float mask_threshold, float offset) {
  const int strict = region_at_logit(tree, node, seed_leaf, mask_threshold + offset);
  const int loose = region_at_logit(tree, node, seed_leaf, mask_threshold - offset);
  if (loose < 0) return 0.f;
  const auto& nodes = tree.nodes();
  const double a = strict < 0 ? 0.0 : static_cast<double>(nodes[strict].area);
  return static_cast<float>(a / static_cast<double>(nodes[loose].area));
}

std::array<float, kNodeFeatureCount> node_features(const RegionHierarchy& tree, int node, double image_pixels,
                                                   int scale_index, float agreement) {
  const auto& nodes = tree.nodes();
  const HierarchyNode& n = nodes[node];
  const HierarchyNode* parent = n.parent >= 0 ? &nodes[n.parent] : nullptr;
  const double area = static_cast<double>(std::max<std::int64_t>(1, n.area));
  const HierarchyNode* sibling = nullptr;
  if (parent) sibling = &nodes[parent->left == node ? parent->right : parent->left];
  const cv::Size image = tree.labels().size();
  const int sides = (n.box.x <= 0) + (n.box.y <= 0) + (n.box.x + n.box.width >= image.width) +
                    (n.box.y + n.box.height >= image.height);
  const double balance =
      n.left < 0 ? 0.0
                 : static_cast<double>(std::min(nodes[n.left].area, nodes[n.right].area)) / area;
  const float ph = parent ? parent->height : n.height;
  return {static_cast<float>(std::log(area / image_pixels)),
          n.height,
          ph,
          std::min(3.f, life_of(tree, node)),
          ph - n.height,
          static_cast<float>(n.mean_outline_contrast() / 50.0),
          static_cast<float>(n.mean_inside_contrast() / 50.0),
          static_cast<float>(area / std::max(1, n.box.area())),
          static_cast<float>(n.outline_length / std::sqrt(area) / 10.0),
          n.mean_prior[0],
          n.mean_prior[1],
          node < tree.leaf_count() ? 1.f : 0.f,
          agreement,
          parent ? static_cast<float>(std::log(area / static_cast<double>(std::max<std::int64_t>(1, parent->area)))) : 0.f,
          static_cast<float>(std::log(std::max(1, n.box.height) / static_cast<double>(std::max(1, n.box.width)))),
          static_cast<float>(sides) / 4.f,
          static_cast<float>(scale_index),
          sibling ? static_cast<float>(cv::norm(n.mean_lab - sibling->mean_lab) / 50.0) : 0.f,
          static_cast<float>(balance)};
}

float v2_score(const RegionHierarchy& tree, int node, double image_pixels, float agreement) {
  const HierarchyNode& n = tree.nodes()[node];
  if (n.parent < 0 || n.area <= 0) return 0.f;
  const HierarchyNode& parent = tree.nodes()[n.parent];
  const double la = std::log(static_cast<double>(n.area) / image_pixels);
  const double f[] = {1.0,
                      la,
                      la * la,
                      n.height,
                      parent.height,
                      std::min(3.0, static_cast<double>(life_of(tree, node))),
                      parent.height - n.height,
                      n.mean_outline_contrast() / 50.0,
                      n.mean_inside_contrast() / 50.0,
                      static_cast<double>(n.area) / std::max(1, n.box.area()),
                      n.outline_length / std::sqrt(static_cast<double>(n.area)) / 10.0,
                      n.mean_prior[0],
                      n.mean_prior[1],
                      node < tree.leaf_count() ? 1.0 : 0.0};
  static constexpr double kWeights[] = {0.43024, -0.03465, -0.06861, 0.17546, 0.08207, -0.13228, -0.11251,
                                        0.83341, -0.22069, -0.23216, -0.55109, -0.65987, -5.24029, -0.12706};
  double z = 0;
  for (std::size_t i = 0; i < std::size(kWeights); ++i) z += kWeights[i] * f[i];
  return static_cast<float>(1.0 / (1.0 + std::exp(-z))) * agreement * agreement;
}

float v2_predicted_iou(float v2_score) { return std::clamp(0.88f + 0.24f * (v2_score - 0.02f), 0.f, 1.f); }

float node_predicted_iou(const RegionHierarchy& tree, int node, double image_pixels, float item_probability,
                         float agreement) {
  const float p = predicted_iou(item_probability);
  if (static_cast<double>(tree.nodes()[node].area) < kV2MinAreaFrac * image_pixels) return p;
  return std::max(p, v2_predicted_iou(v2_score(tree, node, image_pixels, agreement)));
}

float predicted_iou(float score) {
  return std::clamp(0.88f + 0.12f * (score - kScoreAtSamThreshold) / (1.f - kScoreAtSamThreshold), 0.f, 1.f);
}

std::vector<std::vector<float>> consensus(const std::vector<RegionHierarchy>& trees, std::int64_t min_area,
                                          std::int64_t max_area) {
  struct Entry {
    std::int64_t area;
    cv::Rect box;
  };
  std::vector<std::vector<Entry>> by_area(trees.size());
  for (std::size_t t = 0; t < trees.size(); ++t) {
    for (const auto& n : trees[t].nodes()) {
      if (n.area >= min_area && n.area <= max_area) by_area[t].push_back({n.area, n.box});
    }
    std::sort(by_area[t].begin(), by_area[t].end(), [](const Entry& a, const Entry& b) { return a.area < b.area; });
  }
  std::vector<std::vector<float>> out(trees.size());
  for (std::size_t t = 0; t < trees.size(); ++t) {
    const auto& nodes = trees[t].nodes();
    out[t].assign(nodes.size(), 0.f);
    if (trees.size() < 2) continue;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const auto& n = nodes[i];
      if (n.area < min_area || n.area > max_area) continue;
      std::vector<double> matches;
      for (std::size_t u = 0; u < trees.size(); ++u) {
        if (u == t) continue;
        const auto lo = std::lower_bound(by_area[u].begin(), by_area[u].end(), 0.7 * static_cast<double>(n.area),
                                         [](const Entry& e, double a) { return static_cast<double>(e.area) < a; });
        double best = 0;
        for (auto it = lo; it != by_area[u].end() && static_cast<double>(it->area) <= static_cast<double>(n.area) / 0.7; ++it) {
          const double ratio = static_cast<double>(std::min(n.area, it->area)) / static_cast<double>(std::max(n.area, it->area));
          best = std::max(best, static_cast<double>(box_iou(n.box, it->box)) * ratio);
        }
        matches.push_back(best);
      }
      // The best matches but one: a small accessory that the coarsest superpixels swallow still
      // counts as found.
      std::sort(matches.begin(), matches.end(), std::greater<>());
      const std::size_t use = std::max<std::size_t>(1, matches.size() - (matches.size() > 1 ? 1 : 0));
      double total = 0;
      for (std::size_t k = 0; k < use; ++k) total += matches[k];
      out[t][i] = static_cast<float>(total / static_cast<double>(use));
    }
  }
  return out;
}

}  // namespace ensemble::segment::classic
