#include "ensemble/embed/query_views.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "ensemble/util/error.h"

namespace ensemble::embed {
namespace {

// The angle (degrees, counter-clockwise) of the dark bar's long axis, from image moments.
double bar_angle(const cv::Mat& bgr) {
  cv::Mat grey, ink;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::threshold(grey, ink, 128, 255, cv::THRESH_BINARY_INV);
  const cv::Moments m = cv::moments(ink, true);
  // Image y points down: negate to get the counter-clockwise angle.
  return -0.5 * std::atan2(2 * m.mu11, m.mu20 - m.mu02) * 180.0 / CV_PI;
}

cv::Mat bar_image(int side) {
  cv::Mat img(side, side, CV_8UC3, cv::Scalar(250, 250, 250));
  cv::rectangle(img, cv::Rect(side / 8, side * 7 / 16, side * 3 / 4, side / 8), cv::Scalar(20, 20, 20), cv::FILLED);
  return img;
}

TEST(QueryViews, AnglesStartWithThePhotoThenAlternateOutwards) {
  EXPECT_EQ(view_angles({0, 3.0}), (std::vector<double>{0}));
  EXPECT_EQ(view_angles({2, 3.0}), (std::vector<double>{0, -3, 3, -6, 6}));
  EXPECT_EQ(view_angles({1, 4.5}), (std::vector<double>{0, -4.5, 4.5}));
  EXPECT_THROW(view_angles({-1, 3.0}), Error);
  EXPECT_THROW(view_angles({2, 0.0}), Error);
  EXPECT_THROW(view_angles({2, 90.0}), Error);
}

TEST(QueryViews, ViewsAreThePhotoAndCopiesTurnedByTheirAngles) {
  const cv::Mat img = bar_image(200);
  const QueryViewOptions o{2, 5.0};
  const auto views = query_views(img, o);
  const auto angles = view_angles(o);
  ASSERT_EQ(views.size(), angles.size());
  EXPECT_EQ(views[0].data, img.data) << "view 0 is the photo itself, not a copy";
  EXPECT_NEAR(bar_angle(views[0]), 0.0, 0.5);
  for (size_t i = 1; i < views.size(); ++i) {
    EXPECT_EQ(views[i].size(), img.size());
    EXPECT_EQ(views[i].type(), img.type());
    EXPECT_NEAR(bar_angle(views[i]), angles[i], 1.0) << "view " << i;
  }
  // Corners are filled from the border (white stays white), not black.
  const cv::Vec3b corner = views.back().at<cv::Vec3b>(0, 0);
  EXPECT_GE(corner[0], 240);
}

TEST(QueryViews, LargePhotosAreShrunkForTheTurnedViewsOnly) {
  const cv::Mat img = bar_image(1500);
  const auto views = query_views(img, {1, 4.0, 300});
  ASSERT_EQ(views.size(), 3u);
  EXPECT_EQ(views[0].cols, 1500);
  EXPECT_EQ(views[1].cols, 300);
  EXPECT_EQ(views[2].rows, 300);
  EXPECT_EQ(query_views(img, {1, 4.0, 2000})[1].cols, 1500) << "smaller than max_side: not resized";
  EXPECT_THROW(query_views(img, {1, 4.0, 8}), Error);
  EXPECT_NEAR(bar_angle(views[2]), 4.0, 1.0);
  EXPECT_EQ(query_views(img, {0, 3.0}).size(), 1u);
  EXPECT_EQ(query_views(cv::Mat(), {2, 3.0}).size(), 1u) << "an empty image is left to the embedder to refuse";
}

TEST(QueryViews, CombinedVectorIsTheNormalisedMeanOfTheViews) {
  const std::vector<float> rows = {1, 0, 0,  0, 1, 0,  1, 1, 0};  // three views of dimension 3
  const auto c = combine_views(rows, 3);
  ASSERT_EQ(c.size(), 3u);
  const float n = std::sqrt(2.0f * 2.0f + 2.0f * 2.0f);
  EXPECT_FLOAT_EQ(c[0], 2 / n);
  EXPECT_FLOAT_EQ(c[1], 2 / n);
  EXPECT_FLOAT_EQ(c[2], 0);
  const std::vector<float> one = {0.6f, 0.8f};
  EXPECT_EQ(combine_views(one, 2), one) << "one view is itself";
  EXPECT_THROW(combine_views(rows, 2), Error) << "not whole rows";
  EXPECT_THROW(combine_views({}, 3), Error);
  const std::vector<float> opposite = {1, 0, -1, 0};
  EXPECT_THROW(combine_views(opposite, 2), Error) << "a zero mean has no direction";
}

}  // namespace
}  // namespace ensemble::embed
