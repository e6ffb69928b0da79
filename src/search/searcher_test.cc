#include "ensemble/search/searcher.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
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
