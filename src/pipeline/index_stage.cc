// The `index` stage: keeps the products' vector index for search (index.backend, beside the
// database) in step with the product embeddings of the current model — nothing when its content
// hash matches, an incremental add/remove when the stored index has the same model and backend,
// else a rebuild (search::sync_product_index). Search, the server and `complete --image` read this
// file; the match stage does not need it (it scores regions × products exactly), so building the
// graph is this stage's cost alone and shows as its own row in lineage and benchmarks.
#include <memory>
#include <nlohmann/json.hpp>

#include "ensemble/pipeline/stage.h"
#include "ensemble/search/product_index.h"
#include "pipeline/stage_util.h"
#include "pipeline/stages.h"

namespace ensemble::pipeline {

namespace {

class IndexStage : public Stage {
 public:
  std::string name() const override { return "index"; }
  std::string backend(const config::Config& c) const override { return c.get_string("index.backend"); }
  std::string model_id() const override { return model_; }

  StageResult run(StageContext& ctx) override {
    StageResult result;
    model_ = current_product_model(ctx.store.db());
    if (model_.empty()) {
      result.stats["note"] = "no product embeddings yet: run the embed stage";
      return result;
    }
    search::IndexSyncReport sync;
    search::sync_product_index(ctx.store, ctx.config, model_, ctx.run_id, &sync);
    result.input_rows = sync.size;
    result.output_rows = sync.action == "built" ? sync.size : sync.added;
    result.skipped_rows = sync.action == "unchanged" ? sync.size : 0;
    result.stats = {{"action", sync.action}, {"added", sync.added},     {"removed", sync.removed},
                    {"size", sync.size},     {"seconds", sync.seconds}, {"model", model_}};
    return result;
  }

 private:
  std::string model_;
};

}  // namespace

std::unique_ptr<Stage> make_index_stage() { return std::make_unique<IndexStage>(); }

}  // namespace ensemble::pipeline
