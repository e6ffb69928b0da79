#include "ensemble/image/image_loader.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <string>
#include <vector>

#include "ensemble/util/error.h"

namespace ensemble::image {
namespace {

std::string encode(const cv::Mat& img, const std::string& ext) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(ext, img, buf));
  return std::string(buf.begin(), buf.end());
}

ErrorCode code_of(const std::string& bytes, const ImageLimits& limits = {}) {
  try {
    decode_image(bytes, limits);
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "expected an error";
  return ErrorCode::kInternal;
}

TEST(ImageProbe, ReadsDimensionsOfEveryFormat) {
  const cv::Mat img(37, 53, CV_8UC3, cv::Scalar(10, 20, 30));
  for (const std::string ext : {".jpg", ".png", ".webp", ".bmp"}) {
    const ImageHeader h = probe_image(encode(img, ext));
    EXPECT_EQ(h.width, 53u) << ext;
    EXPECT_EQ(h.height, 37u) << ext;
    EXPECT_EQ(extension_for(h.format), ext == ".jpg" ? ".jpg" : ext);
  }
}

TEST(ImageLoader, DecodesToBgr8) {
  const cv::Mat img(20, 30, CV_8UC3, cv::Scalar(0, 0, 255));
  const cv::Mat out = decode_image(encode(img, ".png"));
  ASSERT_EQ(out.type(), CV_8UC3);
  EXPECT_EQ(out.at<cv::Vec3b>(5, 5), cv::Vec3b(0, 0, 255));
}

TEST(ImageLoader, ConvertsGrayAlphaAnd16Bit) {
  const cv::Mat gray(8, 8, CV_8UC1, cv::Scalar(100));
  EXPECT_EQ(decode_image(encode(gray, ".png")).type(), CV_8UC3);
  cv::Mat rgba(8, 8, CV_8UC4, cv::Scalar(0, 0, 0, 0));  // fully transparent black
  const cv::Mat composited = decode_image(encode(rgba, ".png"));
  EXPECT_EQ(composited.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
  const cv::Mat deep(8, 8, CV_16UC3, cv::Scalar(65535, 0, 0));
  const cv::Mat out = decode_image(encode(deep, ".png"));
  EXPECT_EQ(out.type(), CV_8UC3);
  EXPECT_EQ(out.at<cv::Vec3b>(1, 1), cv::Vec3b(255, 0, 0));
}

TEST(ImageLoader, RejectsEmptyUnknownAndTruncated) {
  EXPECT_EQ(code_of(""), ErrorCode::kBadInput);
  EXPECT_EQ(code_of("hello, this is not an image"), ErrorCode::kBadInput);
  const cv::Mat img(64, 64, CV_8UC3, cv::Scalar(1, 2, 3));
  const std::string png = encode(img, ".png");
  EXPECT_EQ(code_of(png.substr(0, 40)), ErrorCode::kBadInput);
  const std::string jpg = encode(img, ".jpg");
  EXPECT_EQ(code_of(jpg.substr(0, 10)), ErrorCode::kBadInput);
}

TEST(ImageLoader, RefusesDecompressionBombFromHeaderAlone) {
  // A valid PNG signature and IHDR that declares 100000 x 100000 pixels, and nothing else.
  std::string bomb("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  const unsigned char dims[8] = {0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0};
  bomb.append(reinterpret_cast<const char*>(dims), 8);
  bomb.append("\x08\x02\0\0\0", 5);
  EXPECT_EQ(code_of(bomb), ErrorCode::kTooLarge);
}

TEST(ImageLoader, EnforcesConfiguredPixelAndByteLimits) {
  const cv::Mat img(100, 100, CV_8UC3, cv::Scalar(9, 9, 9));
  const std::string png = encode(img, ".png");
  ImageLimits small;
  small.max_pixels = 99 * 100;
  EXPECT_EQ(code_of(png, small), ErrorCode::kTooLarge);
  ImageLimits tiny_file;
  tiny_file.max_file_bytes = 10;
  EXPECT_EQ(code_of(png, tiny_file), ErrorCode::kTooLarge);
  ImageLimits strip;
  strip.max_side = 50;
  EXPECT_EQ(code_of(png, strip), ErrorCode::kTooLarge);
}

}  // namespace
}  // namespace ensemble::image
