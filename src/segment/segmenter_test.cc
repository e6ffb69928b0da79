#include "ensemble/segment/segmenter.h"

#include <gtest/gtest.h>

#include "ensemble/util/error.h"

namespace ensemble::segment {
namespace {

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorCode::kInternal;
}

TEST(Factory, ClassicRoundTripsItsSpecAndConfig) {
  SegmenterConfig cfg;
  cfg.points_per_side = 12;
  auto s = make_segmenter("classic", cfg);
  EXPECT_EQ(s->id(), "classic#v3");  // the algorithm's version goes into lineage with the config
  auto again = make_segmenter(s->id(), SegmenterConfig::from_json(s->config_json()));
  EXPECT_EQ(again->id(), s->id());
  EXPECT_EQ(again->config_json(), s->config_json());
  EXPECT_EQ(again->config().points_per_side, 12);
}

TEST(Factory, ClassicRejectsAnotherAlgorithmVersion) {
  EXPECT_EQ(make_segmenter("classic#v3")->id(), "classic#v3");
  EXPECT_EQ(code_of([] { make_segmenter("classic#v1"); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([] { make_segmenter("classic#v2"); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([] { make_segmenter("classic#"); }), ErrorCode::kInvalidArgument);
}

TEST(Factory, SamNeedsLibTorchAndWellFormedSpec) {
  try {
    make_segmenter("sam:enc.pt,dec.pt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
#if ENSEMBLE_WITH_TORCH  // (neural backends, issue #6: sam: takes one manifest; torch_sam_model_test.cc)
    EXPECT_NE(std::string(e.what()).find("expected sam:MANIFEST"), std::string::npos);
#else
    EXPECT_NE(std::string(e.what()).find("built without LibTorch"), std::string::npos);
#endif
  }
  for (const char* spec : {"sam:", "sam:,dec.pt", "sam:a,", "sam:a,b,c"}) {
    EXPECT_EQ(code_of([&] { make_segmenter(spec); }), ErrorCode::kInvalidArgument) << spec;
  }
#if ENSEMBLE_WITH_TORCH  // (issue #6) a manifest that does not exist
  EXPECT_EQ(code_of([] { make_segmenter("sam:enc.pt"); }), ErrorCode::kNotFound);
#else
  EXPECT_EQ(code_of([] { make_segmenter("sam:enc.pt"); }), ErrorCode::kInvalidArgument);
#endif
  EXPECT_EQ(code_of([] { make_segmenter("watershed"); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([] { make_segmenter("Classic"); }), ErrorCode::kInvalidArgument);
}

TEST(Factory, ValidatesConfig) {
  SegmenterConfig cfg;
  cfg.points_per_side = 33;
  EXPECT_EQ(code_of([&] { make_segmenter("classic", cfg); }), ErrorCode::kInvalidArgument);
}

TEST(Classic, EmptyOrOddImagesAreBadInput) {
  auto s = make_segmenter("classic");
  EXPECT_EQ(code_of([&] { s->segment(cv::Mat()); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { s->segment(cv::Mat(10, 10, CV_16UC3, cv::Scalar(0))); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { s->segment(cv::Mat(10, 10, CV_8UC2, cv::Scalar(0))); }), ErrorCode::kBadInput);
}

TEST(FilterStats, AccumulatesAndDumpsInOrder) {
  FilterStats s;
  s.candidates = 9;
  s.add("pred_iou", 3);
  s.add("stability", 2);
  s.add("pred_iou", 4);
  EXPECT_EQ(s.kept_after("pred_iou"), 7);
  EXPECT_EQ(s.kept_after("nope"), -1);
  EXPECT_EQ(s.to_json(), R"({"candidates":9,"pred_iou":7,"stability":2})");
}

TEST(Config, JsonRoundTripAndErrorsNameTheKey) {
  SegmenterConfig c;
  c.pred_iou_thresh = 0.5f;
  c.max_regions = 12;
  c.keep_dropped = true;
  const SegmenterConfig back = SegmenterConfig::from_json(c.to_json());
  EXPECT_TRUE(back == c);
  EXPECT_FLOAT_EQ(back.pred_iou_thresh, 0.5f);
  EXPECT_EQ(back.max_regions, 12);
  EXPECT_TRUE(back.keep_dropped);
  // Partial objects start from the defaults.
  EXPECT_EQ(SegmenterConfig::from_json(R"({"points_per_side": 16})").points_per_side, 16);
  EXPECT_FLOAT_EQ(SegmenterConfig::from_json("{}").pred_iou_thresh, 0.88f);
  // Defaults are documented in the header: check the SAM ones.
  const SegmenterConfig d;
  EXPECT_EQ(d.points_per_side, 8);
  EXPECT_FLOAT_EQ(d.stability_score_thresh, 0.95f);
  EXPECT_FLOAT_EQ(d.stability_score_offset, 1.f);
  EXPECT_FLOAT_EQ(d.box_nms_thresh, 0.7f);

  auto message = [](const char* json) {
    try {
      SegmenterConfig::from_json(json);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(R"({"grid": 8})").find("'grid'"), std::string::npos);
  EXPECT_NE(message(R"({"points_per_side": "8"})").find("'points_per_side'"), std::string::npos);
  EXPECT_NE(message(R"({"points_per_side": 8.5})").find("'points_per_side'"), std::string::npos);
  EXPECT_NE(message(R"({"pred_iou_thresh": 1.5})").find("'pred_iou_thresh'"), std::string::npos);
  EXPECT_NE(message(R"({"keep_dropped": 1})").find("'keep_dropped'"), std::string::npos);
  EXPECT_NE(message(R"({"min_area_frac": 0.5, "max_area_frac": 0.4})").find("min_area_frac"),
            std::string::npos);
  EXPECT_NE(message("[1]").find("object"), std::string::npos);
  EXPECT_NE(message("{").find("malformed"), std::string::npos);
}

}  // namespace
}  // namespace ensemble::segment
