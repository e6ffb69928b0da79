#include "segment/graph_segmentation.h"

#include <gtest/gtest.h>

namespace ensemble::segment {
namespace {

TEST(Felzenszwalb, SeparatesFlatRegionsAndMergesSmallOnes) {
  cv::Mat f(40, 60, CV_32FC3, cv::Scalar(10, 10, 10));
  f(cv::Rect(30, 0, 30, 40)).setTo(cv::Scalar(200, 10, 10));
  f.at<cv::Vec3f>(5, 5) = cv::Vec3f(100, 100, 100);  // a one-pixel speck
  cv::Mat labels;
  const int n = felzenszwalb(f, 50.f, 10, labels);
  EXPECT_EQ(n, 2);  // the speck is merged away
  EXPECT_EQ(labels.type(), CV_32S);
  EXPECT_NE(labels.at<int>(0, 0), labels.at<int>(0, 59));
  EXPECT_EQ(labels.at<int>(5, 5), labels.at<int>(0, 0));
  double lo, hi;
  cv::minMaxLoc(labels, &lo, &hi);
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, n - 1);
}

TEST(Felzenszwalb, LargerKGivesFewerSegmentsAndBatchEqualsSingle) {
  cv::Mat f(48, 48, CV_32FC3);
  cv::randu(f, cv::Scalar::all(0), cv::Scalar::all(60));
  std::vector<cv::Mat> labels;
  const std::vector<int> counts = felzenszwalb(f, {20.f, 200.f, 2000.f}, 4, labels);
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_GE(counts[0], counts[1]);
  EXPECT_GE(counts[1], counts[2]);
  cv::Mat single;
  EXPECT_EQ(felzenszwalb(f, 200.f, 4, single), counts[1]);
  EXPECT_EQ(cv::countNonZero(single != labels[1]), 0);
}

}  // namespace
}  // namespace ensemble::segment
