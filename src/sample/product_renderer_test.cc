#include "sample/product_renderer.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "sample/accessories.h"

namespace ensemble::sample {
namespace {

// A 28x28 "garment": a bright block with antialiased-looking darker rim, a dark print, a notch
// open to the border and one stray speck.
cv::Mat fake_item() {
  cv::Mat g(28, 28, CV_8UC1, cv::Scalar(0));
  cv::rectangle(g, cv::Rect(6, 4, 16, 20), cv::Scalar(180), cv::FILLED);
  cv::rectangle(g, cv::Rect(6, 4, 16, 20), cv::Scalar(60), 1);
  g(cv::Rect(12, 10, 2, 2)).setTo(0);         // dark print: an enclosed 4-px gap
  g(cv::Rect(13, 18, 2, 6)).setTo(0);         // a notch open to the bottom edge
  g.at<uchar>(1, 1) = 30;                     // a speck
  return g;
}

ProductSpec spec(int category, int colour, Pattern pattern) {
  ProductSpec p;
  p.id = "p000001";
  p.category = category;
  p.colour = colour;
  p.colour2 = colour_index("white");
  p.pattern = pattern;
  p.render_seed = 77;
  return p;
}

TEST(ProductRendererTest, GarmentMaskFillsPrintKeepsOpeningsDropsSpecks) {
  const cv::Mat g = fake_item();
  const cv::Mat m = garment_mask(g);
  EXPECT_EQ(m.at<uchar>(10, 12), 255);  // print filled
  EXPECT_EQ(m.at<uchar>(22, 13), 0);    // notch open to the border stays open
  EXPECT_EQ(m.at<uchar>(1, 1), 0);      // speck gone
  EXPECT_EQ(m.at<uchar>(4, 6), 255);    // the antialiased rim is garment
  cv::Mat bag = g.clone();
  bag(cv::Rect(9, 7, 4, 3)).setTo(0);   // a 12-px enclosed opening: a handle
  EXPECT_EQ(garment_mask(bag, /*keep_openings=*/true).at<uchar>(8, 10), 0);
  EXPECT_EQ(garment_mask(bag, false).at<uchar>(8, 10), 255);
}

TEST(ProductRendererTest, GarmentIsColouredInsideTheMaskOnALightBackground) {
  const cv::Mat g = fake_item();
  const ProductArt art = render_garment(g.data, 28, 28, spec(0, colour_index("red"), Pattern::kSolid), 160);
  ASSERT_EQ(art.photo.size(), cv::Size(160, 160));
  ASSERT_EQ(art.alpha.size(), cv::Size(160, 160));
  ASSERT_EQ(art.photo.type(), CV_8UC3);
  // Studio corners are light and neutral.
  const cv::Vec3b corner = art.photo.at<cv::Vec3b>(2, 2);
  for (int c = 0; c < 3; ++c) EXPECT_GT(corner[c], 215);
  EXPECT_EQ(art.alpha.at<uchar>(2, 2), 0);
  // Inside the item: red dominates.
  const cv::Scalar inside = cv::mean(art.photo, art.alpha == 255);
  EXPECT_GT(inside[2], inside[1] + 60);
  EXPECT_GT(inside[2], inside[0] + 60);
  // The 28x28 frame maps to 84% of the side (134 px); the block is 20 rows of it, the outer one
  // only a third covered (a darker rim), so about 19 rows: 91 px.
  const cv::Rect bb = cv::boundingRect(art.alpha > 127);
  EXPECT_NEAR(bb.height, 91, 6);
  EXPECT_NEAR(bb.width, 134 * 15 / 28, 6);
  // Smooth upscaling: the alpha edge has intermediate values, not 28x28 blocks.
  EXPECT_GT(cv::countNonZero((art.alpha > 20) & (art.alpha < 235)), 100);
}

TEST(ProductRendererTest, ColourAndPatternChangeThePixels) {
  const cv::Mat g = fake_item();
  const ProductArt red = render_garment(g.data, 28, 28, spec(0, colour_index("red"), Pattern::kSolid), 160);
  const ProductArt navy = render_garment(g.data, 28, 28, spec(0, colour_index("navy"), Pattern::kSolid), 160);
  const ProductArt striped = render_garment(g.data, 28, 28, spec(0, colour_index("navy"), Pattern::kStriped), 160);
  const cv::Mat inside = navy.alpha == 255;
  cv::Scalar mean_n, sd_n, mean_s, sd_s;
  cv::meanStdDev(navy.photo, mean_n, sd_n, inside);
  cv::meanStdDev(striped.photo, mean_s, sd_s, inside);
  EXPECT_GT(cv::mean(navy.photo, inside)[0], cv::mean(red.photo, inside)[0] + 20);  // navy is bluer
  EXPECT_GT(sd_s[1], sd_n[1] + 20);  // white stripes on navy vary far more than plain navy
  // Same spec, same pixels.
  const ProductArt again = render_garment(g.data, 28, 28, spec(0, colour_index("red"), Pattern::kSolid), 160);
  EXPECT_EQ(cv::norm(red.photo, again.photo, cv::NORM_INF), 0.0);
}

TEST(ProductRendererTest, AllPatternsRender) {
  const cv::Mat g = fake_item();
  for (int p = 0; p < kPatternCount; ++p) {
    const ProductArt art = render_garment(g.data, 28, 28, spec(3, colour_index("green"), static_cast<Pattern>(p)), 96);
    EXPECT_EQ(art.photo.size(), cv::Size(96, 96)) << pattern_name(static_cast<Pattern>(p));
    EXPECT_GT(cv::countNonZero(art.alpha), 96 * 96 / 5);
  }
}

TEST(ProductRendererTest, AccessoriesAreDrawnInTheirColour) {
  for (int category = kFirstAccessoryCategory; category < kCategoryCount; ++category) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      ProductSpec p = spec(category, colour_index("red"), Pattern::kSolid);
      p.render_seed = seed;
      const ProductArt art = render_accessory(p, 160);
      ASSERT_EQ(art.photo.size(), cv::Size(160, 160));
      const int covered = cv::countNonZero(art.alpha > 127);
      EXPECT_GT(covered, 600) << category_info(category).name;
      EXPECT_LT(covered, 160 * 160 * 3 / 4) << category_info(category).name;
      EXPECT_EQ(art.alpha.at<uchar>(0, 0), 0);
    }
  }
  // A red hat is red somewhere.
  ProductSpec hat = spec(kHat, colour_index("red"), Pattern::kSolid);
  const ProductArt art = render_accessory(hat, 160);
  cv::Mat hsv;
  cv::cvtColor(art.photo, hsv, cv::COLOR_BGR2HSV);
  cv::Mat red = (art.alpha > 200);
  int reddish = 0;
  for (int y = 0; y < 160; ++y) {
    for (int x = 0; x < 160; ++x) {
      const cv::Vec3b v = art.photo.at<cv::Vec3b>(y, x);
      reddish += red.at<uchar>(y, x) && v[2] > v[1] + 60 && v[2] > v[0] + 60;
    }
  }
  EXPECT_GT(reddish, 1000);
}

TEST(ProductRendererTest, JpegRoundTrip) {
  const cv::Mat g = fake_item();
  const ProductArt art = render_garment(g.data, 28, 28, spec(0, colour_index("blue"), Pattern::kDotted), 160);
  const std::string jpeg = encode_jpeg(art.photo, 90);
  ASSERT_GT(jpeg.size(), 500u);
  const cv::Mat back = cv::imdecode(std::vector<uchar>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
  ASSERT_EQ(back.size(), art.photo.size());
  EXPECT_LT(cv::norm(back, art.photo, cv::NORM_L1) / back.total(), 12.0);
}

}  // namespace
}  // namespace ensemble::sample
