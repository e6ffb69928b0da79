// Broken and hostile catalogs (issue #9): wrong encodings, missing columns, duplicate ids, image
// paths that escape the images root, very long fields, odd line ends, a flood of bad rows, and a
// million-row CSV imported by the real CLI in bounded memory.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "ensemble/catalog/catalog_import.h"
#include "ensemble/util/error.h"
#include "hostile_cli.h"
#include "testing/store_query.h"
#include "testing/temp_dir.h"

namespace ensemble::catalog {
namespace {

namespace fs = std::filesystem;
using ensemble::testing::query_int;
using ensemble::testing::TempDir;
using ensemble::testing::write_text;

class HostileCatalog : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "root/img");
    ASSERT_TRUE(cv::imwrite((dir_ / "root/img/a.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3))));
    ASSERT_TRUE(cv::imwrite((dir_ / "outside.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(3, 2, 1))));
    store_ = store::Store::open(dir_ / "e.db");
  }
  ImportReport import(const std::string& csv, CatalogImportOptions opts = {}) {
    write_text(dir_ / "root/catalog.csv", csv);
    opts.quiet = true;
    return import_catalog(*store_, dir_ / "root/catalog.csv", opts, cfg_);
  }
  std::string error_of(const std::string& csv) {
    try {
      import(csv);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput);
      return e.what();
    }
    return "";
  }
  std::int64_t products() { return query_int(*store_, "SELECT count(*) FROM products"); }

  TempDir dir_;
  config::Config cfg_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(HostileCatalog, WrongEncodingsAreNamed) {
  // A Latin-1 row: that row is refused, the others imported.
  const auto r = import("id,title,category,image\np1,Caf\xE9,shirt,img/a.png\np2,Cafe,shirt,img/a.png\n");
  EXPECT_EQ(r.inserted, 1);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 2);
  EXPECT_NE(r.problems[0].message.find("UTF-8"), std::string::npos);
  // UTF-16 with and without its byte-order mark: the whole file, before anything is written.
  std::string utf16 = "\xFF\xFE";
  for (char c : std::string("id,title,category,image\np1,T,shirt,img/a.png\n")) {
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  EXPECT_NE(error_of(utf16).find("UTF-16"), std::string::npos);
  EXPECT_NE(error_of(utf16.substr(2)).find("UTF-16"), std::string::npos);
  // A lone first byte of a byte-order mark, then nothing.
  EXPECT_FALSE(error_of("\xEF").empty());
  EXPECT_EQ(products(), 1);
}

TEST_F(HostileCatalog, MissingColumnsDuplicateIdsAndEmptyFields) {
  EXPECT_NE(error_of("id,title,image\np1,T,img/a.png\n").find("missing required column(s): category"),
            std::string::npos);
  EXPECT_NE(error_of("id,title,category,image,ID\n").find("duplicate column"), std::string::npos);
  EXPECT_NE(error_of("").find("empty file"), std::string::npos);
  EXPECT_EQ(products(), 0);
  const auto r = import("id,title,category,image\np1,First,shirt,img/a.png\np1,Second,shirt,img/a.png\n"
                        "p2,,shirt,img/a.png\n");
  EXPECT_EQ(r.inserted, 1);
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].message.find("duplicate id 'p1'"), std::string::npos);
  EXPECT_NE(r.problems[1].message.find("empty required field(s): title"), std::string::npos);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM products WHERE title = 'First'"), 1);
}

TEST_F(HostileCatalog, PathsEscapingTheImagesRootAreRefused) {
  fs::create_symlink(dir_ / "outside.png", dir_ / "root/img/link.png");
  fs::create_directory_symlink(dir_.path(), dir_ / "root/up");
  const auto r = import(
      "id,title,category,image\n"
      "p1,T,shirt,../../etc/passwd\n"
      "p2,T,shirt,/etc/passwd\n"
      "p3,T,shirt,img/../../outside.png\n"
      "p4,T,shirt,img/link.png\n"
      "p5,T,shirt,up/outside.png\n"
      "p6,T,shirt," + (dir_ / "outside.png").string() + "\n"
      "ok1,T,shirt,img/./a.png\n"
      "ok2,T,shirt," + (dir_ / "root/img/a.png").string() + "\n");
  EXPECT_EQ(r.inserted, 2);
  ASSERT_EQ(r.problems.size(), 6u);
  for (const auto& p : r.problems) {
    EXPECT_NE(p.message.find("escapes the images root"), std::string::npos) << p.id << ": " << p.message;
  }
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM products WHERE id LIKE 'ok%'"), 2);
}

TEST_F(HostileCatalog, VeryLongFieldsAndOddLineEnds) {
  const std::string huge(1 << 20, 'x');
  const auto r = import("id,title,category,image\np1," + huge + ",shirt,img/a.png\n"
                        "p2,\"" + huge + "\nstill quoted\",shirt,img/a.png\n"
                        "p3,Fine,shirt,img/a.png\rp4,Also fine,shirt,img/a.png\r\n"
                        "p5,Nul\x01 and \t tabs,shirt,img/a.png\n");
  EXPECT_EQ(r.inserted, 3);
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].message.find("longer than 65536"), std::string::npos);
  EXPECT_EQ(r.problems[1].line, 3);
  EXPECT_EQ(query_int(*store_, "SELECT count(*) FROM products WHERE id IN ('p3','p4','p5')"), 3);
  // Line numbers keep counting across a lone CR.
  const auto bad = import("id,title,category,image\rp1,T,shirt,img/a.png\rp2,T,shirt\r");
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_EQ(bad.problems[0].line, 3);
  // An unterminated quote at the end of the file.
  const auto open = import("id,title,category,image\np9,\"never closed,shirt,img/a.png\n");
  ASSERT_EQ(open.problems.size(), 1u);
  EXPECT_NE(open.problems[0].message.find("unterminated"), std::string::npos);
}

TEST_F(HostileCatalog, AFloodOfBadRowsKeepsAFixedNumberOfMessages) {
  std::string csv = "id,title,category,image\n";
  for (int i = 0; i < 25000; ++i) csv += "p" + std::to_string(i) + ",T,shirt\n";  // 3 fields of 4
  const auto r = import(csv);
  EXPECT_EQ(r.rejected, 25000);
  EXPECT_EQ(r.problems.size(), ImportReport::kMaxProblems);
  EXPECT_EQ(r.problems_dropped, 25000 - static_cast<std::int64_t>(ImportReport::kMaxProblems));
  EXPECT_EQ(r.to_json()["problems_dropped"], r.problems_dropped);
}

// A million rows through the real CLI, all pointing at one small image: peak memory stays bounded
// (the CSV is streamed; what grows is the set of ids seen, about 70 bytes per id).
TEST(HostileCatalogCli, AMillionRowsImportInBoundedMemory) {
  TempDir dir;
  ASSERT_TRUE(cv::imwrite((dir / "a.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(5, 6, 7))));
  constexpr int kRows = 1000000;
  {
    std::ofstream out(dir / "big.csv");
    out << "id,title,category,image,colour\n";
    for (int i = 0; i < kRows; ++i) {
      out << 'p' << i << ",Product number " << i << ",shirt,a.png," << (i % 7 == 0 ? "red" : "") << '\n';
    }
  }
  // What the CLI costs before it reads anything (shared libraries, static initialisers).
  const auto idle = ensemble::testing::run_cli(dir.path(), {"--help"});
  ASSERT_EQ(idle.code, 0) << idle.out;
  const auto r = ensemble::testing::run_cli(dir.path(), {"--db", "big.db", "catalog", "import", "big.csv"});
  ASSERT_EQ(r.code, 0) << r.out;
  auto store = store::Store::open(dir / "big.db");
  EXPECT_EQ(query_int(*store, "SELECT count(*) FROM products"), kRows);
  EXPECT_EQ(query_int(*store, "SELECT count(DISTINCT image_sha) FROM products"), 1);
  // The CSV alone is ~45 MB and the rows ~150 MB in SQLite: an importer that loaded either, or kept
  // a row object per line, would cross this bound; the id set (~70 bytes an id) and SQLite's page
  // cache stay well under it.
  const long grown_kb = r.max_rss_kb - idle.max_rss_kb;
#if defined(__SANITIZE_ADDRESS__)
  // Under AddressSanitizer RSS does not measure the importer: freed memory stays resident in ASan's
  // quarantine (256 MB by default) beside its shadow memory (measured: +438 MB there, all rows
  // imported). The bound holds for the real build; the sanitizer run checks everything else.
  std::printf("AddressSanitizer build: the RSS bound is not checked (grew %ld MB)\n", grown_kb / 1024);
#else
  EXPECT_LT(grown_kb, 150 * 1024) << "peak RSS " << r.max_rss_kb / 1024 << " MB, idle CLI "
                                  << idle.max_rss_kb / 1024 << " MB";
#endif
  RecordProperty("peak_rss_mb", static_cast<int>(r.max_rss_kb / 1024));
  std::printf("1M-row import: peak RSS %ld MB (the CLI alone: %ld MB)\n", r.max_rss_kb / 1024,
              idle.max_rss_kb / 1024);
}

}  // namespace
}  // namespace ensemble::catalog
