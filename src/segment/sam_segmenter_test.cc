// SAM's automatic mask generation over a mock model with known outputs.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "ensemble/segment/mask_filters.h"
#include "ensemble/segment/sam_model.h"
#include "ensemble/util/error.h"

namespace ensemble::segment {
namespace {

struct Calls {
  int encode = 0;
  std::vector<std::vector<cv::Point2f>> decode;
};

class MockEmbedding : public SamImageEmbedding {
 public:
  explicit MockEmbedding(cv::Size s) : size(s) {}
  cv::Size size;
};

// Image 64×48 with a 4×4 grid: point (col c, row r) sits in the middle of cell (16c..16c+15,
// 12r..12r+11). Per point the decoder answers:
//   mask 0: the cell, hard logits ±10, predicted IoU 0.95            -> kept
//   mask 1: the cell, predicted IoU exactly 0.88                     -> dropped (IoU filter is strict)
//   mask 2: even columns: the cell shifted right by one pixel, IoU 0.97, hard -> beats mask 0 in NMS
//           odd columns: a soft cell (core +5, ring +0.5), IoU 0.99   -> dropped by stability
// Point 0's mask 0 also has a one-pixel hole (filled by post-processing).
class MockSam : public SamModel {
 public:
  explicit MockSam(Calls* calls) : calls_(calls) {}
  std::unique_ptr<SamImageEmbedding> encode(const cv::Mat& bgr) override {
    ++calls_->encode;
    return std::make_unique<MockEmbedding>(bgr.size());
  }
  SamDecoderOutput decode(const SamImageEmbedding& e, const std::vector<cv::Point2f>& points) override {
    calls_->decode.push_back(points);
    const cv::Size size = dynamic_cast<const MockEmbedding&>(e).size;
    SamDecoderOutput out;
    for (const auto& p : points) {
      const int c = static_cast<int>(p.x) / 16, r = static_cast<int>(p.y) / 12;
      const cv::Rect cell(16 * c, 12 * r, 16, 12);
      cv::Mat m0(size, CV_32F, cv::Scalar(-10));
      m0(cell).setTo(10);
      if (c == 0 && r == 0) m0.at<float>(5, 5) = -10;
      cv::Mat m1 = m0.clone();
      cv::Mat m2(size, CV_32F, cv::Scalar(-10));
      float iou2 = 0.97f;
      if (c % 2 == 0) {
        m2((cell + cv::Point(1, 0)) & cv::Rect(0, 0, size.width, size.height)).setTo(10);
      } else {
        m2(cell).setTo(0.5);
        m2(cv::Rect(cell.x + 4, cell.y + 3, 8, 6)).setTo(5);
        iou2 = 0.99f;
      }
      out.logits.push_back(m0);
      out.logits.push_back(m1);
      out.logits.push_back(m2);
      out.iou_predictions.insert(out.iou_predictions.end(), {0.95f, 0.88f, iou2});
    }
    return out;
  }

 private:
  Calls* calls_;
};

SegmenterConfig sam_only_config() {
  SegmenterConfig c;
  c.points_per_side = 4;
  c.points_per_batch = 5;
  c.min_hole_area_frac = 2.0 / (64 * 48);  // holes < 2 px
  c.min_island_area_frac = 2.0 / (64 * 48);
  // Region quality filters off: this test is about SAM's own steps.
  c.background_frame_frac = 1.01;
  c.background_colour_match = 1.01;
  c.skin_max_frac = 1.01;
  c.min_thickness_frac = 0;
  c.containment_thresh = 1.01;
  c.max_contexts = 1;
  return c;
}

TEST(SamSegmenter, GridBatchingScoringNmsAndPostprocessing) {
  Calls calls;
  auto seg = make_sam_segmenter(std::make_unique<MockSam>(&calls), "sam:enc.pt,dec.pt", sam_only_config());
  EXPECT_EQ(seg->id(), "sam:enc.pt,dec.pt");
  const cv::Mat image(48, 64, CV_8UC3, cv::Scalar(90, 120, 200));
  const SegmentationResult r = seg->segment(image);

  // Encoder once; decoder ceil(16 / 5) = 4 times with the grid in order: 5, 5, 5, 1 points.
  EXPECT_EQ(calls.encode, 1);
  ASSERT_EQ(calls.decode.size(), 4u);
  EXPECT_EQ(calls.decode[0].size(), 5u);
  EXPECT_EQ(calls.decode[3].size(), 1u);
  const auto grid = grid_points_for_image(4, image.size());
  std::size_t k = 0;
  for (const auto& batch : calls.decode) {
    for (const auto& p : batch) {
      EXPECT_EQ(p, grid[k]);
      ++k;
    }
  }
  EXPECT_EQ(k, 16u);
  EXPECT_FLOAT_EQ(calls.decode[0][0].x, 8.f);
  EXPECT_FLOAT_EQ(calls.decode[0][0].y, 6.f);

  // 48 candidates; 32 above 0.88; 24 stable (8 soft masks of odd columns dropped); all in area
  // range; NMS keeps the 8 shifted masks of even columns and the 8 cells of odd columns; the
  // one-pixel hole of point 0 belongs to a suppressed mask, so nothing changes afterwards.
  EXPECT_EQ(r.stats.candidates, 48);
  EXPECT_EQ(r.stats.kept_after("pred_iou"), 32);
  EXPECT_EQ(r.stats.kept_after("stability"), 24);
  EXPECT_EQ(r.stats.kept_after("area"), 24);
  EXPECT_EQ(r.stats.kept_after("nms"), 16);
  EXPECT_EQ(r.stats.kept_after("small_regions"), 16);
  EXPECT_EQ(r.stats.kept_after("cap"), 16);
  EXPECT_EQ(r.stats.to_json(),
            R"({"candidates":48,"pred_iou":32,"stability":24,"area":24,"nms":16,"small_regions":16,)"
            R"("background":16,"skin":16,"thin":16,"contained":16,"cap":16})");

  ASSERT_EQ(r.kept_count(), 16);
  int shifted = 0, cells = 0;
  for (const auto& reg : r.regions) {
    EXPECT_EQ(reg.mask.size(), image.size());
    EXPECT_EQ(reg.area, cv::countNonZero(reg.mask));
    EXPECT_FLOAT_EQ(reg.stability, 1.f);
    const int c = static_cast<int>(reg.point.x) / 16, row = static_cast<int>(reg.point.y) / 12;
    const cv::Rect cell(16 * c, 12 * row, 16, 12);
    if (c % 2 == 0) {
      ++shifted;
      EXPECT_FLOAT_EQ(reg.predicted_iou, 0.97f);
      EXPECT_EQ(reg.bbox, cell + cv::Point(1, 0));
    } else {
      ++cells;
      EXPECT_FLOAT_EQ(reg.predicted_iou, 0.95f);
      EXPECT_EQ(reg.bbox, cell);
    }
  }
  EXPECT_EQ(shifted, 8);
  EXPECT_EQ(cells, 8);
}

TEST(SamSegmenter, StabilityFilterOffStillScores) {
  Calls calls;
  SegmenterConfig cfg = sam_only_config();
  cfg.pred_iou_thresh = 0.96f;  // only the shifted (0.97) and soft (0.99) masks pass...
  cfg.stability_score_thresh = 0.f;  // ...and the soft ones stay
  cfg.points_per_batch = 64;
  auto seg = make_sam_segmenter(std::make_unique<MockSam>(&calls), "sam:a,b", cfg);
  const SegmentationResult r = seg->segment(cv::Mat(48, 64, CV_8UC3, cv::Scalar(0, 0, 0)));
  EXPECT_EQ(calls.decode.size(), 1u);
  EXPECT_EQ(r.stats.kept_after("pred_iou"), 16);
  EXPECT_EQ(r.stats.kept_after("stability"), 16);
  // Soft masks binarize to their whole cell (0.5 > 0); stability is still reported.
  for (const auto& reg : r.regions) {
    if (static_cast<int>(reg.point.x) / 16 % 2 == 1) {
      EXPECT_NEAR(reg.stability, 48.f / 192.f, 1e-6);
      EXPECT_EQ(reg.area, 192);
    }
  }
}

TEST(SamSegmenter, NmsThresholdOneKeepsOverlaps) {
  Calls calls;
  SegmenterConfig cfg = sam_only_config();
  cfg.pred_iou_thresh = 0.9f;
  cfg.box_nms_thresh = 1.f;  // keep everything through NMS
  cfg.points_per_side = 1;   // one point at (32, 24): cell (2, 2)
  auto seg = make_sam_segmenter(std::make_unique<MockSam>(&calls), "sam:a,b", cfg);
  const SegmentationResult r = seg->segment(cv::Mat(48, 64, CV_8UC3, cv::Scalar(0, 0, 0)));
  EXPECT_EQ(r.stats.candidates, 3);
  EXPECT_EQ(r.kept_count(), 2);
}

class HoleSam : public MockSam {
 public:
  using MockSam::MockSam;
  SamDecoderOutput decode(const SamImageEmbedding& e, const std::vector<cv::Point2f>& points) override {
    SamDecoderOutput out = MockSam::decode(e, points);
    for (std::size_t p = 0; p < points.size(); ++p) out.iou_predictions[3 * p + 2] = 0.1f;
    return out;
  }
};

TEST(SamSegmenter, RepairedMaskKeepsItsFilledPixels) {
  Calls calls;
  auto seg = make_sam_segmenter(std::make_unique<HoleSam>(&calls), "sam:a,b", sam_only_config());
  const SegmentationResult r = seg->segment(cv::Mat(48, 64, CV_8UC3, cv::Scalar(0, 0, 0)));
  // Only masks 0 survive (16 cells); point 0's cell had a one-pixel hole, now filled.
  ASSERT_EQ(r.kept_count(), 16);
  bool found = false;
  for (const auto& reg : r.regions) {
    if (reg.bbox == cv::Rect(0, 0, 16, 12)) {
      found = true;
      EXPECT_EQ(reg.area, 192);
      EXPECT_EQ(reg.mask.at<uchar>(5, 5), 255);
    }
  }
  EXPECT_TRUE(found);
}

class BadSam : public MockSam {
 public:
  using MockSam::MockSam;
  SamDecoderOutput decode(const SamImageEmbedding& e, const std::vector<cv::Point2f>& points) override {
    SamDecoderOutput out = MockSam::decode(e, points);
    out.logits.pop_back();
    return out;
  }
};

TEST(SamSegmenter, RejectsWrongDecoderOutputAndBadImages) {
  Calls calls;
  auto bad = make_sam_segmenter(std::make_unique<BadSam>(&calls), "sam:a,b", sam_only_config());
  EXPECT_THROW(bad->segment(cv::Mat(48, 64, CV_8UC3, cv::Scalar(0))), Error);
  auto seg = make_sam_segmenter(std::make_unique<MockSam>(&calls), "sam:a,b", sam_only_config());
  try {
    seg->segment(cv::Mat());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  }
  EXPECT_THROW(seg->segment(cv::Mat(48, 64, CV_32FC3)), Error);
  EXPECT_THROW(make_sam_segmenter(nullptr, "sam:a,b"), Error);
}

}  // namespace
}  // namespace ensemble::segment
