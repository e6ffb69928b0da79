#include "ensemble/search/searcher.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <cmath>
#include <map>
#include <thread>
#include <vector>

#include "ensemble/catalog/catalog_import.h"
#include "ensemble/search/embedder_registry.h"
#include "ensemble/search/product_index.h"
#include "ensemble/util/error.h"
#include "testing/temp_dir.h"

namespace ensemble::search {
namespace {

namespace fs = std::filesystem;

cv::Mat product_image(int i) {
  cv::Mat img(96, 96, CV_8UC3, cv::Scalar(245, 245, 245));
  const cv::Scalar colour((i * 53) % 255, (i * 97) % 255, (i * 31 + 80) % 255);
  if (i % 3 == 0) cv::rectangle(img, {20, 10, 56, 76}, colour, cv::FILLED);
  if (i % 3 == 1) cv::circle(img, {48, 48}, 30 + i % 5, colour, cv::FILLED);
  if (i % 3 == 2) cv::ellipse(img, {48, 48}, {40, 18}, 20.0 * i, 0, 360, colour, cv::FILLED);
  return img;
}

// A store whose product vectors are made by the (unfitted) classic embedder, by hand.
class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string csv = "id,title,category,image,colour\n";
    for (int i = 0; i < 15; ++i) {
      const std::string name = "p" + std::to_string(i) + ".png";
      fs::create_directories(dir_ / "img");
      cv::imwrite((dir_ / "img" / name).string(), product_image(i));
      csv += "p" + std::to_string(i) + "," + (i % 2 ? "Red summer dress" : "Blue winter coat") +
             "," + (i % 2 ? "dress" : "coat") + ",img/" + name + "," + (i % 2 ? "red" : "blue") + "\n";
    }
    testing::write_text(dir_ / "catalog.csv", csv);
    store_ = store::Store::open(dir_ / "e.db");
    catalog::CatalogImportOptions o;
    o.quiet = true;
    catalog::import_catalog(*store_, dir_ / "catalog.csv", o, cfg_);
    embed_all();
  }
  void embed_all() {
    auto embedder = open_embedder(*store_, cfg_);
    const auto run = store_->begin_run("embed", "h", "{}");
    auto st = store_->db().prepare("SELECT id, image_sha, image_ext FROM products");
    while (st.step()) {
      const cv::Mat img = cv::imread(
          store_->media().path_for(st.column_text(1), st.column_text(2)).string());
      const cv::Mat batch[1] = {img};
      const auto e = embedder->embed(batch);
      store_->db()
          .prepare("INSERT OR REPLACE INTO embeddings VALUES ('product', ?, ?, ?, ?, ?, ?)")
          .bind(1, st.column_text(0)).bind(2, embedder->id()).bind(3, e.dim)
          .bind_blob(4, e.row(0), static_cast<size_t>(e.dim) * 4).bind(5, st.column_text(1))
          .bind(6, run).run();
    }
    model_ = embedder->id();
  }
  testing::TempDir dir_;
  config::Config cfg_;
  std::unique_ptr<store::Store> store_;
  std::string model_;
};

TEST_F(SearchTest, ImageOfAProductFindsItFirst) {
  IndexSyncReport rep;
  sync_product_index(*store_, cfg_, model_, 0, &rep);
  EXPECT_EQ(rep.action, "built");
  EXPECT_EQ(rep.size, 15);
  Searcher s(*store_, cfg_);
  SearchOptions o;
  o.k = 3;
  for (int i : {0, 4, 11}) {
    const auto hits = s.by_image(product_image(i), o);
    ASSERT_EQ(hits.size(), 3u);
    EXPECT_EQ(hits[0].product, "p" + std::to_string(i));
    EXPECT_GT(hits[0].score, hits[1].score);
    EXPECT_TRUE(fs::exists(hits[0].image));
  }
}

TEST_F(SearchTest, AnImageQuerySearchesWithTheMeanOfItsTurnedViews) {
  sync_product_index(*store_, cfg_, model_, 0, nullptr);
  SearchModel model = open_search_model(*store_, cfg_);
  ASSERT_EQ(model.views.per_side, 1) << "the default: the photo and two turned copies";
  Searcher s(*store_, model);
  SearchOptions o;
  o.k = 15;  // the whole catalog
  cv::Mat query;
  cv::warpAffine(product_image(3), query, cv::getRotationMatrix2D({47.5f, 47.5f}, 5.0, 1.0), {96, 96},
                 cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(245, 245, 245));
  // By hand: the three views embedded, their mean normalised, searched as a vector.
  const auto views = embed::query_views(query, model.views);
  ASSERT_EQ(views.size(), 3u);
  const auto e = s.embedder().embed(views);
  std::vector<float> mean(static_cast<size_t>(e.dim), 0.0f);
  for (std::int64_t v = 0; v < e.rows; ++v) {
    for (int d = 0; d < e.dim; ++d) mean[static_cast<size_t>(d)] += e.row(v)[d];
  }
  float norm = 0;
  for (const float x : mean) norm += x * x;
  for (float& x : mean) x /= std::sqrt(norm);
  // Each product scores the better of its cosine to the mean and to the photo alone (view 0).
  std::map<std::string, float> expected;
  for (const auto& h : s.by_vector(mean, o)) expected[h.product] = h.score;
  for (const auto& h : s.by_vector(e.row_span(0), o)) expected[h.product] = std::max(expected[h.product], h.score);
  const auto hits = s.by_image(query, o);
  ASSERT_EQ(hits.size(), 15u);
  int photo_better = 0;
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_NEAR(hits[i].score, expected[hits[i].product], 1e-5) << hits[i].product;
    if (i > 0) {
      EXPECT_GE(hits[i - 1].score, hits[i].score);
    }
  }
  for (const auto& h : s.by_vector(mean, o)) photo_better += expected[h.product] > h.score + 1e-6f;
  EXPECT_GT(photo_better, 0) << "some products are closer to the photo than to its views";
  EXPECT_EQ(hits[0].product, "p3");
  // The catalog's own photo finds itself at a cosine of 1, views or not.
  const auto self = s.by_image(product_image(4), o);
  EXPECT_EQ(self[0].product, "p4");
  EXPECT_NEAR(self[0].score, 1.0f, 1e-4);
  // Without views, the photo alone: its own embedding.
  model.views.per_side = 0;
  Searcher alone(*store_, model);
  const auto plain = alone.by_image(query, o);
  const auto first = s.by_vector(e.row_span(0), o);
  ASSERT_EQ(plain.size(), first.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(plain[i].product, first[i].product);
    EXPECT_FLOAT_EQ(plain[i].score, first[i].score);
  }
  std::map<std::string, float> alone_score;
  for (const auto& h : plain) alone_score[h.product] = h.score;
  int views_better = 0;
  for (const auto& h : hits) views_better += h.score > alone_score[h.product] + 1e-6f;
  EXPECT_GT(views_better, 0) << "some products are closer to the photo's views than to the photo";
}

TEST_F(SearchTest, FiltersByCategoryAndTextAndExcludesTheSeed) {
  sync_product_index(*store_, cfg_, model_, 0, nullptr);
  Searcher s(*store_, cfg_);
  SearchOptions o;
  o.k = 20;
  o.category = "Dress";
  for (const auto& h : s.by_image(product_image(2), o)) EXPECT_EQ(h.category, "dress");
  o.category.reset();
  o.text = "winter";
  for (const auto& h : s.by_product("p3", o)) {
    EXPECT_EQ(h.category, "coat");
    EXPECT_NE(h.product, "p3");
  }
  EXPECT_THROW(s.by_product("nope", o), Error);
}

TEST_F(SearchTest, TextSearchRanksMatchingProducts) {
  SearchOptions o;
  o.k = 5;
  const auto hits = Searcher::by_text(*store_, "red dress", o);
  ASSERT_EQ(hits.size(), 5u);
  for (const auto& h : hits) EXPECT_EQ(h.category, "dress");
  EXPECT_FLOAT_EQ(hits[0].score, 1.0f);
  EXPECT_THROW(Searcher::by_text(*store_, " ,;", o), Error);
  // FTS syntax in user text is just words.
  EXPECT_NO_THROW(Searcher::by_text(*store_, "dress\" OR NOT (", o));
}

TEST_F(SearchTest, MissingOrStaleIndexIsRefusedAndSyncUpdatesIncrementally) {
  try {
    Searcher s(*store_, cfg_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  sync_product_index(*store_, cfg_, model_, 0, nullptr);
  // One product's vector changes (its source changes): the index is now stale.
  store_->db().exec("UPDATE embeddings SET source_sha = 'changed' WHERE owner_id = 'p5'");
  try {
    Searcher s(*store_, cfg_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
  }
  IndexSyncReport rep;
  sync_product_index(*store_, cfg_, model_, 0, &rep);
  EXPECT_EQ(rep.action, "updated");
  EXPECT_EQ(rep.added, 1);
  EXPECT_EQ(rep.removed, 1);
  EXPECT_NO_THROW(Searcher(*store_, cfg_));
  sync_product_index(*store_, cfg_, model_, 0, &rep);
  EXPECT_EQ(rep.action, "unchanged");
}

// The server's pattern: one SearchModel opened once, a Searcher per thread on its own Store.
TEST_F(SearchTest, ASharedModelServesSearchersOnSeveralThreads) {
  sync_product_index(*store_, cfg_, model_, 0, nullptr);
  const SearchModel model = open_search_model(*store_, cfg_);
  ASSERT_TRUE(model.embedder && model.index);
  EXPECT_EQ(model.index->size(), 15);
  SearchOptions o;
  o.k = 4;
  std::vector<std::vector<std::string>> expected;
  {
    const Searcher s(*store_, model);
    EXPECT_EQ(&s.product_index(), model.index.get());
    for (int i = 0; i < 15; ++i) {
      std::vector<std::string> ids;
      for (const auto& h : s.by_product("p" + std::to_string(i), o)) ids.push_back(h.product);
      expected.push_back(ids);
    }
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto store = store::Store::open(dir_ / "e.db");
      const Searcher s(*store, model);
      for (int round = 0; round < 20; ++round) {
        const int i = (t * 5 + round) % 15;
        std::vector<std::string> ids;
        for (const auto& h : s.by_product("p" + std::to_string(i), o)) ids.push_back(h.product);
        if (ids != expected[i]) ++mismatches;
        if (s.by_image(product_image(i), o).front().product != "p" + std::to_string(i)) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  // A model without its parts is refused.
  EXPECT_THROW(Searcher(*store_, SearchModel{}), Error);
}

TEST(CheckK, RejectsOutOfRange) {
  EXPECT_THROW(check_k(0), Error);
  EXPECT_THROW(check_k(1001), Error);
  EXPECT_NO_THROW(check_k(10));
}

}  // namespace
}  // namespace ensemble::search
