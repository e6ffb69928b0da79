#include "ensemble/segment/mask_filters.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <random>

namespace ensemble::segment {
namespace {

cv::Mat rect_mask(cv::Size size, cv::Rect r) {
  cv::Mat m = cv::Mat::zeros(size, CV_8UC1);
  m(r).setTo(255);
  return m;
}

MaskCandidate cand(cv::Size size, cv::Rect r, float iou) {
  MaskCandidate c;
  c.mask = rect_mask(size, r);
  c.box = mask_box(c.mask);
  c.area = cv::countNonZero(c.mask);
  c.predicted_iou = iou;
  return c;
}

TEST(PointGrid, MatchesSamBuildPointGrid) {
  const auto g1 = build_point_grid(1);
  ASSERT_EQ(g1.size(), 1u);
  EXPECT_FLOAT_EQ(g1[0].x, 0.5f);
  EXPECT_FLOAT_EQ(g1[0].y, 0.5f);

  const auto g2 = build_point_grid(2);
  ASSERT_EQ(g2.size(), 4u);
  // y outer, x inner: (0.25,0.25) (0.75,0.25) (0.25,0.75) (0.75,0.75)
  EXPECT_FLOAT_EQ(g2[0].x, 0.25f);
  EXPECT_FLOAT_EQ(g2[1].x, 0.75f);
  EXPECT_FLOAT_EQ(g2[1].y, 0.25f);
  EXPECT_FLOAT_EQ(g2[2].x, 0.25f);
  EXPECT_FLOAT_EQ(g2[2].y, 0.75f);

  const auto g8 = build_point_grid(8);
  ASSERT_EQ(g8.size(), 64u);
  for (int i = 0; i < 64; ++i) {
    EXPECT_NEAR(g8[i].x, (2 * (i % 8) + 1) / 16.0, 1e-6);
    EXPECT_NEAR(g8[i].y, (2 * (i / 8) + 1) / 16.0, 1e-6);
  }
  EXPECT_EQ(build_point_grid(32).size(), 1024u);
}

TEST(PointGrid, ScaledToImageLikeSam) {
  const auto p = grid_points_for_image(2, cv::Size(200, 100));
  EXPECT_FLOAT_EQ(p[0].x, 50.f);
  EXPECT_FLOAT_EQ(p[0].y, 25.f);
  EXPECT_FLOAT_EQ(p[3].x, 150.f);
  EXPECT_FLOAT_EQ(p[3].y, 75.f);
}

TEST(Stability, IouOfStrictAndLooseMasks) {
  // 10 pixels at logit 5, 30 at 0.5, the rest at -5: strict (> 1) = 10, loose (> -1) = 40.
  cv::Mat logits(10, 10, CV_32F, cv::Scalar(-5));
  logits(cv::Rect(0, 0, 10, 1)).setTo(5);
  logits(cv::Rect(0, 1, 10, 3)).setTo(0.5);
  EXPECT_FLOAT_EQ(stability_score(logits, 0.f, 1.f), 0.25f);
  // A hard mask is perfectly stable.
  cv::Mat hard(10, 10, CV_32F, cv::Scalar(-20));
  hard(cv::Rect(2, 2, 4, 4)).setTo(20);
  EXPECT_FLOAT_EQ(stability_score(hard, 0.f, 1.f), 1.f);
  // An empty loose mask scores 0 (SAM's 0/0 never passes the filter either).
  EXPECT_FLOAT_EQ(stability_score(cv::Mat(4, 4, CV_32F, cv::Scalar(-9)), 0.f, 1.f), 0.f);
  // The threshold shifts both masks.
  EXPECT_FLOAT_EQ(stability_score(logits, 4.5f, 1.f), 0.f);  // strict > 5.5 empty, loose > 3.5 = 10
}

TEST(Filters, PredictedIouIsStrict) {
  const cv::Size s(8, 8);
  std::vector<MaskCandidate> c{cand(s, {0, 0, 2, 2}, 0.88f), cand(s, {0, 0, 2, 2}, 0.8801f),
                               cand(s, {0, 0, 2, 2}, 0.5f), cand(s, {0, 0, 3, 3}, 0.99f)};
  EXPECT_EQ(filter_by_predicted_iou(c, 0.88f), 2u);
  EXPECT_FLOAT_EQ(c[0].predicted_iou, 0.8801f);
  EXPECT_FLOAT_EQ(c[1].predicted_iou, 0.99f);
  std::vector<MaskCandidate> d{cand(s, {0, 0, 2, 2}, 0.1f)};
  EXPECT_EQ(filter_by_predicted_iou(d, 0.f), 1u);
}

TEST(Filters, StabilityKeepsAtOrAboveAndSetsScore) {
  std::vector<MaskCandidate> c(3);
  for (auto& m : c) m.logits = cv::Mat(10, 10, CV_32F, cv::Scalar(-5));
  c[0].logits(cv::Rect(0, 0, 10, 5)).setTo(5);  // 1.0
  c[1].logits(cv::Rect(0, 0, 10, 1)).setTo(5);  // 10 / 40 = 0.25
  c[1].logits(cv::Rect(0, 1, 10, 3)).setTo(0.5);
  c[2].logits(cv::Rect(0, 0, 10, 9)).setTo(5);   // 90 strict
  c[2].logits(cv::Rect(0, 9, 10, 1)).setTo(0.5);      // 100 loose: 0.9
  EXPECT_EQ(filter_by_stability(c, 0.f, 1.f, 0.9f), 2u);
  EXPECT_FLOAT_EQ(c[0].stability, 1.f);
  EXPECT_FLOAT_EQ(c[1].stability, 0.9f);
}

TEST(Filters, BinarizeSetsMaskBoxAreaAndReleasesLogits) {
  std::vector<MaskCandidate> c(1);
  c[0].logits = cv::Mat(6, 9, CV_32F, cv::Scalar(-1));
  c[0].logits(cv::Rect(2, 1, 3, 4)).setTo(0.5);
  c[0].logits.at<float>(0, 0) = 0.f;  // not > 0
  binarize(c, 0.f);
  EXPECT_TRUE(c[0].logits.empty());
  EXPECT_EQ(c[0].area, 12);
  EXPECT_EQ(c[0].box, cv::Rect(2, 1, 3, 4));
  EXPECT_EQ(c[0].mask.at<uchar>(1, 2), 255);
  EXPECT_EQ(c[0].mask.at<uchar>(0, 0), 0);
}

TEST(Filters, AreaFractionBounds) {
  const cv::Size s(10, 10);
  std::vector<MaskCandidate> c{cand(s, {0, 0, 1, 1}, 1), cand(s, {0, 0, 5, 2}, 1),
                               cand(s, {0, 0, 10, 9}, 1), cand(s, {0, 0, 10, 10}, 1)};
  EXPECT_EQ(filter_by_area(c, 0.1, 0.9), 2u);  // 1% out, 10% in, 90% in, 100% out
  EXPECT_EQ(c[0].area, 10);
  EXPECT_EQ(c[1].area, 90);
}

TEST(Boxes, TorchvisionIouOnInclusiveBoxes) {
  EXPECT_FLOAT_EQ(box_iou({0, 0, 11, 11}, {0, 0, 11, 11}), 1.f);
  // Inclusive XYXY (0,0,10,10) and (5,0,15,10): inter 5*10, union 100+100-50.
  EXPECT_FLOAT_EQ(box_iou({0, 0, 11, 11}, {5, 0, 11, 11}), 50.f / 150.f);
  // Touching boxes share a column of pixels but no area.
  EXPECT_FLOAT_EQ(box_iou({0, 0, 5, 5}, {4, 0, 5, 5}), 0.f);
  // A one-pixel mask has a zero-area box.
  EXPECT_FLOAT_EQ(box_iou({3, 3, 1, 1}, {3, 3, 1, 1}), 0.f);
  EXPECT_EQ(mask_box(cv::Mat::zeros(4, 4, CV_8UC1)), cv::Rect());
}

TEST(Boxes, MaskIou) {
  const cv::Size s(10, 10);
  EXPECT_FLOAT_EQ(mask_iou(rect_mask(s, {0, 0, 4, 5}), rect_mask(s, {2, 0, 4, 5})), 10.f / 30.f);
  EXPECT_FLOAT_EQ(mask_iou(cv::Mat::zeros(s, CV_8UC1), cv::Mat::zeros(s, CV_8UC1)), 0.f);
}

TEST(Nms, GreedyByScoreStrictThreshold) {
  // 0 and 1 overlap with IoU 0.9 * 10 / (...) ; compute via box_iou to pick boxes with known IoUs.
  std::vector<cv::Rect> boxes{{0, 0, 11, 11}, {1, 0, 11, 11}, {50, 50, 11, 11}, {0, 0, 11, 11}};
  std::vector<float> scores{0.5f, 0.9f, 0.7f, 0.5f};
  ASSERT_NEAR(box_iou(boxes[0], boxes[1]), 90.f / 110.f, 1e-6);
  // Visit 1 (0.9) keep, 2 (0.7) keep, 0 (0.5) suppressed by 1, 3 suppressed by 1.
  EXPECT_EQ(box_nms(boxes, scores, 0.7f), (std::vector<int>{1, 2}));
  // At threshold 90/110 exactly nothing with IoU == threshold is suppressed (strict >), but 0 and 3
  // are identical (IoU 1) so 3 goes.
  EXPECT_EQ(box_nms(boxes, scores, 90.f / 110.f), (std::vector<int>{1, 2, 0}));
  // Ties visit the lower index first.
  EXPECT_EQ(box_nms({{0, 0, 5, 5}, {0, 0, 5, 5}}, {0.5f, 0.5f}, 0.7f), (std::vector<int>{0}));
  EXPECT_TRUE(box_nms({}, {}, 0.7f).empty());
}

TEST(Nms, CandidatesEndInScoreOrder) {
  const cv::Size s(64, 64);
  std::vector<MaskCandidate> c{cand(s, {0, 0, 20, 20}, 0.9f), cand(s, {1, 1, 20, 20}, 0.95f),
                               cand(s, {40, 40, 10, 10}, 0.92f)};
  EXPECT_EQ(filter_by_box_nms(c, 0.7f), 2u);
  EXPECT_FLOAT_EQ(c[0].predicted_iou, 0.95f);
  EXPECT_FLOAT_EQ(c[1].predicted_iou, 0.92f);
}

TEST(SmallRegions, FillsSmallHolesOnly) {
  cv::Mat m = rect_mask({20, 20}, {2, 2, 16, 16});
  m(cv::Rect(5, 5, 2, 2)).setTo(0);   // hole of 4
  m(cv::Rect(10, 10, 4, 4)).setTo(0); // hole of 16
  bool changed = false;
  cv::Mat out = remove_small_regions(m, 5, SmallRegionMode::kHoles, &changed);
  EXPECT_TRUE(changed);
  EXPECT_EQ(out.at<uchar>(5, 5), 255);
  EXPECT_EQ(out.at<uchar>(11, 11), 0);
  EXPECT_EQ(out.at<uchar>(0, 0), 0);  // the outside is not a hole even though it is label 1
  EXPECT_EQ(cv::countNonZero(out), 16 * 16 - 16);
  cv::Mat same = remove_small_regions(out, 5, SmallRegionMode::kHoles, &changed);
  EXPECT_FALSE(changed);
  EXPECT_EQ(cv::countNonZero(same != out), 0);
}

TEST(SmallRegions, RemovesSmallIslandsKeepsLargestWhenAllSmall) {
  cv::Mat m = rect_mask({30, 30}, {0, 0, 10, 10});
  m(cv::Rect(20, 20, 2, 2)).setTo(255);
  bool changed = false;
  cv::Mat out = remove_small_regions(m, 5, SmallRegionMode::kIslands, &changed);
  EXPECT_TRUE(changed);
  EXPECT_EQ(cv::countNonZero(out), 100);
  // All islands under the threshold: the largest stays.
  out = remove_small_regions(m, 1000, SmallRegionMode::kIslands, &changed);
  EXPECT_TRUE(changed);
  EXPECT_EQ(cv::countNonZero(out), 100);
  // Diagonal neighbours are connected (8-connectivity): one island of 2.
  cv::Mat d = cv::Mat::zeros(5, 5, CV_8UC1);
  d.at<uchar>(1, 1) = d.at<uchar>(2, 2) = 255;
  out = remove_small_regions(d, 2, SmallRegionMode::kIslands, &changed);
  EXPECT_FALSE(changed);
}

TEST(SmallRegions, PostprocessPrefersUnchangedTwinAndUpdatesRepaired) {
  const cv::Size s(40, 40);
  MaskCandidate holed = cand(s, {0, 0, 20, 20}, 0.99f);
  holed.mask.at<uchar>(5, 5) = 0;
  holed.area -= 1;
  MaskCandidate clean = cand(s, {0, 0, 20, 20}, 0.90f);
  MaskCandidate other = cand(s, {25, 25, 10, 10}, 0.95f);
  other.mask.at<uchar>(0, 39) = 255;  // a one-pixel island far away
  other.box = mask_box(other.mask);
  other.area += 1;
  std::vector<MaskCandidate> c{std::move(holed), std::move(clean), std::move(other)};
  EXPECT_EQ(postprocess_small_regions(c, 4, 4, 0.7f), 2u);
  // The unchanged one wins over the repaired twin even with a lower predicted IoU; changed
  // survivors come after unchanged ones with their box and area recomputed.
  EXPECT_FLOAT_EQ(c[0].predicted_iou, 0.90f);
  EXPECT_FLOAT_EQ(c[1].predicted_iou, 0.95f);
  EXPECT_EQ(c[1].area, 100);
  EXPECT_EQ(c[1].box, cv::Rect(25, 25, 10, 10));
  // Zero areas disable it.
  EXPECT_EQ(postprocess_small_regions(c, 0, 0, 0.7f), 2u);
}

}  // namespace
}  // namespace ensemble::segment

namespace ensemble::segment {
namespace {

// SAM's remove_small_regions written plainly on the whole mask, to check the box-limited one.
cv::Mat reference_remove(const cv::Mat& mask, std::int64_t thresh, bool holes, bool* changed) {
  cv::Mat working = holes ? (mask == 0) : (mask != 0);
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(working, labels, stats, centroids, 8, CV_32S);
  std::vector<int> small;
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) < thresh) small.push_back(i);
  }
  if (small.empty()) {
    *changed = false;
    return mask != 0;
  }
  std::vector<int> fill{0};
  fill.insert(fill.end(), small.begin(), small.end());
  if (!holes) {
    std::vector<int> keep;
    for (int i = 0; i < n; ++i) {
      if (std::find(fill.begin(), fill.end(), i) == fill.end()) keep.push_back(i);
    }
    if (keep.empty()) {
      int best = 1;
      for (int i = 2; i < n; ++i) {
        if (stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA)) best = i;
      }
      keep = {best};
    }
    fill = keep;
  }
  cv::Mat out = cv::Mat::zeros(mask.size(), CV_8UC1);
  for (int y = 0; y < mask.rows; ++y) {
    for (int x = 0; x < mask.cols; ++x) {
      if (std::find(fill.begin(), fill.end(), labels.at<int>(y, x)) != fill.end()) out.at<uchar>(y, x) = 255;
    }
  }
  *changed = true;
  return out;
}

TEST(SmallRegions, BoxLimitedComputationEqualsSamsOnRandomMasks) {
  std::mt19937 rng(11);
  for (int t = 0; t < 300; ++t) {
    const cv::Size s(20 + static_cast<int>(rng() % 40), 20 + static_cast<int>(rng() % 40));
    cv::Mat m = cv::Mat::zeros(s, CV_8UC1);
    const int blobs = 1 + static_cast<int>(rng() % 5);
    for (int b = 0; b < blobs; ++b) {
      const cv::Rect r(static_cast<int>(rng() % s.width), static_cast<int>(rng() % s.height),
                       1 + static_cast<int>(rng() % 20), 1 + static_cast<int>(rng() % 20));
      m(r & cv::Rect(0, 0, s.width, s.height)).setTo(rng() % 4 == 0 ? 0 : 255);
    }
    for (int k = 0; k < 8; ++k) m.at<uchar>(static_cast<int>(rng() % s.height), static_cast<int>(rng() % s.width)) ^= 255;
    const std::int64_t thresh = 1 + static_cast<std::int64_t>(rng() % 30);
    for (bool holes : {true, false}) {
      bool c1 = false, c2 = false;
      const cv::Mat fast = remove_small_regions(m, thresh, holes ? SmallRegionMode::kHoles : SmallRegionMode::kIslands, &c1);
      const cv::Mat ref = reference_remove(m, thresh, holes, &c2);
      ASSERT_EQ(c1, c2) << "trial " << t << " holes " << holes;
      ASSERT_EQ(cv::countNonZero(fast != ref), 0) << "trial " << t << " holes " << holes;
    }
  }
}

}  // namespace
}  // namespace ensemble::segment
