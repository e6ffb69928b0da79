#include "ensemble/config/config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ensemble/util/error.h"

namespace ensemble::config {
namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "expected an error";
  return "";
}

TEST(Config, DefaultsComeFromSchema) {
  const Config c;
  EXPECT_EQ(c.get_int("segment.points_per_side"), 8);
  EXPECT_DOUBLE_EQ(c.get_double("segment.pred_iou_thresh"), 0.88);
  EXPECT_EQ(c.get_string("segment.backend"), "classic");
  EXPECT_EQ(c.get_list("pipeline.stages").size(), 6u);
}

TEST(Config, ParsesTomlOverDefaults) {
  const Config c = Config::from_toml_string(
      "[segment]\npoints_per_side = 16\nbox_nms_thresh = 0.5\n[pipeline]\nstages = [\"segment\"]\n");
  EXPECT_EQ(c.get_int("segment.points_per_side"), 16);
  EXPECT_DOUBLE_EQ(c.get_double("segment.box_nms_thresh"), 0.5);
  EXPECT_EQ(c.get_list("pipeline.stages"), std::vector<std::string>{"segment"});
  EXPECT_DOUBLE_EQ(c.get_double("segment.pred_iou_thresh"), 0.88);  // untouched default
}

TEST(Config, IntegerAcceptedWhereNumberExpected) {
  const Config c = Config::from_toml_string("[segment]\nstability_score_offset = 2\n");
  EXPECT_DOUBLE_EQ(c.get_double("segment.stability_score_offset"), 2.0);
}

TEST(Config, UnknownKeyIsAnErrorNamingItAndTheClosestKey) {
  const std::string msg = error_of([] { Config::from_toml_string("[segment]\npoints_per_sde = 4\n", "x.toml"); });
  EXPECT_NE(msg.find("segment.points_per_sde"), std::string::npos) << msg;
  EXPECT_NE(msg.find("segment.points_per_side"), std::string::npos) << msg;
  EXPECT_NE(msg.find("x.toml:2"), std::string::npos) << msg;
  EXPECT_NE(error_of([] { Config::from_toml_string("[nosuch]\nkey = 1\n"); }).find("nosuch.key"),
            std::string::npos);
}

TEST(Config, BadValuesNameTheKey) {
  EXPECT_NE(error_of([] { Config::from_toml_string("[segment]\npoints_per_side = 64\n"); }).find("segment.points_per_side"),
            std::string::npos);
  EXPECT_NE(error_of([] { Config::from_toml_string("[segment]\npoints_per_side = \"8\"\n"); })
                .find("must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of([] { Config::from_toml_string("[pipeline]\ndevice = \"tpu\"\n"); })
                .find("not one of"),
            std::string::npos);
  EXPECT_NE(error_of([] { Config::from_toml_string("[pipeline]\nstages = [\"segmnt\"]\n"); })
                .find("segmnt"),
            std::string::npos);
  EXPECT_NE(error_of([] { Config::from_toml_string("[segment\n"); }).find("syntax"),
            std::string::npos);
}

TEST(Config, OverridesAreValidatedLikeTheFile) {
  Config c;
  c.set_override("segment.points_per_side=12");
  EXPECT_EQ(c.get_int("segment.points_per_side"), 12);
  c.set_override("pipeline.stages=segment,embed");
  EXPECT_EQ(c.get_list("pipeline.stages").size(), 2u);
  error_of([&] { c.set_override("segment.points_per_side=twelve"); });
  error_of([&] { c.set_override("segment.points_per_side"); });
  error_of([&] { c.set_override("segment.pps=3"); });
  error_of([&] { c.set_override("segment.pred_iou_thresh=1.5"); });
}

TEST(Config, HashFollowsEffectiveSettings) {
  Config a, b;
  EXPECT_EQ(a.hash(), b.hash());
  b.set_override("segment.points_per_side=9");
  EXPECT_NE(a.hash(), b.hash());
  b.set_override("segment.points_per_side=8");
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.to_json()["segment"]["points_per_side"], 8);
  EXPECT_EQ(a.section_json("segment")["points_per_side"], 8);
}

TEST(Config, DefaultFileRoundTripsToDefaults) {
  const std::string text = default_config_toml();
  EXPECT_NE(text.find("[segment]"), std::string::npos);
  const Config parsed = Config::from_toml_string(text);
  EXPECT_EQ(parsed.hash(), Config().hash());
}

}  // namespace
}  // namespace ensemble::config
