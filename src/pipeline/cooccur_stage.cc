// The `cooccur` stage: matches -> pairs of products worn together (pairs table, for the configured
// scoring) and the learnt slot table (slot_stats); the work is recommend::run_cooccur.
// Whole-table: it reruns when the products, regions, matches or its settings change (the evidence
// digest and the [cooccur] section are its fingerprint), else it is skipped.
#include <memory>
#include <nlohmann/json.hpp>

#include "ensemble/pipeline/stage.h"
#include "ensemble/recommend/batch.h"
#include "pipeline/stage_util.h"
#include "pipeline/stages.h"

namespace ensemble::pipeline {

namespace {

class CooccurStage : public Stage {
 public:
  std::string name() const override { return "cooccur"; }
  std::string backend(const config::Config& c) const override {
    const std::string scoring = c.get_string("cooccur.scoring");
    return scoring == "reference" ? scoring : scoring + ":" + c.get_string("cooccur.association");
  }

  StageResult run(StageContext& ctx) override {
    StageResult result;
    auto& db = ctx.store.db();
    const std::string fp =
        fingerprint({recommend::evidence_digest(db), ctx.config.section_json("cooccur").dump(),
                     nlohmann::json(ctx.config.get_list("recommend.layering")).dump()});
    const auto state = item_state(db, "cooccur", "all");
    if (state && state->status == "ok" && state->fingerprint == fp) {
      auto st = db.prepare("SELECT count(*) FROM regions");
      st.step();
      result.input_rows = result.skipped_rows = st.column_int(0);
      return result;
    }
    const recommend::BatchReport report = recommend::run_cooccur(db, ctx.config, ctx.run_id);
    set_item_state(db, "cooccur", "all", fp, "ok",
                   report.output_rows == 0 ? "no pairs: run segment, embed and match first" : "",
                   ctx.run_id);
    result.input_rows = report.input_rows;
    result.output_rows = report.output_rows;
    result.stats = report.stats;
    return result;
  }
};

}  // namespace

std::unique_ptr<Stage> make_cooccur_stage() { return std::make_unique<CooccurStage>(); }

}  // namespace ensemble::pipeline
