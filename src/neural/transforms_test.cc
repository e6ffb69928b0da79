#include "ensemble/neural/transforms.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace ensemble::neural {
namespace {

const std::array<float, 3> kMean{0.485f, 0.456f, 0.406f};
const std::array<float, 3> kStd{0.229f, 0.224f, 0.225f};

float norm(int v, int c) { return (v / 255.f - kMean[c]) / kStd[c]; }

// torch.nn.functional.interpolate(mode="bilinear", align_corners=False, antialias=False), written out.
cv::Mat ref_bilinear(const cv::Mat& src, cv::Size out) {
  cv::Mat dst(out, CV_32FC1);
  auto index = [](int d, int in, int outn, int& i0, int& i1, float& l) {
    float s = (d + 0.5f) * static_cast<float>(in) / static_cast<float>(outn) - 0.5f;
    if (s < 0) s = 0;
    i0 = static_cast<int>(s);
    i1 = i0 < in - 1 ? i0 + 1 : i0;
    l = s - static_cast<float>(i0);
  };
  for (int y = 0; y < out.height; ++y) {
    int y0, y1;
    float ly;
    index(y, src.rows, out.height, y0, y1, ly);
    for (int x = 0; x < out.width; ++x) {
      int x0, x1;
      float lx;
      index(x, src.cols, out.width, x0, x1, lx);
      dst.at<float>(y, x) = (1 - ly) * ((1 - lx) * src.at<float>(y0, x0) + lx * src.at<float>(y0, x1)) +
                            ly * ((1 - lx) * src.at<float>(y1, x0) + lx * src.at<float>(y1, x1));
    }
  }
  return dst;
}

TEST(SamTransforms, ResizedSizeAndPoints) {
  EXPECT_EQ(sam_resized_size({640, 480}, 1024), cv::Size(1024, 768));
  EXPECT_EQ(sam_resized_size({300, 100}, 1024), cv::Size(1024, 341));  // 341.33 -> 341
  EXPECT_EQ(sam_resized_size({100, 300}, 1024), cv::Size(341, 1024));
  EXPECT_EQ(sam_resized_size({1024, 1024}, 1024), cv::Size(1024, 1024));
  const cv::Point2f p = sam_point_to_model({100.f, 50.f}, {640, 480}, 1024);
  EXPECT_FLOAT_EQ(p.x, 160.f);
  EXPECT_FLOAT_EQ(p.y, 80.f);
  const cv::Point2f q = sam_point_to_model({150.f, 50.f}, {300, 100}, 1024);
  EXPECT_FLOAT_EQ(q.x, 150.f * 1024.f / 300.f);
  EXPECT_FLOAT_EQ(q.y, 50.f * 341.f / 100.f);
}

TEST(SamTransforms, PreprocessNormalisesSwapsChannelsAndPadsAfter) {
  // No resize (longest side = target): every pixel must land where it was, RGB-planar, normalised.
  cv::Mat img(16, 32, CV_8UC3);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 7 % 256, y * 13 % 256, (x + y) % 256);
  const std::vector<float> t = sam_preprocess(img, 32, kMean, kStd);
  ASSERT_EQ(t.size(), 3u * 32 * 32);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        const float v = t[(c * 32 + y) * 32 + x];
        if (y >= 16) {
          ASSERT_EQ(v, 0.f) << "padding after normalisation is 0";
        } else {
          ASSERT_FLOAT_EQ(v, norm(img.at<cv::Vec3b>(y, x)[2 - c], c)) << c << " " << x << " " << y;
        }
      }
  // Enlarged uniform image: uniform in the resized part (1024 × 512), zero below.
  const cv::Mat solid(256, 512, CV_8UC3, cv::Scalar(51, 0, 255));
  const std::vector<float> s = sam_preprocess(solid, 1024, kMean, kStd);
  EXPECT_FLOAT_EQ(s[0 * 1024 * 1024 + 511 * 1024 + 1023], norm(255, 0));
  EXPECT_FLOAT_EQ(s[1 * 1024 * 1024 + 0], norm(0, 1));
  EXPECT_FLOAT_EQ(s[2 * 1024 * 1024 + 100 * 1024 + 7], norm(51, 2));
  EXPECT_EQ(s[0 * 1024 * 1024 + 512 * 1024], 0.f);
}

TEST(SamTransforms, MaskPostprocessIsTorchBilinearUpscaleCropResize) {
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0.f, 5.f);
  cv::Mat low(16, 16, CV_32FC1);
  for (int i = 0; i < 256; ++i) low.at<float>(i) = n(rng);
  for (const cv::Size original : {cv::Size(30, 20), cv::Size(20, 30), cv::Size(64, 64), cv::Size(100, 90)}) {
    const int target = 64;
    const cv::Size r = sam_resized_size(original, target);
    const cv::Mat expected = ref_bilinear(ref_bilinear(low, {target, target})(cv::Rect(0, 0, r.width, r.height)).clone(),
                                          original);
    const cv::Mat got = sam_postprocess_mask(low.ptr<float>(), 16, 16, original, target);
    ASSERT_EQ(got.type(), CV_32FC1);
    ASSERT_EQ(got.size(), original);
    EXPECT_LT(cv::norm(got, expected, cv::NORM_INF), 1e-4) << original;
  }
}

TEST(ClipTransforms, CentreCropAndNormalisation) {
  // 225 × 224: the short side is already 224, no resize; the crop offset round(0.5) is 0 (Python
  // rounds half to even), so the crop starts at column 0.
  cv::Mat img(224, 225, CV_8UC3);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(x % 256, y % 256, (3 * x + y) % 256);
  std::vector<float> t = clip_preprocess(img, 224, kMean, kStd);
  ASSERT_EQ(t.size(), 3u * 224 * 224);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 224; y += 7)
      for (int x = 0; x < 224; x += 5) ASSERT_FLOAT_EQ(t[(c * 224 + y) * 224 + x], norm(img.at<cv::Vec3b>(y, x)[2 - c], c));

  // 448 × 224 (landscape): centre crop starts at column 112.
  cv::Mat wide(224, 448, CV_8UC3);
  for (int y = 0; y < wide.rows; ++y)
    for (int x = 0; x < wide.cols; ++x) wide.at<cv::Vec3b>(y, x) = cv::Vec3b(x / 2, y, 255 - x / 2);
  t = clip_preprocess(wide, 224, kMean, kStd);
  EXPECT_FLOAT_EQ(t[(0 * 224 + 10) * 224 + 0], norm(255 - 56, 0));  // R = 255 - 112/2
  EXPECT_FLOAT_EQ(t[(2 * 224 + 10) * 224 + 0], norm(56, 2));        // B = 112/2
  EXPECT_FLOAT_EQ(t[(1 * 224 + 99) * 224 + 223], norm(99, 1));

  // 224 × 448 (portrait): centre crop starts at row 112.
  t = clip_preprocess(wide.t(), 224, kMean, kStd);
  EXPECT_FLOAT_EQ(t[(1 * 224 + 0) * 224 + 10], norm(10, 1));  // G = transposed x = 10

  // A uniform image of another size is resized (shortest side 224) and stays uniform.
  const cv::Mat solid(300, 500, CV_8UC3, cv::Scalar(10, 20, 30));
  t = clip_preprocess(solid, 224, kMean, kStd);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(t[(c * 224 + 100) * 224 + 100], norm(c == 0 ? 30 : c == 1 ? 20 : 10, c), 1e-5);
}

}  // namespace
}  // namespace ensemble::neural
