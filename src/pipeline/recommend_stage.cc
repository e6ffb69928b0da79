// The `recommend` stage: pairs + visual neighbours + learnt attribute affinity + feedback +
// merchandiser rules -> a ranked list per product (recommendations table); the work is
// recommend::run_recommend. Whole-table: it reruns when the pairs, slot table, product vectors,
// products, feedback or settings change (its fingerprint), else it is skipped. Within a run only
// the lists whose inputs changed are recomputed (recommend::run_recommend).
#include <memory>
#include <nlohmann/json.hpp>

#include "ensemble/pipeline/stage.h"
#include "ensemble/recommend/batch.h"
#include "ensemble/recommend/queries.h"
#include "ensemble/store/product_model.h"
#include "pipeline/stage_util.h"
#include "pipeline/stages.h"

namespace ensemble::pipeline {

namespace {

std::string digest(store::Database& db, const std::string& sql, const std::string& bind = "") {
  auto st = db.prepare(sql);
  if (!bind.empty()) st.bind(1, bind);
  st.step();
  std::string d;
  for (int c = 0; c < st.column_count(); ++c) d += st.column_text(c) + "|";
  return d;
}

class RecommendStage : public Stage {
 public:
  std::string name() const override { return "recommend"; }
  std::string backend(const config::Config& c) const override {
    return c.get_string("cooccur.scoring") == "reference" ? "reference" : "ensemble";
  }
  std::string model_id() const override { return model_id_; }

  StageResult run(StageContext& ctx) override {
    StageResult result;
    auto& db = ctx.store.db();
    const std::string scoring = ctx.config.get_string("cooccur.scoring");
    const std::string fp = fingerprint(
        {digest(db, "SELECT count(*), coalesce(max(run_id), 0), coalesce(sum(score), 0) FROM pairs"
                    " WHERE scoring = ?", scoring),
         digest(db, "SELECT count(*), coalesce(max(run_id), 0) FROM slot_stats"),
         // Product vectors as the index stage sees them, without reading them (the rows hold 2 KB
         // vectors: max(run_id) scanned 90 MB at reference scale).
         store::product_vectors_stamp(db),
         digest(db, "SELECT count(*), coalesce(max(updated_at), '') FROM products"),
         digest(db, "SELECT count(*), coalesce(max(id), 0) FROM feedback"),
         ctx.config.section_json("recommend").dump(), ctx.config.section_json("cooccur").dump()});
    const auto state = item_state(db, "recommend", recommend::kRecommendStateItem);
    if (state && state->status == "ok" && state->fingerprint == fp) {
      auto st = db.prepare("SELECT count(*) FROM products");
      st.step();
      result.input_rows = result.skipped_rows = st.column_int(0);
      return result;
    }
    const recommend::BatchReport report =
        recommend::run_recommend(db, ctx.config, ctx.run_id, worker_threads(ctx.config));
    set_item_state(db, "recommend", recommend::kRecommendStateItem, fp, "ok", "", ctx.run_id);
    model_id_ = report.stats.value("vectors_model", "");
    result.input_rows = report.input_rows;
    result.output_rows = report.output_rows;
    result.stats = report.stats;
    return result;
  }

 private:
  std::string model_id_;
};

}  // namespace

std::unique_ptr<Stage> make_recommend_stage() { return std::make_unique<RecommendStage>(); }

}  // namespace ensemble::pipeline
