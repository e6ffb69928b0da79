#include "ensemble/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include "ensemble/util/error.h"
#include "testing/temp_dir.h"

namespace ensemble::pipeline {
namespace {

class FakeStage : public Stage {
 public:
  FakeStage(std::string name, int fail_mode) : name_(std::move(name)), fail_mode_(fail_mode) {}
  std::string name() const override { return name_; }
  std::string backend(const config::Config&) const override { return "fake:" + name_; }
  std::string model_id() const override { return "fake-model-1"; }
  StageResult run(StageContext& ctx) override {
    if (fail_mode_ == 2) throw Error(ErrorCode::kBadInput, "stage blew up");
    StageResult r;
    r.input_rows = 3;
    r.output_rows = 7;
    r.failed_rows = fail_mode_ == 1 ? 1 : 0;
    r.stats["note"] = "hello";
    EXPECT_GT(ctx.run_id, 0);
    return r;
  }

 private:
  std::string name_;
  int fail_mode_;
};

TEST(Pipeline, RecordsEachStageInLineage) {
  testing::TempDir dir;
  auto store = store::Store::open(dir / "e.db");
  config::Config cfg;
  PipelineOptions o;
  o.stages = {"segment", "embed"};
  o.factory = [](const std::string& n) { return std::make_unique<FakeStage>(n, 0); };
  const PipelineReport r = run_pipeline(*store, cfg, o);
  ASSERT_EQ(r.stages.size(), 2u);
  EXPECT_TRUE(r.ok());
  const auto run = store->run(r.stages[0].run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->stage, "segment");
  EXPECT_EQ(run->status, "ok");
  EXPECT_EQ(run->backend, "fake:segment");
  EXPECT_EQ(run->model_id, "fake-model-1");
  EXPECT_EQ(run->config_hash, cfg.hash());
  EXPECT_EQ(run->output_rows, 7);
  EXPECT_NE(run->stats_json.find("hello"), std::string::npos);
}

TEST(Pipeline, PartialContinuesAndFailureStops) {
  testing::TempDir dir;
  auto store = store::Store::open(dir / "e.db");
  config::Config cfg;
  PipelineOptions o;
  o.stages = {"segment", "embed", "match", "cooccur"};
  o.factory = [](const std::string& n) {
    return std::make_unique<FakeStage>(n, n == "segment" ? 1 : n == "embed" ? 2 : 0);
  };
  const PipelineReport r = run_pipeline(*store, cfg, o);
  ASSERT_EQ(r.stages.size(), 2u);  // stopped after the failing embed stage
  EXPECT_EQ(r.stages[0].status, "partial");
  EXPECT_EQ(r.stages[1].status, "failed");
  EXPECT_EQ(r.stages[1].error, "stage blew up");
  EXPECT_EQ(store->run(r.stages[1].run_id)->status, "failed");
  EXPECT_FALSE(r.ok());
}

TEST(Pipeline, UnknownStageIsRejectedBeforeAnythingRuns) {
  testing::TempDir dir;
  auto store = store::Store::open(dir / "e.db");
  config::Config cfg;
  PipelineOptions o;
  o.stages = {"segment", "sgement"};
  EXPECT_THROW(run_pipeline(*store, cfg, o), Error);
  EXPECT_TRUE(store->runs().empty());
}

TEST(Pipeline, SecondConcurrentRunIsRefused) {
  testing::TempDir dir;
  auto store = store::Store::open(dir / "e.db");
  config::Config cfg;
  auto held = store::RunLock::acquire(store->path());
  PipelineOptions o;
  o.stages = {"segment"};
  o.factory = [](const std::string& n) { return std::make_unique<FakeStage>(n, 0); };
  try {
    run_pipeline(*store, cfg, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
  }
}

}  // namespace
}  // namespace ensemble::pipeline
