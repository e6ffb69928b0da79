#include "segment/region_hierarchy.h"

#include <gtest/gtest.h>

namespace ensemble::segment {
namespace {

// Four superpixels in a row: A B | C D, where A≈B and C≈D in colour and the two pairs differ.
struct Fixture {
  cv::Mat labels = cv::Mat(20, 40, CV_32S);
  cv::Mat lab = cv::Mat(20, 40, CV_32FC3);
  Fixture() {
    for (int y = 0; y < 20; ++y) {
      for (int x = 0; x < 40; ++x) {
        labels.at<int>(y, x) = x / 10;
        const float v = x < 20 ? 60.f + (x / 10) * 3.f : 200.f - (x / 10) * 3.f;
        lab.at<cv::Vec3f>(y, x) = cv::Vec3f(v, 128, 128);
      }
    }
  }
};

TEST(RegionHierarchy, MergesSimilarNeighboursFirstWithMonotoneHeights) {
  Fixture fx;
  const RegionHierarchy tree(fx.labels, 4, fx.lab, fx.lab);
  const auto& nodes = tree.nodes();
  ASSERT_EQ(nodes.size(), 7u);
  EXPECT_EQ(tree.root(), 6);
  EXPECT_EQ(nodes[6].area, 800);
  // The first two merges pair A with B and C with D.
  EXPECT_EQ(nodes[0].parent, nodes[1].parent);
  EXPECT_EQ(nodes[2].parent, nodes[3].parent);
  EXPECT_NE(nodes[0].parent, nodes[2].parent);
  for (const auto& n : nodes) {
    if (n.parent >= 0) {
      EXPECT_LE(n.height, nodes[n.parent].height);
    }
  }
  EXPECT_GT(nodes[6].height, nodes[4].height);
  // Outline and inside boundary bookkeeping: the root has no outline, all 3×20 boundaries inside.
  EXPECT_EQ(nodes[6].outline_length, 0);
  EXPECT_EQ(nodes[6].inside_length, 60);
  EXPECT_EQ(nodes[0].outline_length, 20);
  EXPECT_EQ(nodes[1].outline_length, 40);
}

TEST(RegionHierarchy, MasksJoinHeightsAndRegionBelowAgree) {
  Fixture fx;
  const RegionHierarchy tree(fx.labels, 4, fx.lab, fx.lab);
  const auto& nodes = tree.nodes();
  const int ab = nodes[0].parent;
  EXPECT_EQ(cv::countNonZero(tree.mask(ab)), 400);
  EXPECT_EQ(tree.mask(ab).at<uchar>(0, 19), 255);
  EXPECT_EQ(tree.mask(ab).at<uchar>(0, 20), 0);
  const std::vector<float> join = tree.join_heights(0);
  EXPECT_EQ(join[0], 0.f);
  EXPECT_EQ(join[1], nodes[ab].height);
  EXPECT_EQ(join[2], nodes[6].height);
  EXPECT_EQ(join[3], nodes[6].height);
  EXPECT_EQ(tree.region_below(0, nodes[ab].height + 1e-4f, 0.f), ab);
  EXPECT_EQ(tree.region_below(0, nodes[ab].height, 0.f), 0);  // strictly below
  EXPECT_EQ(tree.region_below(0, 0.f, 0.f), -1);
  EXPECT_EQ(tree.region_below(0, 1e9f, 0.f), 6);
  EXPECT_EQ(tree.leaf_at({25, 3}), 2);
  const cv::Mat painted = tree.paint({1.f, 2.f, 3.f, 4.f});
  EXPECT_EQ(painted.at<float>(0, 35), 4.f);
}

}  // namespace
}  // namespace ensemble::segment
