#include "ensemble/segment/overlay.h"

#include <gtest/gtest.h>

namespace ensemble::segment {
namespace {

TEST(Overlay, TintsMasksAndKeepsTheRest) {
  const cv::Mat image(60, 80, CV_8UC3, cv::Scalar(50, 50, 50));
  SegmentationResult r;
  r.size = image.size();
  Region reg;
  reg.mask = cv::Mat::zeros(image.size(), CV_8UC1);
  reg.mask(cv::Rect(20, 20, 30, 20)).setTo(255);
  reg.bbox = cv::Rect(20, 20, 30, 20);
  reg.area = 600;
  reg.predicted_iou = reg.stability = 1.f;
  r.regions.push_back(reg);
  r.contexts = 1;
  OverlayOptions plain;
  plain.boxes = plain.labels = plain.contours = false;
  const cv::Mat out = render_overlay(image, r, plain);
  ASSERT_EQ(out.size(), image.size());
  ASSERT_EQ(out.type(), CV_8UC3);
  EXPECT_NE(out.at<cv::Vec3b>(30, 35), image.at<cv::Vec3b>(30, 35));
  EXPECT_EQ(out.at<cv::Vec3b>(5, 5), image.at<cv::Vec3b>(5, 5));
  // With everything drawn it still runs on gray input.
  const cv::Mat gray(60, 80, CV_8UC1, cv::Scalar(50));
  EXPECT_EQ(render_overlay(gray, r).type(), CV_8UC3);
  // The input is untouched.
  EXPECT_EQ(image.at<cv::Vec3b>(30, 35), cv::Vec3b(50, 50, 50));
}

}  // namespace
}  // namespace ensemble::segment
