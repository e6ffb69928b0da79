#include "embed/clip_embedder.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>

#include "embed/crop.h"
#include "ensemble/neural/transforms.h"
#include "ensemble/util/error.h"
#include "neural/testing/tiny_models.h"
#include "testing/temp_dir.h"

namespace ensemble::embed {
namespace {

using ensemble::testing::TempDir;
namespace fs = std::filesystem;
namespace nt = ensemble::neural::testing;

// What the tiny image tower must give for an image already prepared as BGR: CLIP preprocessing,
// 8 × 8 block means per channel, times proj, L2-normalised.
std::vector<float> expected_image(const cv::Mat& bgr, const nt::TinyClip& m) {
  const int s = m.input_size, b = s / 8;
  const std::vector<float> t = neural::clip_preprocess(bgr, s, m.mean, m.std);
  std::vector<double> pooled(192, 0.0);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) pooled[(c * 8 + y / b) * 8 + x / b] += t[(static_cast<std::size_t>(c) * s + y) * s + x];
  for (auto& v : pooled) v /= b * b;
  std::vector<float> out(static_cast<std::size_t>(m.dim));
  double ss = 0;
  for (int d = 0; d < m.dim; ++d) {
    double v = 0;
    for (int i = 0; i < 192; ++i) v += pooled[static_cast<std::size_t>(i)] * m.proj[static_cast<std::size_t>(i) * m.dim + d];
    out[static_cast<std::size_t>(d)] = static_cast<float>(v);
    ss += v * v;
  }
  for (auto& v : out) v = static_cast<float>(v / std::sqrt(ss));
  return out;
}

// A fake tokenizer: one id per byte, then padding to the context length.
std::vector<std::int64_t> byte_tokens(const std::string& text, int context) {
  std::vector<std::int64_t> ids(static_cast<std::size_t>(context), 0);
  for (std::size_t i = 0; i < text.size() && i < ids.size(); ++i) ids[i] = static_cast<unsigned char>(text[i]) + 3;
  return ids;
}

cv::Mat test_image(int w, int h) {
  cv::Mat img(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      img.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 255) / w, (y * 255) / h, ((x + y) * 7) % 256);
  return img;
}

class ClipEmbedderTest : public ::testing::Test {
 protected:
  void SetUp() override { manifest_ = nt::write_tiny_clip(dir_.path(), clip_); }
  TempDir dir_;
  nt::TinyClip clip_;
  fs::path manifest_;
};

TEST_F(ClipEmbedderTest, ImageTowerSeesClipPreprocessingAndNormalises) {
  EmbedderOptions o;
  o.batch_size = 2;
  const auto e = make_clip_embedder("clip:" + manifest_.string(), manifest_, o, byte_tokens);
  EXPECT_EQ(e->dim(), clip_.dim);
  EXPECT_EQ(e->id().rfind("clip:" + manifest_.string() + "#v1#tiny-clip@test-1#sha=", 0), 0u) << e->id();
  EXPECT_EQ(spec_of_id(e->id()), "clip:" + manifest_.string());

  const std::vector<cv::Mat> images{test_image(300, 224), test_image(224, 400), test_image(500, 333)};
  const Embeddings v = e->embed(images);
  ASSERT_EQ(v.rows, 3);
  for (int i = 0; i < 3; ++i) {
    const std::vector<float> want = expected_image(images[static_cast<std::size_t>(i)], clip_);
    double norm = 0;
    for (int d = 0; d < clip_.dim; ++d) {
      EXPECT_NEAR(v.row(i)[d], want[static_cast<std::size_t>(d)], 2e-5) << i << " " << d;
      norm += v.row(i)[d] * v.row(i)[d];
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  // Batches of 2 give the same rows as one image at a time; grey and BGRA inputs are accepted.
  const Embeddings one = e->embed(std::span<const cv::Mat>(&images[2], 1));
  for (int d = 0; d < clip_.dim; ++d) EXPECT_NEAR(one.row(0)[d], v.row(2)[d], 1e-6);
  cv::Mat grey, bgra;
  cv::cvtColor(images[0], grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(images[0], bgra, cv::COLOR_BGR2BGRA);
  EXPECT_EQ(e->embed(std::vector<cv::Mat>{grey, bgra}).rows, 2);
  EXPECT_THROW(e->embed(std::vector<cv::Mat>{cv::Mat()}), Error);
}

TEST_F(ClipEmbedderTest, MaskedRegionsArePreparedAsCatalogCrops) {
  const auto e = make_clip_embedder("clip:m", manifest_, {}, byte_tokens);
  const cv::Mat img = test_image(320, 240);
  cv::Mat mask(img.size(), CV_8UC1, cv::Scalar(0));
  cv::circle(mask, {200, 100}, 50, cv::Scalar(255), cv::FILLED);
  const std::vector<cv::Mat> images{img, img};
  const std::vector<cv::Mat> masks{mask, cv::Mat()};
  const Embeddings v = e->embed(images, masks);
  const std::vector<float> region = expected_image(detail::prepare_crop(img, mask, clip_.input_size), clip_);
  const std::vector<float> whole = expected_image(img, clip_);
  for (int d = 0; d < clip_.dim; ++d) {
    EXPECT_NEAR(v.row(0)[d], region[static_cast<std::size_t>(d)], 2e-5);
    EXPECT_NEAR(v.row(1)[d], whole[static_cast<std::size_t>(d)], 2e-5);
  }
  try {
    e->embed(images, std::vector<cv::Mat>{mask});
    FAIL();
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kInvalidArgument);
  }
}

TEST_F(ClipEmbedderTest, TextTower) {
  const auto e = make_clip_embedder("clip:m", manifest_, {}, byte_tokens);
  ASSERT_TRUE(e->has_text());
  const std::vector<std::string> texts{"red dress", "", "denim jacket"};
  const Embeddings v = e->embed_text(texts);
  ASSERT_EQ(v.rows, 3);
  for (int i = 0; i < 3; ++i) {
    const auto ids = byte_tokens(texts[static_cast<std::size_t>(i)], clip_.context_length);
    std::vector<double> want(static_cast<std::size_t>(clip_.dim), 0.0);
    for (auto id : ids)
      for (int d = 0; d < clip_.dim; ++d) want[static_cast<std::size_t>(d)] += clip_.table[static_cast<std::size_t>(id % clip_.vocab) * clip_.dim + d];
    double ss = 0;
    for (double w : want) ss += w * w;
    for (int d = 0; d < clip_.dim; ++d) EXPECT_NEAR(v.row(i)[d], want[static_cast<std::size_t>(d)] / std::sqrt(ss), 2e-5);
  }
}

TEST_F(ClipEmbedderTest, FactoryUsesTheManifestTokenizerAndChecksEverythingAtLoad) {
  const auto e = make_embedder("clip:" + manifest_.string());
  ASSERT_TRUE(e->has_text());
  EXPECT_EQ(e->embed_text(std::vector<std::string>{"a red dress"}).rows, 1);
  // The id is accepted back as a spec.
  EXPECT_EQ(make_embedder(e->id())->id(), e->id());

  EmbedderOptions cuda;
  cuda.device = "cuda";
  try {
    make_embedder("clip:" + manifest_.string(), cuda);
    FAIL() << "cuda on a machine without it";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(err.what()).find("'cuda'"), std::string::npos) << err.what();
    EXPECT_NE(std::string(err.what()).find(manifest_.filename().string()), std::string::npos) << err.what();
  }

  std::ofstream(dir_ / "image.pt", std::ios::binary | std::ios::app) << "x";
  try {
    make_embedder("clip:" + manifest_.string());
    FAIL();
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(err.what()).find("image.pt"), std::string::npos);
    EXPECT_NE(std::string(err.what()).find("checksum mismatch"), std::string::npos) << err.what();
  }
  try {
    make_embedder("clip:" + (dir_ / "nope.json").string());
    FAIL();
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kNotFound);
  }
}

TEST(ClipEmbedderNoText, EmbedTextRefused) {
  TempDir dir;
  nt::TinyClip clip;
  clip.text = false;
  const fs::path m = nt::write_tiny_clip(dir.path(), clip);
  const auto e = make_embedder("clip:" + m.string());
  EXPECT_FALSE(e->has_text());
  EXPECT_THROW(e->embed_text(std::vector<std::string>{"x"}), Error);
}

}  // namespace
}  // namespace ensemble::embed
