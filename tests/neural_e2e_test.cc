// End-to-end with the neural backends (ENSEMBLE_WITH_TORCH only): the --small sample imported and run
// with tiny TorchScript models (clip: embedder and sam: segmenter, written by the test), then queries
// through the real CLI; and text queries through the text tower (search::search_text).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "ensemble/config/config.h"
#include "ensemble/search/text_query.h"
#include "ensemble/store/store.h"
#include "neural/testing/tiny_models.h"
#include "cli_runner.h"
#include "testing/temp_dir.h"

namespace {

namespace fs = std::filesystem;
namespace nt = ensemble::neural::testing;

using Result = ensemble::testing::CliResult;

Result ensemble_cli(const fs::path& cwd, const std::string& args) {
  return ensemble::testing::run_cli(cwd, args);
}

nlohmann::json json_of(const Result& r) {
  EXPECT_EQ(r.code, 0) << r.out;
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON: " << r.out;
    return {};
  }
}

class NeuralEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ensemble::testing::TempDir();
    const Result r = ensemble_cli(dir_->path(), "sample --small --out sample --json");
    ASSERT_EQ(r.code, 0) << r.out;
    nt::TinyClip clip;
    clip.dim = 512;  // the pipeline's default embed.dim
    nt::write_tiny_clip(dir_->path() / "models/clip", clip);
    nt::write_tiny_sam(dir_->path() / "models/sam");
  }
  static void TearDownTestSuite() { delete dir_; }
  fs::path dir() const { return dir_->path(); }
  static ensemble::testing::TempDir* dir_;
  static constexpr const char* kNeural =
      "--set embed.backend=clip:models/clip/clip.json --set segment.backend=sam:models/sam/sam.json ";
};
ensemble::testing::TempDir* NeuralEndToEnd::dir_ = nullptr;

TEST_F(NeuralEndToEnd, SampleRunsWithClipAndSamThenSearchWorks) {
  ASSERT_EQ(ensemble_cli(dir(), "--db n.db catalog import sample/catalog.csv").code, 0);
  ASSERT_EQ(ensemble_cli(dir(), "--db n.db lookbooks import sample/lookbooks").code, 0);
  const Result run = ensemble_cli(dir(), std::string("--db n.db ") + kNeural + "run --json");
  ASSERT_EQ(run.code, 0) << run.out;
  const auto report = nlohmann::json::parse(run.out);
  std::map<std::string, nlohmann::json> by_stage;
  for (const auto& s : report["stages"]) by_stage[s["stage"]] = s;
  EXPECT_EQ(by_stage["segment"]["status"], "ok") << run.out;
  EXPECT_EQ(by_stage["embed"]["status"], "ok") << run.out;
  EXPECT_EQ(by_stage["match"]["status"], "ok") << run.out;

  // Lineage names the manifests' ids (name@version and checksum).
  const Result runs = ensemble_cli(dir(), "--db n.db runs --json");
  EXPECT_NE(runs.out.find("clip:models/clip/clip.json#v1#tiny-clip@test-1#sha="), std::string::npos) << runs.out;
  EXPECT_NE(runs.out.find("sam:models/sam/sam.json#v2#tiny-sam@test-1#sha="), std::string::npos) << runs.out;

  const auto stats = json_of(ensemble_cli(dir(), "--db n.db stats --json"));
  EXPECT_EQ(stats["tables"]["embeddings"].get<int>(),
            stats["tables"]["products"].get<int>() + stats["tables"]["regions"].get<int>());

  // Visual search with the clip embedder: a catalog photo finds its own product first.
  ASSERT_EQ(ensemble_cli(dir(), "--db n.db export products --format jsonl --out p.jsonl").code, 0);
  std::ifstream pl(dir() / "p.jsonl");
  std::string line;
  std::getline(pl, line);
  const auto first = nlohmann::json::parse(line)["id"].get<std::string>();
  const auto hits = json_of(ensemble_cli(
      dir(), std::string("--db n.db ") + kNeural + "search --image sample/products/" + first + ".jpg --k 3 --json"));
  ASSERT_EQ(hits["results"].size(), 3u) << hits.dump();
  EXPECT_EQ(hits["results"][0]["product"], first);
  EXPECT_EQ(json_of(ensemble_cli(dir(), std::string("--db n.db ") + kNeural + "search --product " + first +
                                            " --k 4 --json"))["results"]
                .size(),
            4u);
  EXPECT_EQ(ensemble_cli(dir(), std::string("--db n.db ") + kNeural + "search --text dress --k 2 --json").code, 0);

  // Text queries through the text tower (the library function the CLI and server call for --text).
  // The embedder id holds the manifest path as given, so query with the same relative spec.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir());
  auto store = ensemble::store::Store::open(dir() / "n.db");
  ensemble::config::Config config;
  config.set_override("embed.backend=clip:models/clip/clip.json");
  EXPECT_EQ(ensemble::search::text_mode(*store, config), ensemble::search::TextMode::kSemantic);
  ensemble::search::SearchOptions o;
  o.k = 5;
  ensemble::search::TextMode mode{};
  const auto text_hits = ensemble::search::search_text(*store, config, "red dress", o, &mode);
  EXPECT_EQ(mode, ensemble::search::TextMode::kSemantic);
  EXPECT_EQ(text_hits.size(), 5u);
  ensemble::config::Config classic;
  EXPECT_EQ(ensemble::search::text_mode(*store, classic), ensemble::search::TextMode::kFts);
  ensemble::search::search_text(*store, classic, "dress", o, &mode);
  EXPECT_EQ(mode, ensemble::search::TextMode::kFts);
  fs::current_path(cwd);
}

TEST_F(NeuralEndToEnd, BadModelsFailAtLoadWithClearMessages) {
  ASSERT_EQ(ensemble_cli(dir(), "--db e.db catalog import sample/catalog.csv").code, 0);
  const Result missing = ensemble_cli(dir(), "--db e.db --set embed.backend=clip:models/none.json run --stage embed");
  EXPECT_NE(missing.code, 0) << missing.out;
  EXPECT_NE(missing.out.find("models/none.json does not exist"), std::string::npos) << missing.out;
  const Result cuda = ensemble_cli(
      dir(), "--db e.db --set pipeline.device=cuda --set embed.backend=clip:models/clip/clip.json run --stage embed");
  EXPECT_NE(cuda.code, 0);
  EXPECT_NE(cuda.out.find("device 'cuda' was requested"), std::string::npos) << cuda.out;
  const Result sam = ensemble_cli(dir(), "--db e.db --set segment.backend=sam:models/clip/clip.json run --stage segment");
  EXPECT_NE(sam.code, 0);
  EXPECT_NE(sam.out.find("not a 'sam' one"), std::string::npos) << sam.out;
}

}  // namespace
