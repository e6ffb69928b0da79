#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>

#include "ensemble/pipeline/pipeline.h"
#include "pipeline/match_vectors.h"
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

// The stage writes without per-row foreign-key checks only when every vector's owner exists; a
// vector whose product is gone (left behind by a writer that removed the product without its
// vector) must still fail the stage, not leave matches pointing at nothing.
TEST_F(MatchStageTest, AVectorWithoutItsProductFailsInsteadOfWritingDanglingMatches) {
  vec("product", "gone", {0.96f, 0.04f, 0, 0});  // region 1's best match, if it were written
  EXPECT_FALSE(match::owners_exist(store_->db(), "m1"));
  const auto r = run();
  ASSERT_EQ(r.stages.size(), 1u);
  EXPECT_NE(r.stages[0].status, "ok");
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM matches"), 0);

  store_->db().exec("DELETE FROM embeddings WHERE owner_id = 'gone'");
  EXPECT_TRUE(match::owners_exist(store_->db(), "m1"));
  store_->db().exec("INSERT INTO embeddings SELECT 'region', '01', model_id, dim, vector, source_sha, run_id"
                    " FROM embeddings WHERE owner_id = '1'");  // "01" is not region 1's id
  EXPECT_FALSE(match::owners_exist(store_->db(), "m1"));
  store_->db().exec("DELETE FROM embeddings WHERE owner_id = '01'");
  const auto ok = run();
  ASSERT_EQ(ok.stages[0].status, "ok") << ok.stages[0].error;
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM matches WHERE product_id NOT IN (SELECT id FROM products)"), 0);
  EXPECT_GT(query_int(*store_, "SELECT count(*) FROM matches"), 0);
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

// ---- Incremental match == full recompute ----------------------------------------------------
//
// A deterministic universe of products and regions (random 8-d vectors, three categories, exact
// duplicates for ties, also across old and new items); a store holds a prefix of it, is matched,
// grows, and is matched again (incrementally); a second store built with the final content at once
// is matched from scratch. The two must agree row for row.
struct Universe {
  struct Item {
    std::string id, category;
    std::vector<float> v;
  };
  std::vector<Item> products, regions;  // regions: id = insertion order (1-based)
  explicit Universe(int n_products, int n_regions) {
    std::mt19937 rng(7);
    std::normal_distribution<float> g;
    const char* cats[] = {"a", "b", "c"};
    auto rnd = [&] {
      std::vector<float> v(8);
      double n = 0;
      for (float& x : v) {
        x = g(rng);
        n += x * x;
      }
      for (float& x : v) x /= static_cast<float>(std::sqrt(n));
      return v;
    };
    for (int i = 0; i < n_products; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "p%03d", i);
      // Every 5th product duplicates an earlier one (ties; the duplicate may be old or new).
      std::vector<float> v = (i % 5 == 4) ? products[static_cast<size_t>(i * 7 % (i - 1))].v : rnd();
      products.push_back({id, cats[i % 3], v});
    }
    for (int i = 0; i < n_regions; ++i) {
      std::vector<float> v = (i % 6 == 5) ? regions[static_cast<size_t>(i * 5 % (i - 1))].v : rnd();
      regions.push_back({std::to_string(i + 1), "", v});
    }
  }
};

class IncrementalMatchTest : public ::testing::Test {
 protected:
  static constexpr int kProducts = 120, kRegions = 70;
  // Products in `products` (indices into the universe) and the first `n_regions` regions.
  std::unique_ptr<store::Store> make(const std::string& name) {
    auto s = store::Store::open(dir_ / name);
    run_ = s->begin_run("embed", "h", "{}");
    s->db().exec("INSERT INTO lookbooks VALUES ('lb', 'src', 'y', '.jpg', 10, 10, NULL, 'now', 'now')");
    return s;
  }
  void add_product(store::Store& s, int i, const char* sha = "s") {
    const auto& p = u_.products[static_cast<size_t>(i)];
    s.db().prepare("INSERT INTO products (id, title, category, image_sha, image_ext, width, height,"
                   " created_at, updated_at) VALUES (?, ?, ?, 'x', '.jpg', 1, 1, 'now', 'now')")
        .bind(1, p.id).bind(2, p.id).bind(3, p.category).run();
    put_vec(s, "product", p.id, p.v, sha);
  }
  void put_vec(store::Store& s, const std::string& kind, const std::string& id, const std::vector<float>& v,
               const char* sha) {
    s.db().prepare("INSERT OR REPLACE INTO embeddings VALUES (?, ?, 'm1', 8, ?, ?, ?)")
        .bind(1, kind).bind(2, id).bind_blob(3, v.data(), 32).bind(4, sha).bind(5, run_).run();
  }
  void add_region(store::Store& s, int i) {
    s.db().prepare("INSERT INTO regions (id, lookbook_id, idx, context_id, x, y, w, h, area, confidence,"
                   " stability, mask_rle, segmenter_id, run_id) VALUES (?, 'lb', ?, 0, 0,0,1,1,1, 1,1,"
                   " x'00', 't', ?)").bind(1, i + 1).bind(2, i).bind(3, run_).run();
    put_vec(s, "region", u_.regions[static_cast<size_t>(i)].id, u_.regions[static_cast<size_t>(i)].v, "s");
  }
  StageReport match(store::Store& s) {
    PipelineOptions o;
    o.stages = {"match"};
    o.quiet = true;
    auto r = run_pipeline(s, cfg_, o);
    EXPECT_EQ(r.stages[0].status, "ok") << r.stages[0].error;
    return r.stages[0];
  }
  // Every match row and region category of `s` equals those of `ref`.
  void expect_same(store::Store& s, store::Store& ref) {
    auto rows = [](store::Store& st) {
      std::vector<std::tuple<std::string, std::int64_t, std::string, std::int64_t, double>> out;
      auto q = st.db().prepare("SELECT direction, region_id, product_id, rank, score FROM matches"
                               " ORDER BY direction, region_id, product_id");
      while (q.step()) {
        out.emplace_back(q.column_text(0), q.column_int(1), q.column_text(2), q.column_int(3),
                         q.column_double(4));
      }
      return out;
    };
    const auto a = rows(s), b = rows(ref);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(std::get<0>(a[i]), std::get<0>(b[i])) << i;
      EXPECT_EQ(std::get<1>(a[i]), std::get<1>(b[i])) << i;
      EXPECT_EQ(std::get<2>(a[i]), std::get<2>(b[i])) << i;
      EXPECT_EQ(std::get<3>(a[i]), std::get<3>(b[i])) << std::get<0>(a[i]) << " " << std::get<1>(a[i])
                                                       << " " << std::get<2>(a[i]);
      EXPECT_NEAR(std::get<4>(a[i]), std::get<4>(b[i]), 1e-6) << i;
    }
    auto cats = [](store::Store& st) {
      std::vector<std::tuple<std::int64_t, std::string, double>> out;
      auto q = st.db().prepare("SELECT id, coalesce(category, '-'), coalesce(category_confidence, -1)"
                               " FROM regions ORDER BY id");
      while (q.step()) out.emplace_back(q.column_int(0), q.column_text(1), q.column_double(2));
      return out;
    };
    const auto ca = cats(s), cb = cats(ref);
    ASSERT_EQ(ca.size(), cb.size());
    for (size_t i = 0; i < ca.size(); ++i) {
      EXPECT_EQ(std::get<1>(ca[i]), std::get<1>(cb[i])) << "region " << std::get<0>(ca[i]);
      EXPECT_NEAR(std::get<2>(ca[i]), std::get<2>(cb[i]), 1e-9) << "region " << std::get<0>(ca[i]);
    }
  }
  // Old products: even indices below `p0` ... the store starts with products {i : old(i)} and the
  // first r0 regions, then grows to all products in `p1` and r1 regions; expects `mode`.
  void check(int p0_every, int r0, bool grow_products, int r1, const std::string& mode) {
    auto old_product = [&](int i) { return !grow_products || i % p0_every != 1; };
    auto s = make("inc" + std::to_string(++n_) + ".db");
    for (int i = 0; i < kProducts; ++i) {
      if (old_product(i)) add_product(*s, i);
    }
    for (int i = 0; i < r0; ++i) add_region(*s, i);
    auto first = match(*s);
    EXPECT_EQ(first.result.stats.value("mode", ""), "full");
    for (int i = 0; i < kProducts; ++i) {
      if (!old_product(i)) add_product(*s, i);
    }
    for (int i = r0; i < r1; ++i) add_region(*s, i);
    auto second = match(*s);
    EXPECT_EQ(second.result.stats.value("mode", ""), mode);
    rescans_ += second.result.stats.value("lists_rescanned", std::int64_t{0});
    auto ref = make("ref" + std::to_string(n_) + ".db");
    for (int i = 0; i < kProducts; ++i) add_product(*ref, i);
    for (int i = 0; i < r1; ++i) add_region(*ref, i);
    auto full = match(*ref);
    EXPECT_EQ(full.result.stats.value("mode", ""), "full");
    EXPECT_LE(second.result.stats.value("pairs_scored", std::int64_t{0}),
              full.result.stats.value("pairs_scored", std::int64_t{0}));
    expect_same(*s, *ref);
    // And nothing left to do afterwards.
    auto third = match(*s);
    EXPECT_EQ(third.result.skipped_rows, third.result.input_rows);
  }
  Universe u_{kProducts, kRegions};
  testing::TempDir dir_;
  config::Config cfg_;
  std::int64_t run_ = 0;
  int n_ = 0;
  std::int64_t rescans_ = 0;  // over the incremental passes of check()
};

TEST_F(IncrementalMatchTest, NewRegionsEqualFullRecompute) {
  check(4, 50, false, kRegions, "incremental");
}

TEST_F(IncrementalMatchTest, NewProductsEqualFullRecompute) {
  check(4, kRegions, true, kRegions, "incremental");
}

TEST_F(IncrementalMatchTest, NewProductsAndRegionsEqualFullRecompute) {
  check(3, 45, true, kRegions, "incremental");
}

TEST_F(IncrementalMatchTest, FewAdditionsEqualFullRecompute) {
  // 3 new products of 120 and 3 new regions of 70: their vectors are looked up one by one.
  check(40, kRegions - 3, true, kRegions, "incremental");
}

TEST_F(IncrementalMatchTest, FirstMatchAfterEmptyCatalogSide) {
  check(4, 0, false, kRegions, "incremental");  // no regions at first
}

TEST_F(IncrementalMatchTest, MinSimilarityAndSmallK) {
  cfg_.set_override("match.min_similarity=0.35");
  cfg_.set_override("match.products_per_region=3");
  cfg_.set_override("match.regions_per_product=2");
  check(4, 50, false, kRegions, "incremental");
  check(4, kRegions, true, kRegions, "incremental");
  check(3, 45, true, kRegions, "incremental");
}

TEST_F(IncrementalMatchTest, MoreExactTiesThanTheSgemmMargin) {
  // 20 products and 12 regions share one vector each (old and new ones): lists whose k-th place
  // is inside a block of equal scores are scored exactly over all candidates.
  for (int i = 0; i < kProducts; i += 6) u_.products[static_cast<size_t>(i)].v = u_.products[1].v;
  for (int i = 0; i < kRegions; i += 6) u_.regions[static_cast<size_t>(i)].v = u_.products[1].v;
  check(4, 50, false, kRegions, "incremental");
  check(4, kRegions, true, kRegions, "incremental");
  check(3, 45, true, kRegions, "incremental");
  cfg_.set_override("match.products_per_region=3");
  cfg_.set_override("match.regions_per_product=2");
  check(3, 45, true, kRegions, "incremental");
  EXPECT_GT(rescans_, 0);  // the exact rescan was needed, and agrees with the full pass
}

TEST_F(IncrementalMatchTest, NoProductToRegionLists) {
  cfg_.set_override("match.regions_per_product=0");
  check(3, 45, true, kRegions, "incremental");
}

TEST_F(IncrementalMatchTest, CategoryConsistent) {
  cfg_.set_override("match.category_consistent=true");
  cfg_.set_override("match.min_similarity=0.1");
  check(4, 50, false, kRegions, "incremental");  // new regions: incremental
  check(4, kRegions, true, kRegions, "full");     // new products: the stored lists are filtered
  check(3, 45, true, kRegions, "full");
}

TEST_F(IncrementalMatchTest, ChangedRemovedOrResetTakeTheFullPass) {
  auto s = make("x.db");
  for (int i = 0; i < 60; ++i) add_product(*s, i);
  for (int i = 0; i < 30; ++i) add_region(*s, i);
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "full");
  // A changed vector (even with new ones beside it): full.
  add_product(*s, 60);
  put_vec(*s, "product", u_.products[3].id, u_.products[7].v, "other");
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "full");
  // A removed one: full.
  s->db().exec("DELETE FROM embeddings WHERE owner_kind = 'region' AND owner_id = '4'");
  add_region(*s, 30);
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "full");
  // A product's category changed: full (the votes depend on it).
  s->db().exec("UPDATE products SET category = 'z' WHERE id = 'p010'");
  add_region(*s, 31);
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "full");
  // Settings changed: full.
  add_region(*s, 32);
  cfg_.set_override("match.products_per_region=4");
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "full");
  // Missing item rows (a state from an older version): full.
  add_region(*s, 33);
  s->db().exec("DELETE FROM stage_items WHERE stage = 'match' AND item_id <> 'all'");
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "full");
  // And additions alone again: incremental.
  add_product(*s, 61);
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "incremental");
}

TEST_F(IncrementalMatchTest, ReplacedVectorIsNotSkipped) {
  // As the embed stage replaces a vector: in place (same row), a new source_sha, nothing added.
  auto s = make("r.db");
  for (int i = 0; i < 40; ++i) add_product(*s, i);
  for (int i = 0; i < 20; ++i) add_region(*s, i);
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "full");
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "skipped");
  const auto& v = u_.products[7].v;
  s->db().prepare("INSERT INTO embeddings VALUES ('product', ?, 'm1', 8, ?, 'other', ?)"
                  " ON CONFLICT(owner_kind, owner_id, model_id) DO UPDATE SET vector = excluded.vector,"
                  " source_sha = excluded.source_sha, run_id = excluded.run_id")
      .bind(1, u_.products[3].id).bind_blob(2, v.data(), 32).bind(3, run_).run();
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "full");
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "skipped");
}

TEST_F(IncrementalMatchTest, StoredListsThatDoNotFitTakeTheFullPass) {
  // A stored list with a gap in its ranks cannot be merged into: the full pass rewrites it.
  auto s = make("g.db");
  for (int i = 0; i < kProducts; ++i) add_product(*s, i);
  for (int i = 0; i < 50; ++i) add_region(*s, i);
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "full");
  s->db().exec("DELETE FROM matches WHERE direction = 'product_to_region' AND product_id = 'p005'"
               " AND rank = 2");
  for (int i = 50; i < kRegions; ++i) add_region(*s, i);
  EXPECT_EQ(match(*s).result.stats.value("mode", ""), "full");
  auto ref = make("g-ref.db");
  for (int i = 0; i < kProducts; ++i) add_product(*ref, i);
  for (int i = 0; i < kRegions; ++i) add_region(*ref, i);
  match(*ref);
  expect_same(*s, *ref);
}

}  // namespace
}  // namespace ensemble::pipeline
