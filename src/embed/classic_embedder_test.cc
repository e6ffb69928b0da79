#include <gtest/gtest.h>

#include <cmath>

#include "embed/test_images.h"
#include "ensemble/embed/classic_embedder.h"
#include "ensemble/embed/embedder.h"
#include "ensemble/util/error.h"
#include "testing/temp_dir.h"

// OpenCV builds its BGR->Lab lookup tables once per process and never frees them;
// LeakSanitizer (ENSEMBLE_SANITIZE builds) would report them as leaks of this test. OpenCV has
// no frame pointers, so the slow unwinder is needed for the suppression to see the function.
extern "C" const char* __lsan_default_suppressions() { return "leak:cv::hal::cvtBGRtoLab\n"; }
extern "C" const char* __asan_default_options() { return "fast_unwind_on_malloc=0"; }

namespace ensemble::embed {
namespace {

namespace fix = ensemble::embed::testing;

float dot(const Embeddings& a, std::int64_t i, const Embeddings& b, std::int64_t j) {
  float s = 0;
  for (int d = 0; d < a.dim; ++d) s += a.row(i)[d] * b.row(j)[d];
  return s;
}

// Rank of gallery row `want` for query row q (0 = best).
int rank_of(const Embeddings& gallery, const Embeddings& queries, std::int64_t q, std::int64_t want) {
  float target = dot(queries, q, gallery, want);
  int rank = 0;
  for (std::int64_t g = 0; g < gallery.rows; ++g) rank += dot(queries, q, gallery, g) > target;
  return rank;
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorCode::kInternal;
}

// The catalog fixture and a projection fitted on it, shared by the tests (fitting takes ~1 s).
class ClassicEmbedderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new std::vector<cv::Mat>(fix::catalog());
    projection_ = new std::shared_ptr<const Projection>(std::make_shared<const Projection>(fit_classic_projection(*catalog_)));
  }
  static void TearDownTestSuite() {
    delete catalog_;
    delete projection_;
  }
  static std::vector<cv::Mat>* catalog_;
  static std::shared_ptr<const Projection>* projection_;
};
std::vector<cv::Mat>* ClassicEmbedderTest::catalog_ = nullptr;
std::shared_ptr<const Projection>* ClassicEmbedderTest::projection_ = nullptr;

TEST_F(ClassicEmbedderTest, RowsAreUnitLengthDeterministicAndBatchIndependent) {
  for (bool fitted : {false, true}) {
    ClassicEmbedder e(2, fitted ? *projection_ : nullptr);
    auto all = e.embed(*catalog_);
    ASSERT_EQ(all.rows, static_cast<std::int64_t>(catalog_->size()));
    ASSERT_EQ(all.dim, 512);
    for (std::int64_t i = 0; i < all.rows; ++i) EXPECT_NEAR(dot(all, i, all, i), 1.0f, 1e-5);
    // One at a time, on one thread, gives the same rows.
    ClassicEmbedder single(1, fitted ? *projection_ : nullptr);
    for (std::size_t i : {std::size_t{0}, std::size_t{7}, catalog_->size() - 1}) {
      auto one = single.embed(std::span(*catalog_).subspan(i, 1));
      for (int d = 0; d < 512; ++d) EXPECT_NEAR(one.row(0)[d], all.row(i)[d], 1e-5);
    }
  }
}

TEST_F(ClassicEmbedderTest, IdNamesVersionAndProjection) {
  ClassicEmbedder unfitted;
  EXPECT_EQ(unfitted.id(), "classic#v2");
  EXPECT_FALSE(unfitted.fitted());
  ClassicEmbedder fitted(0, *projection_);
  EXPECT_EQ(fitted.id(), "classic#v2#pca=" + (*projection_)->hash().substr(0, 12));
  EXPECT_EQ(spec_of_id(fitted.id()), "classic");
  EXPECT_EQ(make_embedder(spec_of_id(fitted.id()))->id(), unfitted.id());
}

TEST_F(ClassicEmbedderTest, AugmentedCopyOfAProductFindsTheProduct) {
  // Crop to ~88%, rescale, rotate 5°, JPEG 70: the product must still be the nearest one.
  for (bool fitted : {false, true}) {
    ClassicEmbedder e(0, fitted ? *projection_ : nullptr);
    auto gallery = e.embed(*catalog_);
    std::vector<cv::Mat> queries;
    std::vector<int> truth;
    for (std::size_t i = 0; i < catalog_->size(); i += 3) {
      cv::Mat m = (*catalog_)[i](cv::Rect(8, 12, 142, 140)).clone();
      cv::resize(m, m, cv::Size(), 1.3, 1.3);
      cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(m.cols / 2.0f, m.rows / 2.0f), 5.0, 1.0);
      cv::warpAffine(m, m, rot, m.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(255));
      queries.push_back(fix::jpeg(m, 70));
      truth.push_back(static_cast<int>(i));
    }
    auto q = e.embed(queries);
    int top1 = 0;
    for (std::size_t j = 0; j < truth.size(); ++j) top1 += rank_of(gallery, q, j, truth[j]) == 0;
    EXPECT_GE(top1, static_cast<int>(truth.size()) - 1) << (fitted ? "fitted" : "unfitted");
  }
}

TEST_F(ClassicEmbedderTest, MaskedRegionInAClutteredSceneFindsItsProduct) {
  // The region is cut out of a busy photo with its mask; the product photo is on white.
  ClassicEmbedder e(0, *projection_);
  auto gallery = e.embed(*catalog_);
  int top1 = 0, top3 = 0, total = 0;
  for (std::size_t i = 1; i < catalog_->size(); i += 4) {
    cv::Mat scene, mask;
    fix::lookbook((*catalog_)[i], 0.9, static_cast<int>(i), &scene, &mask);
    std::vector<cv::Mat> images = {fix::jpeg(scene, 85)}, masks = {mask};
    auto region = e.embed(images, masks);
    int r = rank_of(gallery, region, 0, static_cast<std::int64_t>(i));
    top1 += r == 0;
    top3 += r < 3;
    ++total;
  }
  EXPECT_GE(top1, total - 2);
  EXPECT_EQ(top3, total);

  // Without the mask the clutter dominates: the mask is what makes regions match products.
  cv::Mat scene, mask;
  fix::lookbook((*catalog_)[5], 0.9, 5, &scene, &mask);
  std::vector<cv::Mat> images = {scene}, masks = {mask};
  auto with = e.embed(images, masks), without = e.embed(images);
  EXPECT_GT(dot(with, 0, gallery, 5), dot(without, 0, gallery, 5) + 0.1f);
}

TEST_F(ClassicEmbedderTest, GreyAndTransparentInputsLookLikeTheirWhiteBackgroundPhoto) {
  ClassicEmbedder e(0, *projection_);
  const cv::Mat& p = (*catalog_)[3];
  cv::Mat grey, grey3, bgra;
  cv::cvtColor(p, grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(grey, grey3, cv::COLOR_GRAY2BGR);
  // BGRA: the garment opaque, the background transparent *black* (composited over white).
  cv::cvtColor(p, bgra, cv::COLOR_BGR2BGRA);
  cv::Mat fg;
  cv::inRange(p, cv::Scalar::all(250), cv::Scalar::all(255), fg);
  bgra.setTo(cv::Scalar(0, 0, 0, 0), fg);
  std::vector<cv::Mat> images = {grey, grey3, bgra, p};
  auto v = e.embed(images);
  EXPECT_NEAR(dot(v, 0, v, 1), 1.0f, 1e-4);
  EXPECT_GT(dot(v, 2, v, 3), 0.97f);
}

TEST_F(ClassicEmbedderTest, BadInputsAreErrors) {
  ClassicEmbedder e(1);
  std::vector<cv::Mat> empty = {cv::Mat()};
  EXPECT_EQ(code_of([&] { e.embed(empty); }), ErrorCode::kBadInput);
  std::vector<cv::Mat> deep = {cv::Mat(10, 10, CV_16UC3, cv::Scalar::all(1))};
  EXPECT_EQ(code_of([&] { e.embed(deep); }), ErrorCode::kInvalidArgument);
  std::vector<cv::Mat> two = {(*catalog_)[0], (*catalog_)[1]}, one_mask = {cv::Mat()};
  EXPECT_EQ(code_of([&] { e.embed(two, one_mask); }), ErrorCode::kInvalidArgument);
  std::vector<cv::Mat> one = {(*catalog_)[0]};
  std::vector<cv::Mat> wrong_size = {cv::Mat(10, 10, CV_8UC1, cv::Scalar(255))};
  EXPECT_EQ(code_of([&] { e.embed(one, wrong_size); }), ErrorCode::kInvalidArgument);
  std::vector<cv::Mat> nothing = {cv::Mat::zeros((*catalog_)[0].size(), CV_8UC1)};
  EXPECT_EQ(code_of([&] { e.embed(one, nothing); }), ErrorCode::kBadInput);
  // An empty mask entry means "whole image"; an empty batch is fine.
  std::vector<cv::Mat> whole = {cv::Mat()};
  EXPECT_EQ(e.embed(one, whole).rows, 1);
  EXPECT_EQ(e.embed({}).rows, 0);
  // A blank white image still embeds (nothing to trim, no division by zero).
  std::vector<cv::Mat> blank = {cv::Mat(50, 80, CV_8UC3, cv::Scalar::all(255))};
  auto b = e.embed(blank);
  EXPECT_NEAR(dot(b, 0, b, 0), 1.0f, 1e-5);
}

TEST_F(ClassicEmbedderTest, ProjectionSavesLoadsAndIsCheckedOnLoad) {
  ensemble::testing::TempDir dir;
  const auto path = dir / "projection.bin";
  (*projection_)->save(path);
  EmbedderOptions options;
  options.projection = path;
  auto loaded = make_embedder("classic", options);
  ClassicEmbedder direct(0, *projection_);
  EXPECT_EQ(loaded->id(), direct.id());
  std::vector<cv::Mat> few = {(*catalog_)[0], (*catalog_)[9]};
  auto a = loaded->embed(few), b = direct.embed(few);
  EXPECT_EQ(a.values, b.values);

  options.projection = dir / "missing.bin";
  EXPECT_EQ(code_of([&] { make_embedder("classic", options); }), ErrorCode::kNotFound);
  // A projection for another descriptor is refused with a "fit it again" message.
  Projection other("classic-v0/12", 12, 512, std::vector<float>(12, 0.0f), std::vector<float>(12 * 512, 0.01f), 3);
  other.save(dir / "other.bin");
  options.projection = dir / "other.bin";
  try {
    make_embedder("classic", options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("fit it again"), std::string::npos) << e.what();
  }
}

TEST(EmbedderFactory, SpecsAndErrors) {
  EXPECT_EQ(make_embedder("classic")->dim(), 512);
  EXPECT_EQ(make_embedder("")->id(), "classic#v2");
  try {
    make_embedder("clip:models/fashionclip.json");
    FAIL();
  } catch (const Error& e) {
#if ENSEMBLE_WITH_TORCH  // (issue #6: the clip: embedder exists; its tests are in clip_embedder_test.cc)
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("fashionclip.json does not exist"), std::string::npos) << e.what();
#else
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("LibTorch"), std::string::npos) << e.what();
#endif
  }
  EXPECT_EQ(code_of([] { make_embedder("sift"); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([] { make_embedder("remote:ftp://host/embed"); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(spec_of_id("remote:http://h:1/e#v1#dim=512#in=jpeg224"), "remote:http://h:1/e");
}

}  // namespace
}  // namespace ensemble::embed
