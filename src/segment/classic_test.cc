// The classical segmenter: its SAM-shaped scores, and what it finds on small drawn images.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <random>
#include <thread>

#include "ensemble/segment/mask_filters.h"
#include "ensemble/segment/segmenter.h"
#include "segment/classic_internal.h"

namespace ensemble::segment {
namespace {

// A light, slightly noisy backdrop with a "figure" of three garments and an accessory. Returns the
// garments' rectangles through `items` (image coordinates).
cv::Mat draw_scene(cv::Size size, int figure_x, std::vector<cv::Rect>* items, cv::Mat canvas = {}) {
  if (canvas.empty()) {
    canvas = cv::Mat(size, CV_8UC3);
    for (int y = 0; y < size.height; ++y) {
      for (int x = 0; x < size.width; ++x) {
        canvas.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(200 + y * 30 / size.height),
                                               static_cast<uchar>(205 + x * 20 / size.width), 210);
      }
    }
    cv::Mat noise(size, CV_8UC3);
    cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(3));
    canvas += noise;
  }
  const cv::Rect top(figure_x, 40, 70, 60), trousers(figure_x + 10, 100, 50, 110), bag(figure_x + 80, 110, 30, 28);
  cv::rectangle(canvas, top, cv::Scalar(40, 40, 200), cv::FILLED);        // red top
  for (int y = top.y; y < top.y + top.height; y += 10) {                  // with white stripes
    cv::rectangle(canvas, cv::Rect(top.x, y, top.width, 4), cv::Scalar(235, 235, 235), cv::FILLED);
  }
  cv::rectangle(canvas, trousers, cv::Scalar(120, 60, 20), cv::FILLED);   // navy trousers
  cv::rectangle(canvas, bag, cv::Scalar(30, 180, 230), cv::FILLED);       // yellow bag
  if (items) {
    items->push_back(top);
    items->push_back(trousers);
    items->push_back(bag);
  }
  return canvas;
}

double best_iou(const SegmentationResult& r, const cv::Rect& item, int* context = nullptr) {
  cv::Mat m = cv::Mat::zeros(r.size, CV_8UC1);
  m(item).setTo(255);
  double best = 0;
  for (const auto& reg : r.regions) {
    if (!reg.kept) continue;
    const double iou = mask_iou(reg.mask, m);
    if (iou > best) {
      best = iou;
      if (context) *context = reg.context;
    }
  }
  return best;
}

TEST(Classic, FindsEachGarmentOfADrawnFigure) {
  std::vector<cv::Rect> items;
  const cv::Mat image = draw_scene({240, 260}, 70, &items);
  const auto seg = make_segmenter("classic");
  const SegmentationResult r = seg->segment(image);
  ASSERT_EQ(r.size, image.size());
  EXPECT_GE(r.kept_count(), 3);
  EXPECT_LE(r.kept_count(), seg->config().max_regions);
  for (const auto& item : items) EXPECT_GE(best_iou(r, item), 0.8) << item;
  // Kept regions come largest first, at image size, with consistent boxes and areas.
  for (std::size_t i = 0; i < r.regions.size(); ++i) {
    const Region& reg = r.regions[i];
    EXPECT_EQ(reg.mask.size(), image.size());
    EXPECT_EQ(reg.area, cv::countNonZero(reg.mask));
    EXPECT_EQ(reg.bbox, cv::boundingRect(reg.mask));
    EXPECT_GT(reg.predicted_iou, seg->config().pred_iou_thresh);
    EXPECT_GE(reg.stability, seg->config().stability_score_thresh);
    if (i > 0) {
      EXPECT_LE(reg.area, r.regions[i - 1].area);
    }
  }
  EXPECT_EQ(r.contexts, 1);
  EXPECT_GT(r.stats.candidates, 3 * 64);
  EXPECT_EQ(r.stats.kept_after("cap"), r.kept_count());
}

// eval_segment --oracle replaces the score: what the override rates is what passes SAM's
// predicted-IoU cut, and without an override segment_classic is the segmenter.
TEST(Classic, ScoreOverrideDecidesWhichRegionsPass) {
  std::vector<cv::Rect> items;
  const cv::Mat image = draw_scene({240, 260}, 70, &items);
  const cv::Rect bag = items[2];
  const SegmenterConfig config;
  int calls = 0;
  const classic::NodeScoreOverride only_the_bag = [&](int scale_index, const RegionHierarchy& tree) {
    EXPECT_EQ(scale_index, calls);
    ++calls;
    cv::Mat truth = cv::Mat::zeros(tree.labels().size(), CV_8UC1);
    truth(bag).setTo(255);
    std::vector<float> p(tree.nodes().size(), 0.f);
    for (std::size_t n = 0; n < p.size(); ++n) {
      if (mask_iou(tree.mask(static_cast<int>(n)), truth) >= 0.8) p[n] = 1.f;
    }
    return p;
  };
  const SegmentationResult r = classic::segment_classic(image, config, &only_the_bag);
  EXPECT_EQ(calls, static_cast<int>(std::size(classic::kSuperpixelScales)));
  ASSERT_GE(r.kept_count(), 1);
  cv::Mat truth = cv::Mat::zeros(image.size(), CV_8UC1);
  truth(bag).setTo(255);
  for (const auto& reg : r.regions) EXPECT_GE(mask_iou(reg.mask, truth), 0.8);
  EXPECT_GE(best_iou(r, bag), 0.8);
  EXPECT_LT(best_iou(r, items[0]), 0.1);

  const SegmentationResult plain = classic::segment_classic(image, config, nullptr);
  const SegmentationResult via_factory = make_segmenter("classic")->segment(image);
  ASSERT_EQ(plain.regions.size(), via_factory.regions.size());
  for (std::size_t i = 0; i < plain.regions.size(); ++i) {
    EXPECT_EQ(cv::countNonZero(plain.regions[i].mask != via_factory.regions[i].mask), 0);
  }
  EXPECT_GT(plain.kept_count(), r.kept_count());
}

TEST(Classic, ScalesMasksBackToLargeImagesAndSeparatesTwoOutfits) {
  std::vector<cv::Rect> left, right;
  cv::Mat image = draw_scene({560, 260}, 60, &left);
  image = draw_scene({560, 260}, 360, &right, image);
  cv::Mat big;
  // 1120 px: 3.5 times the work size, so a 30-px bag is 17 px where the segmenter looks at it and its
  // edges blur by a pixel or two of the work image (IoU 0.6-0.7 here, against 0.8 at native size).
  cv::resize(image, big, cv::Size(), 2.0, 2.0, cv::INTER_LINEAR);
  const SegmentationResult r = make_segmenter("classic")->segment(big);
  ASSERT_EQ(r.size, big.size());
  EXPECT_EQ(r.contexts, 2);
  for (const auto& item : left) {
    int ctx = -1;
    EXPECT_GE(best_iou(r, cv::Rect(item.x * 2, item.y * 2, item.width * 2, item.height * 2), &ctx), 0.6) << item;
    EXPECT_EQ(ctx, 0);
  }
  for (const auto& item : right) {
    int ctx = -1;
    EXPECT_GE(best_iou(r, cv::Rect(item.x * 2, item.y * 2, item.width * 2, item.height * 2), &ctx), 0.6) << item;
    EXPECT_EQ(ctx, 1);
  }
}

TEST(Classic, DeterministicAndSafeFromManyThreads) {
  const cv::Mat image = draw_scene({200, 240}, 50, nullptr);
  const auto seg = make_segmenter("classic");
  const SegmentationResult first = seg->segment(image);
  std::vector<SegmentationResult> results(4);
  std::vector<std::thread> threads;
  for (auto& out : results) threads.emplace_back([&] { out = seg->segment(image); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_EQ(r.regions.size(), first.regions.size());
    EXPECT_EQ(r.stats.to_json(), first.stats.to_json());
    for (std::size_t i = 0; i < r.regions.size(); ++i) {
      EXPECT_EQ(cv::countNonZero(r.regions[i].mask != first.regions[i].mask), 0);
      EXPECT_EQ(r.regions[i].predicted_iou, first.regions[i].predicted_iou);
    }
  }
}

TEST(Classic, TinyFlatAndGrayImagesGiveResultsNotErrors) {
  const auto seg = make_segmenter("classic");
  EXPECT_EQ(seg->segment(cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3))).size, cv::Size(1, 1));
  const SegmentationResult flat = seg->segment(cv::Mat(50, 40, CV_8UC3, cv::Scalar(90, 90, 90)));
  EXPECT_EQ(flat.kept_count(), 0);  // nothing but background
  EXPECT_EQ(flat.contexts, 0);
  cv::Mat gray(120, 100, CV_8UC1, cv::Scalar(230));
  cv::circle(gray, {50, 60}, 25, cv::Scalar(30), cv::FILLED);
  const SegmentationResult g = seg->segment(gray);
  EXPECT_GE(g.kept_count(), 1);
  cv::Mat bgra(120, 100, CV_8UC4, cv::Scalar(230, 230, 230, 255));
  EXPECT_NO_THROW(seg->segment(bgra));
}

TEST(Classic, KeepDroppedReturnsFilteredRegionsWithReasons) {
  SegmenterConfig cfg;
  cfg.keep_dropped = true;
  cfg.max_regions = 1;
  const SegmentationResult r = make_segmenter("classic", cfg)->segment(draw_scene({240, 260}, 70, nullptr));
  EXPECT_EQ(r.kept_count(), 1);
  ASSERT_GT(r.regions.size(), 1u);
  EXPECT_TRUE(r.regions[0].kept);
  for (std::size_t i = 1; i < r.regions.size(); ++i) {
    EXPECT_FALSE(r.regions[i].kept);
    EXPECT_FALSE(r.regions[i].drop_reason.empty());
    EXPECT_EQ(r.regions[i].context, -1);
  }
}

TEST(ClassicPairs, PairsAreSideBySideAlikeAndDisjoint) {
  const double pixels = 320.0 * 240.0;
  const cv::Vec3f dark(40, 128, 128);
  const classic::PairPart left{400, {100, 150, 25, 20}, dark};
  classic::PairPart right{380, {135, 152, 24, 19}, dark + cv::Vec3f(5, 3, 0)};
  EXPECT_TRUE(classic::is_pair(left, right, pixels));
  EXPECT_TRUE(classic::is_pair(right, left, pixels));
  classic::PairPart other = right;
  other.mean_lab = cv::Vec3f(200, 150, 128);  // another colour
  EXPECT_FALSE(classic::is_pair(left, other, pixels));
  other = right;
  other.box.y += 15;  // one above the other
  EXPECT_FALSE(classic::is_pair(left, other, pixels));
  other = right;
  other.box.x = 200;  // too far apart: a gap of 75 px for 25-px parts
  EXPECT_FALSE(classic::is_pair(left, other, pixels));
  other = right;
  other.area = 150;  // much smaller
  EXPECT_FALSE(classic::is_pair(left, other, pixels));
  classic::PairPart big_left = left, big_right = right;
  big_left.area = big_right.area = static_cast<std::int64_t>(0.06 * pixels);  // garments, not a pair
  EXPECT_FALSE(classic::is_pair(big_left, big_right, pixels));
}

TEST(ClassicPairs, UnionOfTwoShoesIsAddedOnce) {
  cv::Mat lab(120, 160, CV_8UC3, cv::Scalar(220, 128, 128));
  const cv::Rect shoe_l(30, 80, 24, 14), shoe_r(62, 81, 24, 14), top(40, 10, 60, 50);
  lab(shoe_l).setTo(cv::Scalar(40, 130, 125));
  lab(shoe_r).setTo(cv::Scalar(42, 130, 125));
  lab(top).setTo(cv::Scalar(120, 170, 150));
  auto cand = [&](const cv::Rect& r, float score) {
    MaskCandidate c;
    c.mask = cv::Mat::zeros(lab.size(), CV_8UC1);
    c.mask(r).setTo(255);
    c.box = r;
    c.area = r.area();
    c.predicted_iou = score;
    c.stability = score;
    return c;
  };
  std::vector<MaskCandidate> c{cand(top, 0.99f), cand(shoe_l, 0.97f), cand(shoe_r, 0.95f),
                               cand(shoe_l, 0.93f)};  // the left shoe again, from another hierarchy
  EXPECT_EQ(classic::add_pair_unions(c, lab), 1u);
  ASSERT_EQ(c.size(), 5u);
  const MaskCandidate& u = c.back();
  EXPECT_EQ(u.area, shoe_l.area() + shoe_r.area());
  EXPECT_EQ(u.box, shoe_l | shoe_r);
  EXPECT_EQ(cv::countNonZero(u.mask), u.area);
  EXPECT_FLOAT_EQ(u.predicted_iou, 0.95f);  // the weaker half's scores
  EXPECT_FLOAT_EQ(u.stability, 0.95f);
}

// The shortcut the segmenter takes (masks and stability straight from the hierarchy) equals SAM's
// own functions on the painted logits.
TEST(ClassicScoring, HierarchyShortcutEqualsSamFunctionsOnPaintedLogits) {
  const cv::Mat image = draw_scene({160, 180}, 30, nullptr);
  const classic::Features f = classic::make_features(image);
  const std::vector<RegionHierarchy> trees = classic::build_hierarchies(f);
  ASSERT_EQ(trees.size(), std::size(classic::kSuperpixelScales));
  std::mt19937 rng(3);
  int checked = 0;
  for (const RegionHierarchy& tree : trees) {
    const auto& nodes = tree.nodes();
    for (int trial = 0; trial < 40; ++trial) {
      const int node = static_cast<int>(rng() % nodes.size());
      // A seed leaf under the node.
      int leaf = node;
      while (leaf >= tree.leaf_count()) leaf = (rng() % 2) ? nodes[leaf].left : nodes[leaf].right;
      const cv::Mat logits = tree.paint(classic::leaf_logits(tree, node, leaf));
      for (float offset : {1.0f, 0.5f, 3.0f}) {
        EXPECT_NEAR(classic::stability(tree, node, leaf, 0.f, offset), stability_score(logits, 0.f, offset), 1e-6);
      }
      std::vector<MaskCandidate> c(1);
      c[0].logits = logits.clone();
      binarize(c, 0.f);
      const int region = classic::region_at_logit(tree, node, leaf, 0.f);
      if (region < 0) {
        // No region of the hierarchy lies above the threshold: SAM's binarisation is empty too.
        EXPECT_EQ(cv::countNonZero(c[0].mask), 0);
        ++checked;
        continue;
      }
      EXPECT_EQ(cv::countNonZero(c[0].mask != tree.mask(region)), 0);
      if (nodes[node].parent >= 0 && nodes[nodes[node].parent].height > std::max(classic::kHeightFloor, nodes[node].height)) {
        EXPECT_EQ(region, node);  // threshold 0 gives the candidate itself
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 40 * static_cast<int>(trees.size()));
}

TEST(ClassicScoring, PredictedIouMapAndAgreement) {
  EXPECT_FLOAT_EQ(classic::predicted_iou(classic::kScoreAtSamThreshold), 0.88f);
  EXPECT_LT(classic::predicted_iou(classic::kScoreAtSamThreshold / 2), 0.88f);
  EXPECT_GT(classic::predicted_iou(0.5f), classic::predicted_iou(0.2f));
  EXPECT_FLOAT_EQ(classic::predicted_iou(1.f), 1.f);
  EXPECT_FLOAT_EQ(classic::predicted_iou(10.f), 1.f);
  EXPECT_FLOAT_EQ(classic::predicted_iou(-10.f), 0.f);
  const cv::Mat image = draw_scene({160, 180}, 30, nullptr);
  const std::vector<RegionHierarchy> trees = classic::build_hierarchies(classic::make_features(image));
  const auto agreement = classic::consensus(trees, 10, 160 * 180);
  ASSERT_EQ(agreement.size(), trees.size());
  // The bag (a flat rectangle) is found at every superpixel scale: agreement near 1.
  const cv::Rect bag(110, 110, 30, 28);
  float best = 0;
  for (std::size_t t = 0; t < trees.size(); ++t) {
    for (std::size_t i = 0; i < trees[t].nodes().size(); ++i) {
      if (box_iou(trees[t].nodes()[i].box, bag) > 0.9f) best = std::max(best, agreement[t][i]);
      EXPECT_GE(agreement[t][i], 0.f);
      EXPECT_LE(agreement[t][i], 1.f);
    }
  }
  EXPECT_GT(best, 0.8f);
}

// The region-quality model ranks the drawn garments' regions above the rest: over the hierarchies
// (whose candidates the segmenter pools), each garment's best node (box IoU > 0.9 with it) scores
// higher than nine in ten nodes, and higher than any piece of the backdrop.
TEST(ClassicScoring, TheQualityModelRanksGarmentsAboveTheRest) {
  std::vector<cv::Rect> items;
  const cv::Mat image = draw_scene({160, 220}, 30, &items);
  const std::vector<RegionHierarchy> trees = classic::build_hierarchies(classic::make_features(image));
  const double pixels = static_cast<double>(image.total());
  const auto agreement = classic::consensus(trees, 10, 160 * 220);
  std::vector<float> scores;
  float backdrop = 0;
  std::vector<float> item_best(items.size(), -1.f);
  for (std::size_t t = 0; t < trees.size(); ++t) {
    const auto& nodes = trees[t].nodes();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].parent < 0 || nodes[i].area < 10) continue;
      const auto f = classic::node_features(trees[t], static_cast<int>(i), pixels, static_cast<int>(t), agreement[t][i]);
      ASSERT_EQ(f[11], i < static_cast<std::size_t>(trees[t].leaf_count()) ? 1.f : 0.f);  // "leaf"
      const float q = classic::region_quality(f);
      ASSERT_GE(q, 0.f);
      ASSERT_LE(q, 1.f);
      scores.push_back(q);
      // Predicted IoU: the model's alone below kV2MinAreaFrac of the image, at least v2's above.
      const int node = static_cast<int>(i);
      const float p = classic::node_predicted_iou(trees[t], node, pixels, q, agreement[t][i]);
      if (static_cast<double>(nodes[i].area) < classic::kV2MinAreaFrac * pixels) {
        ASSERT_FLOAT_EQ(p, classic::predicted_iou(q));
      } else {
        const float v2 = classic::v2_predicted_iou(classic::v2_score(trees[t], node, pixels, agreement[t][i]));
        ASSERT_FLOAT_EQ(p, std::max(classic::predicted_iou(q), v2));
      }
      bool on_item = false;
      for (std::size_t k = 0; k < items.size(); ++k) {
        if (box_iou(nodes[i].box, items[k]) > 0.9f) item_best[k] = std::max(item_best[k], q);
        on_item = on_item || (nodes[i].box & items[k]).area() > 0;
      }
      if (!on_item) backdrop = std::max(backdrop, q);
    }
  }
  std::sort(scores.begin(), scores.end());
  const float p90 = scores[scores.size() * 9 / 10];
  for (std::size_t k = 0; k < items.size(); ++k) {
    EXPECT_GT(item_best[k], p90) << "item " << k;
    EXPECT_GT(item_best[k], backdrop) << "item " << k;
  }
}

}  // namespace
}  // namespace ensemble::segment
