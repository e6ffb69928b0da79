#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstring>

#include "ensemble/catalog/catalog_import.h"
#include "ensemble/catalog/lookbook_import.h"
#include "ensemble/pipeline/pipeline.h"
#include "pipeline/stage_util.h"
#include "testing/store_query.h"
#include "testing/temp_dir.h"

namespace ensemble::pipeline {
namespace {

namespace fs = std::filesystem;

using ensemble::testing::query_int;

class EmbedStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string csv = "id,title,category,image\n";
    for (int i = 0; i < 12; ++i) {
      cv::Mat img(64, 64, CV_8UC3, cv::Scalar(245, 245, 245));
      cv::rectangle(img, {10 + i, 8, 30, 40 + i}, cv::Scalar(20 * i, 255 - 20 * i, 90), cv::FILLED);
      const std::string name = "p" + std::to_string(i) + ".png";
      fs::create_directories(dir_ / "img");
      cv::imwrite((dir_ / "img" / name).string(), img);
      csv += "p" + std::to_string(i) + ",Item " + std::to_string(i) + ",shirt,img/" + name + "\n";
    }
    testing::write_text(dir_ / "catalog.csv", csv);
    cv::Mat look(120, 160, CV_8UC3, cv::Scalar(200, 200, 200));
    cv::rectangle(look, {20, 20, 50, 70}, cv::Scalar(40, 215, 90), cv::FILLED);
    fs::create_directories(dir_ / "lb");
    cv::imwrite((dir_ / "lb" / "look.png").string(), look);
    store_ = store::Store::open(dir_ / "e.db");
    catalog::CatalogImportOptions co;
    co.quiet = true;
    catalog::import_catalog(*store_, dir_ / "catalog.csv", co, cfg_);
    catalog::LookbookImportOptions lo;
    lo.quiet = true;
    catalog::import_lookbooks(*store_, {dir_ / "lb"}, lo, cfg_);
    // One region, inserted by hand (the segment stage has its own tests).
    cv::Mat mask(120, 160, CV_8UC1, cv::Scalar(0));
    cv::rectangle(mask, {20, 20, 50, 70}, cv::Scalar(255), cv::FILLED);
    const std::string blob = mask_to_blob(mask);
    const auto run = store_->begin_run("segment", "h", "{}");
    store_->db()
        .prepare("INSERT INTO regions (lookbook_id, idx, context_id, x, y, w, h, area, confidence,"
                 " stability, mask_rle, segmenter_id, run_id) VALUES ('look',0,0,20,20,50,70,3500,"
                 "0.9,0.95,?,'test',?)")
        .bind_blob(1, blob.data(), blob.size())
        .bind(2, run)
        .run();
    cfg_.set_override("pipeline.threads=2");
    cfg_.set_override("pipeline.batch_size=5");
  }
  PipelineReport run() {
    PipelineOptions o;
    o.stages = {"embed"};
    o.quiet = true;
    return run_pipeline(*store_, cfg_, o);
  }
  testing::TempDir dir_;
  config::Config cfg_;
  std::unique_ptr<store::Store> store_;
};

// One test walks through first run, re-run and refit: fitting a projection costs seconds.
TEST_F(EmbedStageTest, FitsEmbedsSkipsAndRefits) {
  auto r = run();
  ASSERT_EQ(r.stages[0].status, "ok") << r.stages[0].error;
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM embeddings WHERE owner_kind='product'"), 12);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM embeddings WHERE owner_kind='region'"), 1);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM models WHERE kind='projection' AND active=1"), 1);
  // Vectors are 512-d and unit length; the model id names the fitted projection.
  {
    auto st = store_->db().prepare("SELECT dim, vector, model_id FROM embeddings LIMIT 1");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_int(0), 512);
    int bytes = 0;
    const auto* v = static_cast<const float*>(st.column_blob_ptr(1, &bytes));
    ASSERT_EQ(bytes, 512 * 4);
    double norm = 0;
    for (int i = 0; i < 512; ++i) norm += static_cast<double>(v[i]) * v[i];
    EXPECT_NEAR(norm, 1.0, 1e-4);
    EXPECT_NE(st.column_text(2).find("pca="), std::string::npos) << st.column_text(2);
    EXPECT_EQ(store_->run(r.stages[0].run_id)->model_id, st.column_text(2));
  }

  auto vectors_token = [&] {
    const auto t = item_state(store_->db(), "embed", "product-vectors");
    return t ? t->fingerprint : std::string();
  };
  const std::string token = vectors_token();
  EXPECT_FALSE(token.empty());

  // Nothing changed: the stored projection is reused and every input skipped, decided from the
  // recorded input fingerprints (no per-item check).
  r = run();
  EXPECT_EQ(r.stages[0].result.skipped_rows, 13);
  EXPECT_EQ(r.stages[0].result.output_rows, 0);
  EXPECT_EQ(r.stages[0].result.stats["products_unchanged"], true);
  EXPECT_EQ(r.stages[0].result.stats["regions_unchanged"], true);
  {
    auto st = store_->db().prepare("SELECT model_id FROM embeddings LIMIT 1");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(store_->run(r.stages[0].run_id)->model_id, st.column_text(0));
  }
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM models"), 1);
  EXPECT_EQ(vectors_token(), token);

  // A region vector deleted by another writer (the segment stage does so when it re-segments):
  // the region is embedded again, the products are not checked one by one.
  store_->db().exec("DELETE FROM embeddings WHERE owner_kind = 'region'");
  r = run();
  EXPECT_EQ(r.stages[0].result.output_rows, 1);
  EXPECT_EQ(r.stages[0].result.stats["products_unchanged"], true);
  EXPECT_EQ(r.stages[0].result.stats["regions_embedded"], 1);
  EXPECT_EQ(vectors_token(), token);  // no product vector written

  // A changed product image re-embeds that product only.
  {
    cv::Mat img(64, 64, CV_8UC3, cv::Scalar(10, 10, 250));
    cv::imwrite((dir_ / "img" / "p3.png").string(), img);
    catalog::CatalogImportOptions co;
    co.quiet = true;
    catalog::import_catalog(*store_, dir_ / "catalog.csv", co, cfg_);
  }
  r = run();
  EXPECT_EQ(r.stages[0].result.output_rows, 1);
  EXPECT_EQ(r.stages[0].result.stats["products_unchanged"], false);
  EXPECT_EQ(r.stages[0].result.stats["regions_unchanged"], true);
  EXPECT_NE(vectors_token(), token);  // the index stage reads it to notice the new vector

  // Refit: a new projection, everything re-embedded, one consistent space left.
  cfg_.set_override("embed.refit=true");
  cfg_.set_override("embed.fit_samples=6");
  r = run();
  EXPECT_EQ(r.stages[0].result.output_rows, 13);
  EXPECT_EQ(query_int(*store_, "SELECT count(DISTINCT model_id) FROM embeddings"), 1);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM embeddings"), 13);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM models WHERE active=1"), 1);
}

}  // namespace
}  // namespace ensemble::pipeline
