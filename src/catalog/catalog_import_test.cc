#include "ensemble/catalog/catalog_import.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <nlohmann/json.hpp>

#include "ensemble/catalog/lookbook_import.h"
#include "ensemble/util/error.h"
#include "testing/store_query.h"
#include "testing/temp_dir.h"

namespace ensemble::catalog {
namespace {

namespace fs = std::filesystem;
using ensemble::testing::TempDir;
using ensemble::testing::write_text;

void write_image(const fs::path& p, cv::Scalar colour, int w = 32, int h = 32) {
  fs::create_directories(p.parent_path());
  ASSERT_TRUE(cv::imwrite(p.string(), cv::Mat(h, w, CV_8UC3, colour)));
}

using ensemble::testing::query_int;

class CatalogImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_image(dir_ / "img/red.png", {0, 0, 255});
    write_image(dir_ / "img/blue.jpg", {255, 0, 0});
    write_text(dir_ / "img/corrupt.jpg", "\xFF\xD8\xFF garbage that is not a jpeg");
    store_ = store::Store::open(dir_ / "e.db");
  }
  ImportReport run(const std::string& csv_text, CatalogImportOptions opts = {}) {
    write_text(dir_ / "catalog.csv", csv_text);
    opts.quiet = true;
    return import_catalog(*store_, dir_ / "catalog.csv", opts, cfg_);
  }
  TempDir dir_;
  config::Config cfg_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(CatalogImportTest, ImportsRowsWithAttributesAndQuotedTitles) {
  const auto r = run(
      "id,title,category,image,colour,price\n"
      "p1,\"Shirt, slim fit\",Shirt,img/red.png,red,19.99\n"
      "p2,Blue coat,coat,img/blue.jpg,,120\n");
  EXPECT_EQ(r.inserted, 2);
  EXPECT_EQ(r.rejected, 0);
  auto st = store_->db().prepare("SELECT title, category, attributes, image_ext FROM products WHERE id='p1'");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "Shirt, slim fit");
  EXPECT_EQ(st.column_text(1), "shirt");  // categories are normalised to lower case
  const auto attrs = nlohmann::json::parse(st.column_text(2));
  EXPECT_EQ(attrs["colour"], "red");
  EXPECT_EQ(attrs["price"], "19.99");
  EXPECT_EQ(st.column_text(3), ".png");
  auto st2 = store_->db().prepare("SELECT attributes FROM products WHERE id='p2'");
  st2.step();
  EXPECT_FALSE(nlohmann::json::parse(st2.column_text(0)).contains("colour"));  // empty omitted
  EXPECT_EQ(store_->run(r.run_id)->status, "ok");
}

TEST_F(CatalogImportTest, ReimportIsANoOpAndChangesAreUpdates) {
  const std::string csv = "id,title,category,image\np1,Red,shirt,img/red.png\n";
  run(csv);
  const auto again = run(csv);
  EXPECT_EQ(again.unchanged, 1);
  EXPECT_EQ(again.inserted + again.updated, 0);
  const auto changed = run("id,title,category,image\np1,Red tee,shirt,img/red.png\n");
  EXPECT_EQ(changed.updated, 1);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM products"), 1);
}

TEST_F(CatalogImportTest, SameImageStoredOnce) {
  run("id,title,category,image\np1,A,shirt,img/red.png\np2,B,shirt,img/red.png\n");
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(store_->media().root())) {
    files += e.is_regular_file();
  }
  EXPECT_EQ(files, 1);
}

TEST_F(CatalogImportTest, RejectsBadRowsWithLineNumbersAndKeepsGoodOnes) {
  run("id,title,category,image\nkeep,Kept,shirt,img/red.png\n");
  const auto r = run(
      "id,title,category,image\n"
      "p1,Good,shirt,img/red.png\n"        // line 2
      "p2,Short row,shirt\n"               // 3: wrong field count
      "p3,,shirt,img/red.png\n"            // 4: empty title
      "p1,Dup,shirt,img/blue.jpg\n"        // 5: duplicate id
      "p4,Missing,shirt,img/nope.png\n"    // 6: missing image
      "p5,Corrupt,shirt,img/corrupt.jpg\n" // 7: corrupt image
      "p6,Escape,shirt,../../etc/passwd\n" // 8: outside images root
      "p7,Bad \xE9ncoding,shirt,img/red.png\n"  // 9: not UTF-8
      "keep,Overwrite attempt,shirt,img/nope.png\n");  // 10: bad image must not touch stored row
  EXPECT_EQ(r.inserted, 1);
  EXPECT_EQ(r.rejected, 8);
  std::vector<std::int64_t> lines;
  for (const auto& p : r.problems) lines.push_back(p.line);
  EXPECT_EQ(lines, (std::vector<std::int64_t>{3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_NE(r.problems[0].message.find("expected 4 fields"), std::string::npos);
  EXPECT_NE(r.problems[2].message.find("duplicate id"), std::string::npos);
  EXPECT_NE(r.problems[5].message.find("escapes"), std::string::npos);
  EXPECT_NE(r.problems[6].message.find("UTF-8"), std::string::npos);
  auto st = store_->db().prepare("SELECT title FROM products WHERE id='keep'");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "Kept");
  EXPECT_EQ(store_->run(r.run_id)->status, "partial");
}

TEST_F(CatalogImportTest, StrictRollsBackEverything) {
  CatalogImportOptions strict;
  strict.strict = true;
  const auto r = run("id,title,category,image\np1,Good,shirt,img/red.png\np2,Bad,shirt,img/nope.png\n",
                     strict);
  EXPECT_TRUE(r.rolled_back);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM products"), 0);
  EXPECT_EQ(store_->run(r.run_id)->status, "failed");
}

TEST_F(CatalogImportTest, MissingRequiredColumnsIsAnErrorAndWritesNothing) {
  try {
    run("id,name,category,image\np1,A,shirt,img/red.png\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("title"), std::string::npos);
  }
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM products"), 0);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM runs"), 0);
}

TEST_F(CatalogImportTest, ImagesOverThePixelLimitAreRefused) {
  write_image(dir_ / "img/big.png", {1, 2, 3}, 400, 300);
  cfg_.set_override("import.max_megapixels=0.1");
  CatalogImportOptions o;
  o.limits = limits_from_config(cfg_);
  const auto r = run("id,title,category,image\np1,Big,shirt,img/big.png\n", o);
  ASSERT_EQ(r.rejected, 1);
  EXPECT_NE(r.problems[0].message.find("over the limit"), std::string::npos);
}

TEST_F(CatalogImportTest, ImagesRootOption) {
  CatalogImportOptions o;
  o.images_root = dir_ / "img";
  const auto r = run("id,title,category,image\np1,A,shirt,red.png\n", o);
  EXPECT_EQ(r.inserted, 1);
}

TEST(LookbookImport, ImportsFolderRejectsBadFilesAndIsIdempotent) {
  TempDir dir;
  write_image(dir / "lb/look1.jpg", {10, 20, 30}, 64, 80);
  write_image(dir / "lb/sub/look2.png", {30, 20, 10}, 64, 80);
  write_text(dir / "lb/broken.png", "not a png");
  write_text(dir / "lb/notes.txt", "ignored");
  auto store = store::Store::open(dir / "e.db");
  config::Config cfg;
  LookbookImportOptions o;
  o.quiet = true;
  auto r = import_lookbooks(*store, {dir / "lb"}, o, cfg);
  EXPECT_EQ(r.inserted, 2);
  EXPECT_EQ(r.rejected, 1);
  EXPECT_NE(r.problems[0].file.find("broken.png"), std::string::npos);
  auto st = store->db().prepare("SELECT width, height FROM lookbooks WHERE id='look1'");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 64);
  EXPECT_EQ(st.column_int(1), 80);
  fs::remove(dir / "lb/broken.png");
  r = import_lookbooks(*store, {dir / "lb"}, o, cfg);
  EXPECT_EQ(r.unchanged, 2);
  EXPECT_EQ(r.inserted, 0);
  // New content under the same id is an update.
  write_image(dir / "lb/look1.jpg", {200, 200, 200}, 64, 80);
  r = import_lookbooks(*store, {dir / "lb/look1.jpg"}, o, cfg);
  EXPECT_EQ(r.updated, 1);
}

TEST(LookbookImport, MissingInputIsNotFoundAndExplicitIdNeedsOneFile) {
  TempDir dir;
  auto store = store::Store::open(dir / "e.db");
  config::Config cfg;
  LookbookImportOptions o;
  EXPECT_THROW(import_lookbooks(*store, {dir / "nope"}, o, cfg), Error);
  write_image(dir / "a.png", {1, 1, 1});
  write_image(dir / "b.png", {1, 1, 1});
  o.id = "x";
  EXPECT_THROW(import_lookbooks(*store, {dir / "a.png", dir / "b.png"}, o, cfg), Error);
  o.quiet = true;
  const auto r = import_lookbooks(*store, {dir / "a.png"}, o, cfg);
  EXPECT_EQ(r.inserted, 1);
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM lookbooks WHERE id='x'"), 1);
}

}  // namespace
}  // namespace ensemble::catalog
