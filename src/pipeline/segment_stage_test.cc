#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <nlohmann/json.hpp>

#include "ensemble/catalog/lookbook_import.h"
#include "ensemble/pipeline/pipeline.h"
#include "ensemble/segment/segmenter_config.h"
#include "pipeline/stage_util.h"
#include "pipeline/stages.h"
#include "testing/store_query.h"
#include "testing/temp_dir.h"

namespace ensemble::pipeline {
namespace {

namespace fs = std::filesystem;

using ensemble::testing::query_int;

// A plain background with two "garments" side by side.
void write_lookbook(const fs::path& p, int seed) {
  cv::Mat img(240, 320, CV_8UC3, cv::Scalar(200, 210, 220));
  cv::rectangle(img, {40 + seed, 30, 80, 90}, cv::Scalar(30, 40, 180), cv::FILLED);
  cv::rectangle(img, {50, 130, 60, 90}, cv::Scalar(120, 60, 20), cv::FILLED);
  cv::ellipse(img, {240, 120}, {40, 70}, 0, 0, 360, cv::Scalar(40, 160, 60), cv::FILLED);
  fs::create_directories(p.parent_path());
  cv::imwrite(p.string(), img);
}

TEST(SegmentConfig, PipelineDefaultsEqualTheSegmentersDefaults) {
  const config::Config cfg;
  EXPECT_EQ(segmenter_config_from(cfg).to_json(), segment::SegmenterConfig{}.to_json());
}

TEST(MaskBlob, RoundTrips) {
  cv::Mat m(17, 23, CV_8UC1, cv::Scalar(0));
  cv::circle(m, {10, 8}, 5, cv::Scalar(255), cv::FILLED);
  const std::string blob = mask_to_blob(m);
  const cv::Mat back = mask_from_blob(blob.data(), static_cast<int>(blob.size()));
  EXPECT_EQ(cv::countNonZero(back != m), 0);
}

class SegmentStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) write_lookbook(dir_ / "lb" / ("look" + std::to_string(i) + ".png"), i * 5);
    store_ = store::Store::open(dir_ / "e.db");
    catalog::LookbookImportOptions o;
    o.quiet = true;
    catalog::import_lookbooks(*store_, {dir_ / "lb"}, o, cfg_);
  }
  PipelineReport run() {
    PipelineOptions o;
    o.stages = {"segment"};
    o.quiet = true;
    return run_pipeline(*store_, cfg_, o);
  }
  testing::TempDir dir_;
  config::Config cfg_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(SegmentStageTest, WritesRegionsAndIsIncremental) {
  auto r = run();
  ASSERT_EQ(r.stages.size(), 1u);
  EXPECT_EQ(r.stages[0].status, "ok") << r.stages[0].error;
  EXPECT_EQ(r.stages[0].result.input_rows, 3);
  EXPECT_GT(query_int(*store_, "SELECT count(*) FROM regions"), 3);
  EXPECT_EQ(query_int(*store_, "SELECT count(DISTINCT lookbook_id) FROM regions"), 3);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM stage_items WHERE stage='segment' AND status='ok'"), 3);
  // Each stored mask decodes to the lookbook's size and its area matches the row.
  auto st = store_->db().prepare("SELECT mask_rle, area, w, h FROM regions LIMIT 1");
  ASSERT_TRUE(st.step());
  int bytes = 0;
  const void* p = st.column_blob_ptr(0, &bytes);
  const cv::Mat mask = mask_from_blob(p, bytes);
  EXPECT_EQ(mask.size(), cv::Size(320, 240));
  EXPECT_EQ(cv::countNonZero(mask), st.column_int(1));
  const auto regions_before = query_int(*store_, "SELECT count(*) FROM regions");

  r = run();  // nothing changed: everything skipped
  EXPECT_EQ(r.stages[0].result.skipped_rows, 3);
  EXPECT_EQ(r.stages[0].result.output_rows, 0);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM regions"), regions_before);

  cfg_.set_override("segment.max_regions=1");  // settings changed: everything re-segmented
  r = run();
  EXPECT_EQ(r.stages[0].result.skipped_rows, 0);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM regions"), 3);
}

TEST_F(SegmentStageTest, ACorruptMediaFileFailsOnlyThatLookbook) {
  auto st = store_->db().prepare("SELECT image_sha, image_ext FROM lookbooks WHERE id='look1'");
  ASSERT_TRUE(st.step());
  const auto path = store_->media().path_for(st.column_text(0), st.column_text(1));
  testing::write_text(path, "corrupted on disk");
  const auto r = run();
  EXPECT_EQ(r.stages[0].status, "partial");
  EXPECT_EQ(r.stages[0].result.failed_rows, 1);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM stage_items WHERE status='failed' AND item_id='look1'"), 1);
  EXPECT_EQ(query_int(*store_, "SELECT count(DISTINCT lookbook_id) FROM regions"), 2);
  EXPECT_EQ(store_->run(r.stages[0].run_id)->status, "partial");
}

}  // namespace
}  // namespace ensemble::pipeline
