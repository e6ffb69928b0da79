#include "ensemble/segment/region_filters.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "segment/region_filters_internal.h"

namespace ensemble::segment {
namespace {

cv::Mat rect_mask(cv::Size size, cv::Rect r) {
  cv::Mat m = cv::Mat::zeros(size, CV_8UC1);
  m(r).setTo(255);
  return m;
}

MaskCandidate cand(cv::Mat mask, float score = 1.f) {
  MaskCandidate c;
  c.mask = mask;
  c.box = mask_box(mask);
  c.area = cv::countNonZero(mask);
  c.predicted_iou = score;
  c.stability = 1.f;
  return c;
}

TEST(RegionFilters, FrameCoverage) {
  const cv::Size s(10, 10);  // frame = 36 pixels
  EXPECT_DOUBLE_EQ(frame_coverage(rect_mask(s, {0, 0, 10, 10})), 1.0);
  EXPECT_DOUBLE_EQ(frame_coverage(rect_mask(s, {2, 2, 5, 5})), 0.0);
  EXPECT_DOUBLE_EQ(frame_coverage(rect_mask(s, {0, 0, 10, 1})), 10.0 / 36.0);
  EXPECT_DOUBLE_EQ(frame_coverage(rect_mask(s, {0, 0, 3, 3})), 5.0 / 36.0);
}

TEST(RegionFilters, BackgroundByFrameAndByColour) {
  // A floor of two alternating greys with a red garment in the middle and a blue garment touching
  // the bottom edge.
  cv::Mat img(100, 100, CV_8UC3);
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 100; ++x)
      img.at<cv::Vec3b>(y, x) = ((x / 10 + y / 10) % 2) ? cv::Vec3b(200, 200, 200) : cv::Vec3b(120, 120, 120);
  img(cv::Rect(30, 30, 40, 40)).setTo(cv::Scalar(0, 0, 220));
  img(cv::Rect(40, 80, 20, 20)).setTo(cv::Scalar(220, 0, 0));
  const FrameColourModel frame = frame_colour_model(img);
  EXPECT_GE(frame.band, 2);

  cv::Mat floor = cv::Mat(100, 100, CV_8UC1, cv::Scalar(255));
  floor(cv::Rect(30, 30, 40, 40)).setTo(0);
  floor(cv::Rect(40, 80, 20, 20)).setTo(0);
  EXPECT_TRUE(is_background(img, floor, frame, 0.25, 0.75));  // covers most of the frame

  // One piece of the floor (left strip): small share of the frame but the frame's colours.
  cv::Mat piece = rect_mask(img.size(), {0, 20, 20, 20});
  EXPECT_LT(frame_coverage(piece), 0.25);
  EXPECT_GE(frame_colour_match(img, piece, frame), 0.75);
  EXPECT_TRUE(is_background(img, piece, frame, 0.25, 0.75));

  // The red garment does not touch the frame; the blue one does but its colour is not elsewhere.
  EXPECT_FALSE(is_background(img, rect_mask(img.size(), {30, 30, 40, 40}), frame, 0.25, 0.75));
  const cv::Mat blue = rect_mask(img.size(), {40, 80, 20, 20});
  EXPECT_LT(frame_colour_match(img, blue, frame), 0.1);
  EXPECT_FALSE(is_background(img, blue, frame, 0.25, 0.75));
  // 1.01 disables each test.
  EXPECT_FALSE(is_background(img, piece, frame, 1.01, 1.01));
}

// A backdrop of four colours in 10-px cells (a brick wall, a tiled floor): every colour is common
// in the frame, and no one-colour piece matches the frame's whole histogram.
cv::Mat four_colour_backdrop(cv::Size size) {
  const cv::Vec3b colours[] = {{90, 60, 160}, {150, 110, 40}, {70, 150, 70}, {160, 160, 160}};
  cv::Mat img(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) img.at<cv::Vec3b>(y, x) = colours[(x / 10 + 2 * (y / 10)) % 4];
  return img;
}

TEST(RegionFilters, FrameColourSupportFindsPiecesOfAPatternedBackdrop) {
  cv::Mat img = four_colour_backdrop({100, 100});
  img(cv::Rect(50, 70, 20, 30)).setTo(cv::Scalar(0, 0, 220));  // a red garment touching the bottom
  img(cv::Rect(30, 10, 20, 20)).setTo(cv::Scalar(0, 220, 220));  // a yellow one inside
  const FrameColourModel frame = frame_colour_model(img);
  // One brick inside the image: its colour is a quarter of the frame, so the histogram match stays low
  // and the background filter keeps it, but all of its pixels have a common frame colour.
  const cv::Mat brick = rect_mask(img.size(), {30, 40, 10, 10});
  EXPECT_LT(frame_colour_match(img, brick, frame), 0.5);
  EXPECT_FALSE(is_background(img, brick, frame, 0.25, 0.75));
  EXPECT_DOUBLE_EQ(frame_colour_support(img, brick, frame, kCommonFrameColourShare), 1.0);
  // Half backdrop, half yellow garment: half supported.
  const cv::Mat half = rect_mask(img.size(), {20, 10, 20, 10});
  EXPECT_NEAR(frame_colour_support(img, half, frame, kCommonFrameColourShare), 0.5, 1e-9);
  // The garment's colour is in the frame only where the garment itself touches it: no support.
  const cv::Mat garment = rect_mask(img.size(), {50, 70, 20, 30});
  EXPECT_DOUBLE_EQ(frame_colour_support(img, garment, frame, kCommonFrameColourShare), 0.0);
  // A colour that is rarer in the frame than common_share does not count.
  EXPECT_DOUBLE_EQ(frame_colour_support(img, brick, frame, 0.5), 0.0);
  EXPECT_EQ(frame_colour_support(img, cv::Mat::zeros(img.size(), CV_8UC1), frame, 0.02), 0.0);
}

TEST(RegionFilters, SkinHueExcludesPinkButNotTan) {
  EXPECT_TRUE(is_skin_hue(cv::Vec3b(120, 150, 220)));   // light skin (BGR)
  EXPECT_TRUE(is_skin_hue(cv::Vec3b(50, 60, 90)));      // dark skin
  EXPECT_FALSE(is_skin_hue(cv::Vec3b(170, 140, 230)));  // pink: B > G
  EXPECT_FALSE(is_skin_hue(cv::Vec3b(120, 150, 150)));  // olive: R = G
  // The pink passes the YCrCb half of the rule (what dropped pink garments as skin before)...
  cv::Mat ycrcb;
  cv::cvtColor(cv::Mat(1, 1, CV_8UC3, cv::Scalar(170, 140, 230)), ycrcb, cv::COLOR_BGR2YCrCb);
  const cv::Vec3b p = ycrcb.at<cv::Vec3b>(0, 0);
  EXPECT_TRUE(p[0] >= 60 && p[1] >= 135 && p[1] <= 180 && p[2] >= 85 && p[2] <= 135);
  // ...but is not skin now; camel still is (a documented limit of a colour rule).
  cv::Mat img(10, 20, CV_8UC3, cv::Scalar(170, 140, 230));
  img(cv::Rect(10, 0, 10, 10)).setTo(cv::Scalar(107, 154, 193));  // camel
  EXPECT_EQ(skin_fraction(img, rect_mask(img.size(), {0, 0, 10, 10})), 0.0);
  EXPECT_EQ(skin_fraction(img, rect_mask(img.size(), {10, 0, 10, 10})), 1.0);
}

TEST(RegionFilters, CapGivesDeferredRegionsOnlyLeftoverSlots) {
  const cv::Size s(60, 20);
  std::vector<MaskCandidate> c;
  c.push_back(cand(rect_mask(s, {0, 0, 10, 10}), 0.9f));
  c.push_back(cand(rect_mask(s, {20, 0, 10, 10}), 0.8f));
  c.push_back(cand(rect_mask(s, {40, 0, 10, 10}), 0.7f));
  EXPECT_EQ(cap_regions_deferring(c, 2, 0.5, {true, false, false}), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(cap_regions_deferring(c, 3, 0.5, {true, false, false}), (std::vector<bool>{false, false, false}));
  // Leftover slots go to deferred regions best first.
  EXPECT_EQ(cap_regions_deferring(c, 2, 0.5, {true, true, true}), (std::vector<bool>{false, false, true}));
  // No deferral: the plain cap.
  EXPECT_EQ(cap_regions_deferring(c, 2, 0.5, {}), cap_regions(c, 2, 0.5));
}

TEST(RegionFilters, CapDefersBackdropPiecesBehindGarments) {
  cv::Mat img = four_colour_backdrop({100, 100});
  img(cv::Rect(50, 30, 20, 30)).setTo(cv::Scalar(0, 0, 220));  // a red garment inside
  SegmenterConfig cfg;
  cfg.max_regions = 1;
  std::vector<MaskCandidate> c;
  c.push_back(cand(rect_mask(img.size(), {20, 40, 10, 10}), 0.95f));  // a brick, scored higher
  c.push_back(cand(rect_mask(img.size(), {50, 30, 20, 30}), 0.9f));   // the garment
  FilterStats stats;
  std::vector<std::pair<MaskCandidate, std::string>> dropped;
  apply_region_filters(c, img, cfg, stats, &dropped);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].box, cv::Rect(50, 30, 20, 30));
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].second, "cap");
  EXPECT_EQ(dropped[0].first.box, cv::Rect(20, 40, 10, 10));
}

TEST(RegionFilters, SkinFraction) {
  cv::Mat img(20, 20, CV_8UC3, cv::Scalar(255, 0, 0));            // blue
  img(cv::Rect(0, 0, 10, 20)).setTo(cv::Scalar(120, 150, 220));   // a light skin tone (BGR)
  EXPECT_NEAR(skin_fraction(img, rect_mask(img.size(), {0, 0, 20, 20})), 0.5, 1e-9);
  EXPECT_NEAR(skin_fraction(img, rect_mask(img.size(), {0, 0, 10, 10})), 1.0, 1e-9);
  EXPECT_NEAR(skin_fraction(img, rect_mask(img.size(), {10, 0, 10, 10})), 0.0, 1e-9);
  EXPECT_EQ(skin_fraction(img, cv::Mat::zeros(img.size(), CV_8UC1)), 0.0);
}

TEST(RegionFilters, Thickness) {
  EXPECT_NEAR(mask_thickness(rect_mask({100, 100}, {10, 10, 60, 10})), 10.0, 1.5);
  EXPECT_NEAR(mask_thickness(rect_mask({100, 100}, {10, 10, 40, 40})), 40.0, 1.5);
  // On the image edge the edge counts as boundary.
  EXPECT_NEAR(mask_thickness(rect_mask({100, 100}, {0, 0, 100, 6})), 6.0, 1.5);
  EXPECT_EQ(mask_thickness(cv::Mat::zeros(5, 5, CV_8UC1)), 0.0);
  EXPECT_NEAR(mask_thickness(rect_mask({20, 20}, {5, 5, 10, 1})), 1.0, 0.01);
}

TEST(RegionFilters, ContainedDuplicates) {
  const cv::Size s(100, 100);
  std::vector<MaskCandidate> c{cand(rect_mask(s, {0, 0, 50, 50})),     // 2500
                               cand(rect_mask(s, {0, 0, 50, 48})),     // inside, 96% of 0: dup
                               cand(rect_mask(s, {0, 0, 20, 20})),     // inside, 16%: a part, kept
                               cand(rect_mask(s, {45, 0, 50, 50}))};   // overlaps 10%: kept
  EXPECT_EQ(contained_duplicates(c, 0.9, 0.8), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(contained_duplicates(c, 1.01, 0.8), (std::vector<bool>(4, false)));
  // A marked mask does not mark others.
  std::vector<MaskCandidate> chain{cand(rect_mask(s, {0, 0, 50, 50})), cand(rect_mask(s, {0, 0, 50, 45})),
                                   cand(rect_mask(s, {0, 0, 50, 40}))};
  EXPECT_EQ(contained_duplicates(chain, 0.9, 0.85), (std::vector<bool>{false, true, false}));
}

TEST(RegionFilters, ApplyCountsEachStepAndCaps) {
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar(40, 160, 40));  // green background
  img(cv::Rect(10, 10, 30, 30)).setTo(cv::Scalar(200, 0, 0));
  img(cv::Rect(60, 60, 30, 30)).setTo(cv::Scalar(0, 0, 200));
  img(cv::Rect(60, 10, 30, 30)).setTo(cv::Scalar(120, 150, 220));  // skin
  std::vector<MaskCandidate> c;
  c.push_back(cand(rect_mask(img.size(), {0, 0, 100, 100}), 0.9f));  // background
  c.push_back(cand(rect_mask(img.size(), {10, 10, 30, 30}), 0.95f));
  c.push_back(cand(rect_mask(img.size(), {60, 60, 30, 30}), 0.99f));
  c.push_back(cand(rect_mask(img.size(), {60, 10, 30, 30}), 0.97f));  // skin
  c.push_back(cand(rect_mask(img.size(), {45, 45, 10, 1}), 0.96f));   // thin
  c.push_back(cand(rect_mask(img.size(), {10, 10, 30, 29}), 0.98f));  // duplicate of #1
  SegmenterConfig cfg;
  cfg.max_regions = 1;
  cfg.min_thickness_frac = 0.05;  // 5 px
  FilterStats stats;
  std::vector<std::pair<MaskCandidate, std::string>> dropped;
  apply_region_filters(c, img, cfg, stats, &dropped);
  EXPECT_EQ(stats.to_json(), R"({"candidates":0,"background":5,"skin":4,"thin":3,"contained":2,"cap":1})");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FLOAT_EQ(c[0].predicted_iou, 0.99f);  // best score first
  ASSERT_EQ(dropped.size(), 5u);
  EXPECT_EQ(dropped[0].second, "background");
  EXPECT_EQ(dropped[1].second, "skin");
  EXPECT_EQ(dropped[2].second, "thin");
  EXPECT_EQ(dropped[3].second, "contained");
  EXPECT_FLOAT_EQ(dropped[3].first.predicted_iou, 0.98f);  // the smaller twin goes, whatever its score
  EXPECT_EQ(dropped[4].second, "cap");
}

// A skin-coloured region goes unless the backend rates it a product (a camel bag): the classic
// backend's item probability at or above skin_keep_item_prob keeps it; no probability (SAM's -1) or
// a low one does not, nor does any probability once the exemption is disabled.
TEST(RegionFilters, SkinKeepsRegionsTheBackendRatesProducts) {
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar(40, 160, 40));
  img(cv::Rect(10, 10, 30, 30)).setTo(cv::Scalar(120, 150, 220));  // skin-coloured
  const cv::Mat mask = rect_mask(img.size(), {10, 10, 30, 30});
  auto dropped_as_skin = [&](float item_probability, double keep) {
    std::vector<MaskCandidate> c{cand(mask)};
    c[0].item_probability = item_probability;
    SegmenterConfig cfg;
    cfg.skin_keep_item_prob = keep;
    FilterStats stats;
    apply_region_filters(c, img, cfg, stats, nullptr);
    return c.empty();
  };
  EXPECT_TRUE(dropped_as_skin(-1.f, 0.3));   // SAM: by colour alone
  EXPECT_TRUE(dropped_as_skin(0.1f, 0.3));   // rated unlikely a product
  EXPECT_FALSE(dropped_as_skin(0.3f, 0.3));  // rated a product
  EXPECT_FALSE(dropped_as_skin(0.9f, 0.3));
  EXPECT_TRUE(dropped_as_skin(0.9f, 1.01));  // the exemption disabled
}

TEST(RegionFilters, CapPrefersRegionsThatDoNotRepeatAKeptOne) {
  const cv::Size s(100, 100);
  std::vector<MaskCandidate> c;  // best first
  c.push_back(cand(rect_mask(s, {10, 10, 40, 40}), 0.99f));  // a garment
  c.push_back(cand(rect_mask(s, {10, 10, 40, 30}), 0.98f));  // the garment less its hem: IoU 0.75
  c.push_back(cand(rect_mask(s, {70, 70, 10, 10}), 0.97f));  // an accessory
  c.push_back(cand(rect_mask(s, {60, 10, 20, 20}), 0.96f));  // a bag
  // Two slots: the variant waits behind the accessory.
  EXPECT_EQ(cap_regions(c, 2, 0.5), (std::vector<bool>{false, true, false, true}));
  // Three slots: the variant comes after the bag, whatever its score.
  EXPECT_EQ(cap_regions(c, 3, 0.5), (std::vector<bool>{false, true, false, false}));
  // Slots left over go to the skipped regions.
  EXPECT_EQ(cap_regions(c, 4, 0.5), (std::vector<bool>{false, false, false, false}));
  // IoU 0.75 is not > 0.75; above 1 the cap is the plain best-first one.
  EXPECT_EQ(cap_regions(c, 2, 0.75), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(cap_regions(c, 2, 1.01), (std::vector<bool>{false, false, true, true}));
  EXPECT_TRUE(cap_regions({}, 3, 0.5).empty());
}

}  // namespace
}  // namespace ensemble::segment
