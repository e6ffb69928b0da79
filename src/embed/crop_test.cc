#include "embed/crop.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

namespace ensemble::embed::detail {
namespace {

constexpr int kFill = 20;  // the classic descriptor's default bg_fill tolerance

// Share of the prepared crop's pixels that are not near-white (what is left of the garment).
double ink(const cv::Mat& crop) {
  int n = 0;
  for (int y = 0; y < crop.rows; ++y)
    for (int x = 0; x < crop.cols; ++x) {
      const auto& p = crop.at<cv::Vec3b>(y, x);
      n += std::min({p[0], p[1], p[2]}) < kLightLevel;
    }
  return double(n) / crop.total();
}

TEST(PrepareCrop, PlainBackdropIsRemovedAndTheGarmentKept) {
  // A dark-green garment in the middle of a grey-green studio backdrop (too dark to count as light).
  cv::Mat img(200, 200, CV_8UC3, cv::Scalar(170, 190, 175));
  cv::rectangle(img, cv::Rect(60, 40, 80, 120), cv::Scalar(30, 90, 40), cv::FILLED);
  cv::Mat out = prepare_crop(img, cv::Mat(), 64, kFill);
  // Backdrop painted white and trimmed: the garment (80x120) padded to a square fills 2/3 of it.
  EXPECT_NEAR(ink(out), 80.0 / 120.0, 0.08);
}

TEST(PrepareCrop, GarmentCutByTheFrameOnAPlainBackdropIsNotErased) {
  // A two-colour garment (dark green with a red print) cropped so that it runs off the bottom and
  // left edges, as a query photo cut by its frame: the green touches the border, but the fill starts
  // only on the backdrop's colour, so the green stays.
  cv::Mat img(200, 200, CV_8UC3, cv::Scalar(170, 190, 175));
  cv::rectangle(img, cv::Rect(0, 100, 110, 100), cv::Scalar(30, 90, 40), cv::FILLED);
  cv::rectangle(img, cv::Rect(15, 115, 80, 80), cv::Scalar(40, 40, 200), cv::FILLED);
  cv::Mat out = prepare_crop(img, cv::Mat(), 64, kFill);
  int green = 0;
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x) {
      const auto& p = out.at<cv::Vec3b>(y, x);
      green += p[1] > 60 && p[1] < 120 && p[0] < 60 && p[2] < 70;
    }
  // The green is (110 x 100 - 80 x 80) / (110 x 110) of the trimmed, squared crop: 0.38.
  EXPECT_GT(green / double(out.total()), 0.3) << "the garment was painted white with the background";
}

TEST(PrepareCrop, ClutteredBorderStillLosesItsBackground) {
  // Four differently coloured floor/wall patches around a garment: no colour dominates the border,
  // so the fill starts everywhere on it and paints all four white (only the blurred seams between
  // them survive), leaving the garment.
  cv::Mat img(200, 200, CV_8UC3);
  img(cv::Rect(0, 0, 100, 100)).setTo(cv::Scalar(60, 120, 180));
  img(cv::Rect(100, 0, 100, 100)).setTo(cv::Scalar(180, 160, 90));
  img(cv::Rect(0, 100, 100, 100)).setTo(cv::Scalar(90, 90, 90));
  img(cv::Rect(100, 100, 100, 100)).setTo(cv::Scalar(140, 60, 140));
  cv::rectangle(img, cv::Rect(70, 50, 60, 100), cv::Scalar(20, 20, 200), cv::FILLED);
  cv::Mat out = prepare_crop(img, cv::Mat(), 64, kFill);
  int red = 0;
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x) {
      const auto& p = out.at<cv::Vec3b>(y, x);
      red += p[2] > 150 && p[0] < 80 && p[1] < 80;
    }
  EXPECT_LT(ink(out), 0.35) << "the patches were kept";
  EXPECT_GT(red / double(out.total()), 0.1) << "the garment was erased";
}

TEST(PrepareCrop, WithoutBackgroundFillNothingIsPainted) {
  cv::Mat img(200, 200, CV_8UC3, cv::Scalar(170, 190, 175));
  cv::rectangle(img, cv::Rect(60, 40, 80, 120), cv::Scalar(30, 90, 40), cv::FILLED);
  EXPECT_GT(ink(prepare_crop(img, cv::Mat(), 64, 0)), 0.99);
}

}  // namespace
}  // namespace ensemble::embed::detail

namespace ensemble::embed::detail {
namespace {

TEST(PrepareCrop, WhiteBalanceGivesTheBytesOfTheChannelGainTransform) {
  // Right half: a backdrop at 200 in every channel (the 99th percentile, so the gain is 255/200);
  // left half: every level below it, different per channel.
  cv::Mat img(100, 200, CV_8UC3, cv::Scalar(200, 200, 200));
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < 100; ++x) {
      const int v = (x * 2 + y) % 200;
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(v), static_cast<uchar>((v + 67) % 200),
                                          static_cast<uchar>((v + 131) % 200));
    }
  }
  const float g = 255.0f / 200.0f;
  cv::Mat scaled;
  cv::transform(img, scaled, cv::Matx33f(g, 0, 0, 0, g, 0, 0, 0, g));
  const cv::Mat balanced = prepare_crop(img, cv::Mat(), 64, 0, true);
  const cv::Mat expected = prepare_crop(scaled, cv::Mat(), 64, 0, false);
  ASSERT_EQ(balanced.size(), expected.size());
  EXPECT_EQ(cv::norm(balanced, expected, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(balanced, prepare_crop(img, cv::Mat(), 64, 0, false), cv::NORM_INF), 0.0)
      << "the balance changed something";
}

}  // namespace
}  // namespace ensemble::embed::detail
