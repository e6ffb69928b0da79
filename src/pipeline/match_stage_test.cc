#include <gtest/gtest.h>

#include <cmath>

#include "ensemble/pipeline/pipeline.h"
#include "testing/store_query.h"
#include "testing/temp_dir.h"

namespace ensemble::pipeline {
namespace {

using ensemble::testing::query_int;

// Hand-made 4-d vectors: products along axes, regions near them.
class MatchStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::Store::open(dir_ / "e.db");
    auto& db = store_->db();
    run_ = store_->begin_run("embed", "h", "{}");
    const char* products[][2] = {{"shoe1", "sneakers"}, {"shoe2", "sneakers"}, {"top1", "shirt"},
                                 {"bag1", "bag"}};
    for (auto& p : products) {
      db.prepare("INSERT INTO products (id, title, category, image_sha, image_ext, width, height,"
                 " created_at, updated_at) VALUES (?, ?, ?, 'x', '.jpg', 1, 1, 'now', 'now')")
          .bind(1, p[0]).bind(2, p[0]).bind(3, p[1]).run();
    }
    db.exec("INSERT INTO lookbooks VALUES ('lb', 'src', 'y', '.jpg', 10, 10, NULL, 'now', 'now')");
    for (int i = 0; i < 2; ++i) {
      db.prepare("INSERT INTO regions (lookbook_id, idx, context_id, x, y, w, h, area, confidence,"
                 " stability, mask_rle, segmenter_id, run_id) VALUES ('lb', ?, 0, 0,0,1,1,1, 1,1,"
                 " x'00', 't', ?)").bind(1, i).bind(2, run_).run();
    }
    vec("product", "shoe1", {1, 0, 0, 0});
    vec("product", "shoe2", {0.9f, 0.1f, 0, 0});
    vec("product", "top1", {0, 0, 1, 0});
    vec("product", "bag1", {0, 0, 0, 1});
    vec("region", "1", {0.95f, 0.05f, 0, 0});  // a shoe
    vec("region", "2", {0, 0, 0.6f, 0.5f});   // a top, somewhat bag-like
  }
  void vec(const std::string& kind, const std::string& id, std::vector<float> v) {
    double n = 0;
    for (float x : v) n += x * x;
    for (float& x : v) x /= static_cast<float>(std::sqrt(n));
    store_->db()
        .prepare("INSERT INTO embeddings VALUES (?, ?, 'm1', 4, ?, 's', ?)")
        .bind(1, kind).bind(2, id).bind_blob(3, v.data(), 16).bind(4, run_).run();
  }
  PipelineReport run() {
    PipelineOptions o;
    o.stages = {"match"};
    o.quiet = true;
    return run_pipeline(*store_, cfg_, o);
  }
  testing::TempDir dir_;
  config::Config cfg_;
  std::unique_ptr<store::Store> store_;
  std::int64_t run_ = 0;
};

TEST_F(MatchStageTest, MatchesBothWaysWithRanksAndCategoryVote) {
  auto r = run();
  ASSERT_EQ(r.stages[0].status, "ok") << r.stages[0].error;
  auto st = store_->db().prepare(
      "SELECT product_id, rank FROM matches WHERE direction='region_to_product' AND region_id=1"
      " ORDER BY rank");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "shoe1");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "shoe2");
  EXPECT_EQ(st.column_int(1), 2);
  // Every region gets min(k, products) matches; every product min(k, regions).
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM matches WHERE direction='region_to_product'"), 8);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM matches WHERE direction='product_to_region'"), 8);
  auto top = store_->db().prepare(
      "SELECT region_id FROM matches WHERE direction='product_to_region' AND product_id='bag1'"
      " AND rank=1");
  ASSERT_TRUE(top.step());
  EXPECT_EQ(top.column_int(0), 2);
  auto cat = store_->db().prepare("SELECT category, category_confidence FROM regions WHERE id=1");
  ASSERT_TRUE(cat.step());
  EXPECT_EQ(cat.column_text(0), "sneakers");
  EXPECT_GT(cat.column_double(1), 0.9);

  r = run();  // unchanged inputs: skipped
  EXPECT_EQ(r.stages[0].result.skipped_rows, r.stages[0].result.input_rows);
  EXPECT_EQ(r.stages[0].result.output_rows, 0);
}

TEST_F(MatchStageTest, MinSimilarityAndCategoryConsistency) {
  cfg_.set_override("match.min_similarity=0.5");
  run();
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM matches WHERE score < 0.5"), 0);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM matches WHERE direction='region_to_product' AND region_id=1"), 2);
  cfg_.set_override("match.min_similarity=-1");
  cfg_.set_override("match.category_consistent=true");
  run();  // settings changed: recomputed
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM matches m JOIN products p ON p.id = m.product_id"
                           " WHERE direction='region_to_product' AND region_id=1 AND p.category <> 'sneakers'"),
            0);
}

}  // namespace
}  // namespace ensemble::pipeline
