// End-to-end: the real CLI on the --small sample in a temporary folder.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <string>

#include "cli_runner.h"
#include "testing/temp_dir.h"

namespace {

namespace fs = std::filesystem;

using Result = ensemble::testing::CliResult;

Result ensemble(const fs::path& cwd, const std::string& args) {
  return ensemble::testing::run_cli(cwd, args);
}

nlohmann::json json_of(const Result& r) {
  EXPECT_EQ(r.code, 0) << r.out;
  return nlohmann::json::parse(r.out);
}

class CliEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ensemble::testing::TempDir();
    const Result r = ensemble(dir_->path(), "sample --small --out sample --json");
    ASSERT_EQ(r.code, 0) << r.out;
  }
  static void TearDownTestSuite() { delete dir_; }
  fs::path dir() const { return dir_->path(); }
  static ensemble::testing::TempDir* dir_;
};
ensemble::testing::TempDir* CliEndToEnd::dir_ = nullptr;

TEST_F(CliEndToEnd, ImportsTheSampleAndReimportChangesNothing) {
  const auto cat = json_of(ensemble(dir(), "--db a.db catalog import sample/catalog.csv --json"));
  EXPECT_GT(cat["inserted"].get<int>(), 100);
  EXPECT_EQ(cat["rejected"], 0);
  const auto lb = json_of(ensemble(dir(), "--db a.db lookbooks import sample/lookbooks --json"));
  EXPECT_GT(lb["inserted"].get<int>(), 5);
  const auto again = json_of(ensemble(dir(), "--db a.db catalog import sample/catalog.csv --json"));
  EXPECT_EQ(again["inserted"], 0);
  EXPECT_EQ(again["updated"], 0);
  EXPECT_EQ(again["unchanged"], cat["inserted"]);
  const auto stats = json_of(ensemble(dir(), "--db a.db stats --json"));
  EXPECT_EQ(stats["tables"]["products"], cat["inserted"]);
  EXPECT_EQ(stats["tables"]["lookbooks"], lb["inserted"]);
  EXPECT_TRUE(fs::exists(dir() / "a.media"));
  // Lineage has both imports.
  const auto runs = json_of(ensemble(dir(), "--db a.db runs --json"));
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[2]["stage"], "import-catalog");
  EXPECT_EQ(runs[2]["status"], "ok");
}

TEST_F(CliEndToEnd, BadRowsAreReportedWithLineAndExitCode2WithoutLosingData) {
  ASSERT_EQ(ensemble(dir(), "--db b.db catalog import sample/catalog.csv").code, 0);
  const auto before = json_of(ensemble(dir(), "--db b.db stats --json"))["tables"]["products"];
  {
    std::ifstream in(dir() / "sample/catalog.csv");
    std::string header, first;
    std::getline(in, header);
    std::getline(in, first);
    std::ofstream out(dir() / "bad.csv");
    out << header << "\n"
        << "newp,Fresh tee,t-shirt,sample/" << "products/does-not-exist.jpg,,,,,\n"
        << "escape,Escape,t-shirt,../../etc/passwd,,,,,\n"
        << "short,row\n";
  }
  const Result r = ensemble(dir(), "--db b.db catalog import bad.csv");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("bad.csv:2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad.csv:3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad.csv:4"), std::string::npos) << r.out;
  EXPECT_EQ(json_of(ensemble(dir(), "--db b.db stats --json"))["tables"]["products"], before);
}

TEST_F(CliEndToEnd, UsageAndConfigErrorsExitWith1) {
  EXPECT_EQ(ensemble(dir(), "--set segment.points_per_sde=3 stats").code, 1);
  EXPECT_EQ(ensemble(dir(), "nosuchcommand").code, 1);
  const Result r = ensemble(dir(), "--set segment.points_per_sde=3 stats");
  EXPECT_NE(r.out.find("segment.points_per_side"), std::string::npos) << r.out;
  EXPECT_EQ(ensemble(dir(), "--help").code, 0);
  // An unknown matrix-product backend is refused up front, naming the variable.
  setenv("ENSEMBLE_BLAS", "mkl", 1);
  const Result blas = ensemble(dir(), "stats");
  unsetenv("ENSEMBLE_BLAS");
  EXPECT_EQ(blas.code, 1) << blas.out;
  EXPECT_NE(blas.out.find("ENSEMBLE_BLAS"), std::string::npos) << blas.out;
}

TEST_F(CliEndToEnd, MissingDatabaseIsBadInputNotCreated) {
  const Result r = ensemble(dir(), "--db missing.db stats");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_FALSE(fs::exists(dir() / "missing.db"));
}

TEST_F(CliEndToEnd, InitWritesAConfigThatRunsAccept) {
  ASSERT_EQ(ensemble(dir(), "init --out cfg.toml").code, 0);
  EXPECT_EQ(ensemble(dir(), "init --out cfg.toml").code, 2);  // refuses to overwrite
  ASSERT_EQ(ensemble(dir(), "--db c.db catalog import sample/catalog.csv").code, 0);
  const Result r = ensemble(dir(), "--db c.db --config cfg.toml run --stage match --json");
  EXPECT_EQ(r.code, 0) << r.out;
  const auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["stages"].size(), 1u);
  ensemble::testing::write_text(dir() / "bad.toml", "[segment]\npoints_per_side = 99\n");
  EXPECT_EQ(ensemble(dir(), "--db c.db --config bad.toml run").code, 1);
}

TEST_F(CliEndToEnd, FullPipelineThenQueries) {
  ASSERT_EQ(ensemble(dir(), "--db f.db catalog import sample/catalog.csv").code, 0);
  ASSERT_EQ(ensemble(dir(), "--db f.db lookbooks import sample/lookbooks").code, 0);
  const Result run = ensemble(dir(), "--db f.db run --report report.json --json");
  ASSERT_EQ(run.code, 0) << run.out;
  const auto report = nlohmann::json::parse(run.out);
  std::map<std::string, nlohmann::json> by_stage;
  for (const auto& s : report["stages"]) by_stage[s["stage"]] = s;
  EXPECT_EQ(by_stage["segment"]["status"], "ok");
  EXPECT_GT(by_stage["segment"]["output_rows"].get<int>(), 12);
  EXPECT_EQ(by_stage["embed"]["status"], "ok");
  EXPECT_EQ(by_stage["index"]["status"], "ok");
  EXPECT_EQ(by_stage["index"]["stats"]["action"], "built");
  EXPECT_EQ(by_stage["match"]["status"], "ok");
  EXPECT_TRUE(fs::exists(dir() / "report.json"));
  const auto stats = json_of(ensemble(dir(), "--db f.db stats --json"));
  EXPECT_GT(stats["tables"]["regions"].get<int>(), 0);
  EXPECT_GT(stats["tables"]["matches"].get<int>(), 0);
  EXPECT_EQ(stats["tables"]["embeddings"].get<int>(),
            stats["tables"]["products"].get<int>() + stats["tables"]["regions"].get<int>());

  // A second run has nothing to do.
  const auto again = nlohmann::json::parse(ensemble(dir(), "--db f.db run --json").out);
  for (const auto& s : again["stages"]) {
    if (s["status"] == "unavailable") continue;
    EXPECT_EQ(s["output_rows"], 0) << s.dump();
  }

  // Visual search: a catalog photo finds its own product first.
  ASSERT_EQ(ensemble(dir(), "--db f.db export products --format jsonl --out p.jsonl").code, 0);
  std::ifstream pl(dir() / "p.jsonl");
  std::string line;
  std::getline(pl, line);
  const auto first = nlohmann::json::parse(line)["id"].get<std::string>();
  const auto hits = json_of(ensemble(dir(), "--db f.db search --image sample/products/" + first +
                                                ".jpg --k 3 --json"));
  ASSERT_EQ(hits["results"].size(), 3u);
  EXPECT_EQ(hits["results"][0]["product"], first);
  const auto more = json_of(ensemble(dir(), "--db f.db search --product " + first + " --k 4 --json"));
  EXPECT_EQ(more["results"].size(), 4u);
  EXPECT_EQ(json_of(ensemble(dir(), "--db f.db search --text dress --k 2 --json"))["results"].size(), 2u);
  EXPECT_EQ(ensemble(dir(), "--db f.db search --product nope").code, 2);
  EXPECT_EQ(ensemble(dir(), "--db f.db search --product " + first + " --k 0").code, 2);
  // The reverse direction and the overlay.
  const auto where = json_of(ensemble(dir(), "--db f.db lookbooks-for --product " + first + " --json"));
  EXPECT_FALSE(where["lookbooks"].empty());
  // Complete the look on the same database.
  const auto rec = json_of(ensemble(dir(), "--db f.db recommend --product " + first + " --k 5 --json"));
  EXPECT_EQ(rec["product"], first);
  EXPECT_TRUE(rec["recommendations"].is_array());
  EXPECT_LE(rec["recommendations"].size(), 5u);
  EXPECT_EQ(ensemble(dir(), "--db f.db recommend --product nope").code, 2);
  const auto outfit = json_of(ensemble(dir(), "--db f.db complete --product " + first + " --json"));
  EXPECT_TRUE(outfit.is_object());
  EXPECT_EQ(ensemble(dir(), "--db f.db slots --json").code, 0);
  if (!rec["recommendations"].empty()) {
    const std::string other = rec["recommendations"][0]["product"];
    EXPECT_EQ(ensemble(dir(), "--db f.db feedback --product " + first + " --other " + other +
                                  " --vote down --user qa").code, 0);
  }
  const Result seg = ensemble(dir(), "--db f.db segment --image sample/lookbooks/lb0000.jpg --out ov.png");
  EXPECT_EQ(seg.code, 0) << seg.out;
  EXPECT_TRUE(fs::exists(dir() / "ov.png"));

  // Complete the look from a photo: its regions matched, then the missing slots filled.
  const auto look = json_of(ensemble(dir(), "--db f.db complete --image sample/lookbooks/lb0001.jpg --json"));
  ASSERT_FALSE(look["regions"].empty());
  const int width = look["image"]["width"], height = look["image"]["height"];
  for (const auto& r : look["regions"]) {
    const auto& b = r["bbox"];
    EXPECT_GE(b[0].get<int>(), 0);
    EXPECT_LE(b[0].get<int>() + b[2].get<int>(), width);
    EXPECT_LE(b[1].get<int>() + b[3].get<int>(), height);
    EXPECT_GE(r["polygon"].size(), 3u) << r.dump();
    for (std::size_t i = 1; i < r["matches"].size(); ++i) {
      EXPECT_GE(r["matches"][i - 1]["score"].get<double>(), r["matches"][i]["score"].get<double>());
    }
  }
  ASSERT_FALSE(look["outfit"].empty()) << look.dump();
  std::set<std::string> slots;
  bool pairs_started = false;
  for (const auto& item : look["outfit"]) {
    EXPECT_TRUE(slots.insert(item["slot"].get<std::string>()).second) << "two items of one slot";
    if (item["source"] == "photo") {
      EXPECT_FALSE(pairs_started) << "the photo's own items come first";
      const auto& region = look["regions"][item["region"].get<std::size_t>()];
      EXPECT_EQ(region["slot"], item["slot"]);
      bool matched = false;
      for (const auto& m : region["matches"]) matched = matched || m["product"] == item["product"];
      EXPECT_TRUE(matched) << "a photo item is one of its region's matches";
    } else {
      EXPECT_EQ(item["source"], "pairs");
      pairs_started = true;
    }
  }
  EXPECT_EQ(look["outfit"][0]["source"], "photo");
  // A photo without any usable region still gets its best whole-image matches.
  const cv::Mat blank(120, 90, CV_8UC3, cv::Scalar(255, 255, 255));
  ASSERT_TRUE(cv::imwrite((dir() / "blank.png").string(), blank));
  const auto flat = json_of(ensemble(dir(), "--db f.db complete --image blank.png --json"));
  ASSERT_EQ(flat["regions"].size(), 1u);
  EXPECT_EQ(flat["regions"][0]["whole_image"], true);
  EXPECT_EQ(ensemble(dir(), "--db f.db complete --image nope.jpg").code, 2);
}

TEST_F(CliEndToEnd, ExportWritesCsvAndJsonl) {
  ASSERT_EQ(ensemble(dir(), "--db d.db catalog import sample/catalog.csv").code, 0);
  const Result csv = ensemble(dir(), "--db d.db export products --format csv");
  ASSERT_EQ(csv.code, 0);
  EXPECT_EQ(csv.out.rfind("id,title,category", 0), 0u) << csv.out.substr(0, 100);
  const Result jsonl = ensemble(dir(), "--db d.db export runs --format jsonl");
  ASSERT_EQ(jsonl.code, 0);
  EXPECT_EQ(nlohmann::json::parse(jsonl.out.substr(0, jsonl.out.find('\n')))["stage"],
            "import-catalog");
  EXPECT_EQ(ensemble(dir(), "--db d.db export nosuch").code, 1);
}

}  // namespace
