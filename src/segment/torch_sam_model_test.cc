#include "segment/torch_sam_model.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>

#include "ensemble/neural/manifest.h"
#include "ensemble/neural/transforms.h"
#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"
#include "neural/testing/tiny_models.h"
#include "testing/temp_dir.h"

namespace ensemble::segment {
namespace {

using ensemble::testing::TempDir;
namespace fs = std::filesystem;
namespace nt = ensemble::neural::testing;

cv::Mat test_image() {
  cv::Mat img(200, 300, CV_8UC3, cv::Scalar(200, 180, 160));
  cv::rectangle(img, {0, 0, 40, 40}, cv::Scalar(0, 0, 255), cv::FILLED);  // red top-left corner
  cv::circle(img, {150, 100}, 50, cv::Scalar(40, 90, 30), cv::FILLED);
  return img;
}

// The tiny decoder's low-res logits for one point (model frame), written out in the test.
cv::Mat expected_low_res(const nt::TinySam& m, int k, cv::Point2f p, float e00) {
  cv::Mat low(256, 256, CV_32FC1);
  const float step = static_cast<float>(m.input_size) / 256.f;
  for (int v = 0; v < 256; ++v)
    for (int u = 0; u < 256; ++u) {
      const float dx = (u + 0.5f) * step - p.x, dy = (v + 0.5f) * step - p.y;
      low.at<float>(v, u) = (m.radius[static_cast<std::size_t>(k)] - std::sqrt(dx * dx + dy * dy)) * m.slope + m.bias * e00;
    }
  return low;
}

TEST(TorchSamModel, EncoderSeesSamPreprocessingAndDecoderOutputIsPostprocessed) {
  TempDir dir;
  nt::TinySam tiny;
  tiny.bias = 10.f;  // makes the masks depend on the encoder's output
  const fs::path manifest = nt::write_tiny_sam(dir.path(), tiny);
  std::string id;
  auto model = load_torch_sam_model(manifest, {}, &id);
  EXPECT_EQ(id.rfind("tiny-sam@test-1#sha=", 0), 0u) << id;

  const cv::Mat img = test_image();
  const auto emb = model->encode(img);
  const std::vector<cv::Point2f> points{{10.5f, 20.25f}, {150.f, 100.f}};
  const SamDecoderOutput out = model->decode(*emb, points);
  ASSERT_EQ(out.logits.size(), 6u);
  ASSERT_EQ(out.iou_predictions.size(), 6u);

  // e00 = mean of the normalised R plane over the top-left 16 × 16 block of SAM's input.
  const std::vector<float> pixels = neural::sam_preprocess(img, 1024, tiny.mean, tiny.std);
  double e00 = 0;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) e00 += pixels[static_cast<std::size_t>(y) * 1024 + x];
  e00 /= 256;
  EXPECT_GT(e00, 1.5) << "the red corner is bright red in R";
  for (std::size_t p = 0; p < points.size(); ++p) {
    const cv::Point2f q = neural::sam_point_to_model(points[p], img.size(), 1024);
    for (int k = 0; k < 3; ++k) {
      const cv::Mat want = neural::sam_postprocess_mask(
          expected_low_res(tiny, k, q, static_cast<float>(e00)).ptr<float>(), 256, 256, img.size(), 1024);
      const cv::Mat& got = out.logits[3 * p + static_cast<std::size_t>(k)];
      ASSERT_EQ(got.type(), CV_32FC1);
      ASSERT_EQ(got.size(), img.size());
      EXPECT_LT(cv::norm(got, want, cv::NORM_INF), 0.02) << p << " " << k;
      EXPECT_FLOAT_EQ(out.iou_predictions[3 * p + static_cast<std::size_t>(k)], tiny.ious[static_cast<std::size_t>(k)]);
    }
  }
  // The smallest mask of the second point is a disc of radius 48 / (1024 / 300) pixels around it.
  // (Less the encoder-dependent offset bias × e00.)
  const cv::Mat disc = out.logits[3] - tiny.bias * e00;
  EXPECT_GT(disc.at<float>(100, 150), 0.f);
  EXPECT_GT(disc.at<float>(100, 150 + 13), 0.f);
  EXPECT_LT(disc.at<float>(100, 150 + 15), 0.f);
}

TEST(TorchSamModel, MakeSegmenterBuildsItAndTheIdRoundTrips) {
  TempDir dir;
  const fs::path manifest = nt::write_tiny_sam(dir.path());
  SegmenterConfig cfg;
  cfg.points_per_side = 4;
  const auto seg = make_segmenter("sam:" + manifest.string(), cfg);
  EXPECT_EQ(seg->id().rfind("sam:" + manifest.string() + "#v2#tiny-sam@test-1#sha=", 0), 0u) << seg->id();
  const auto again = make_segmenter(seg->id(), cfg);
  EXPECT_EQ(again->id(), seg->id());
  const SegmentationResult r = seg->segment(test_image());
  EXPECT_EQ(r.stats.candidates, 4 * 4 * 3);
  EXPECT_EQ(r.size, cv::Size(300, 200));
}

TEST(TorchSamModel, LoadFailuresAreClear) {
  TempDir dir;
  const fs::path manifest = nt::write_tiny_sam(dir.path());
  // The manifest promises 128 × 128 masks; the decoder returns 256 × 256.
  {
    neural::Manifest m = neural::load_manifest(manifest);
    for (auto& f : m.files)
      if (f.role == "mask_decoder") f.outputs[0].shape = {-1, 3, 128, 128};
    std::ofstream(dir / "wrong.json") << neural::to_json(m, dir.path());
  }
  try {
    make_segmenter("sam:" + (dir / "wrong.json").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("decoder.pt"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("output 'masks' has shape [2, 3, 256, 256], the manifest says [-1, 3, 128, 128]"),
              std::string::npos)
        << e.what();
  }
  // CUDA asked for on a machine without it.
  neural::RuntimeOptions rt;
  rt.device = "cuda";
  try {
    load_torch_sam_model(manifest, rt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("sam.json: device 'cuda' was requested"), std::string::npos) << e.what();
  }
  // A clip manifest is not a sam one; a missing one is kNotFound.
  nt::TinyClip clip;
  const fs::path clip_manifest = nt::write_tiny_clip(dir / "clip", clip);
  EXPECT_THROW(make_segmenter("sam:" + clip_manifest.string()), Error);
  try {
    make_segmenter("sam:" + (dir / "absent.json").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  // A truncated encoder is caught by its checksum.
  std::filesystem::resize_file(dir / "encoder.pt", 100);
  try {
    make_segmenter("sam:" + manifest.string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("encoder.pt"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ensemble::segment
