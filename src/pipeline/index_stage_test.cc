#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ensemble/catalog/catalog_import.h"
#include "ensemble/pipeline/pipeline.h"
#include "ensemble/search/product_index.h"
#include "ensemble/store/product_model.h"
#include "pipeline/stage_util.h"
#include "testing/store_query.h"
#include "testing/temp_dir.h"

namespace ensemble::pipeline {
namespace {

namespace fs = std::filesystem;

using ensemble::testing::query_int;

// The index stage after the real embed stage: it skips the sync when its cheap fingerprint says
// nothing changed, and must still notice every change that alters the product vectors.
class IndexStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string csv = "id,title,category,image\n";
    for (int i = 0; i < 10; ++i) {
      write_image(i, cv::Scalar(20 * i, 255 - 20 * i, 90));
      csv += "p" + std::to_string(i) + ",Item " + std::to_string(i) + ",shirt,img/p" +
             std::to_string(i) + ".png\n";
    }
    testing::write_text(dir_ / "catalog.csv", csv);
    store_ = store::Store::open(dir_ / "e.db");
    import();
    cfg_.set_override("pipeline.threads=2");
    cfg_.set_override("index.backend=exact");
  }
  void write_image(int i, cv::Scalar colour) {
    cv::Mat img(64, 64, CV_8UC3, cv::Scalar(245, 245, 245));
    cv::rectangle(img, {10 + i, 8, 30, 40 + i}, colour, cv::FILLED);
    fs::create_directories(dir_ / "img");
    cv::imwrite((dir_ / "img" / ("p" + std::to_string(i) + ".png")).string(), img);
  }
  void import() {
    catalog::CatalogImportOptions o;
    o.quiet = true;
    catalog::import_catalog(*store_, dir_ / "catalog.csv", o, cfg_);
  }
  // Runs the stages and returns the index stage's report.
  StageReport run(std::vector<std::string> stages = {"embed", "index"}) {
    PipelineOptions o;
    o.stages = std::move(stages);
    o.quiet = true;
    const PipelineReport r = run_pipeline(*store_, cfg_, o);
    for (const auto& s : r.stages) EXPECT_EQ(s.status, "ok") << s.stage << ": " << s.error;
    return r.stages.back();
  }
  std::string model() { return store::current_product_model(store_->db()); }

  testing::TempDir dir_;
  config::Config cfg_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(IndexStageTest, SkipsWhenUnchangedAndNoticesReplacedAndDeletedVectors) {
  StageReport r = run();
  EXPECT_EQ(r.result.stats["action"], "built");
  EXPECT_EQ(r.result.stats["size"], 10);

  // Nothing changed: decided from the fingerprint, without the content check.
  r = run();
  EXPECT_EQ(r.result.stats["action"], "unchanged");
  EXPECT_EQ(r.result.stats["checked"], "fingerprint");
  EXPECT_EQ(r.result.skipped_rows, 10);
  EXPECT_EQ(store_->run(r.run_id)->model_id, model());

  // A changed product image: the embed stage replaces that vector, the index notices it.
  write_image(3, cv::Scalar(10, 10, 250));
  import();
  r = run();
  EXPECT_EQ(r.result.stats["action"], "updated");
  EXPECT_EQ(r.result.stats["added"], 1);
  EXPECT_EQ(r.result.stats["removed"], 1);
  EXPECT_NO_THROW(search::load_product_index(*store_, model()));
  EXPECT_EQ(run().result.stats["checked"], "fingerprint");

  // A product deleted (its vector row stays until the embed stage cleans up): it leaves the index.
  store_->db().exec("DELETE FROM products WHERE id = 'p7'");
  r = run({"index"});
  EXPECT_EQ(r.result.stats["action"], "updated");
  EXPECT_EQ(r.result.stats["removed"], 1);
  EXPECT_EQ(r.result.stats["size"], 9);

  // The index files removed: rebuilt, not skipped.
  fs::remove_all(search::product_index_path(*store_).parent_path());
  r = run({"index"});
  EXPECT_EQ(r.result.stats["action"], "built");
  EXPECT_EQ(r.result.stats["size"], 9);

  // Another backend: rebuilt.
  cfg_.set_override("index.backend=hnsw:M=8,efC=40,ef=32");
  r = run({"index"});
  EXPECT_EQ(r.result.stats["action"], "built");
  EXPECT_EQ(run({"index"}).result.stats["checked"], "fingerprint");
}

TEST_F(IndexStageTest, NoticesAVectorReplacedByANewModel) {
  run();
  const std::string before = model();
  // A refit: every vector replaced by the new model's, rows of the old one removed.
  cfg_.set_override("embed.refit=true");
  cfg_.set_override("embed.fit_samples=6");
  StageReport r = run();
  cfg_.set_override("embed.refit=false");
  EXPECT_NE(model(), before);
  EXPECT_EQ(r.result.stats["action"], "built");
  EXPECT_EQ(store_->run(r.run_id)->model_id, model());
  EXPECT_NO_THROW(search::load_product_index(*store_, model()));
  EXPECT_EQ(run().result.stats["checked"], "fingerprint");
}

TEST_F(IndexStageTest, NoticesVectorsWrittenByAnotherWriter) {
  run();
  // A writer other than the embed stage adds a row (a copy of p1's vector under p2's id, after
  // deleting p2's): the row count and rowids change, so the stage checks the content.
  store_->db().exec(
      "DELETE FROM embeddings WHERE owner_kind = 'product' AND owner_id = 'p2';"
      "INSERT INTO embeddings (owner_kind, owner_id, model_id, dim, vector, source_sha, run_id)"
      " SELECT owner_kind, 'p2', model_id, dim, vector, 'other', run_id FROM embeddings"
      " WHERE owner_kind = 'product' AND owner_id = 'p1'");
  StageReport r = run({"index"});
  EXPECT_EQ(r.result.stats["checked"], "content");
  EXPECT_EQ(r.result.stats["action"], "updated");
  EXPECT_EQ(r.result.stats["added"], 1);
  EXPECT_NO_THROW(search::load_product_index(*store_, model()));
}

}  // namespace
}  // namespace ensemble::pipeline
