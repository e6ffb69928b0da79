#include "ensemble/pipeline/pipeline.h"

#include <chrono>

#include "ensemble/util/error.h"
#include "ensemble/util/fault.h"

namespace ensemble::pipeline {

bool PipelineReport::ok() const {
  for (const auto& s : stages) {
    if (s.status == "failed" || s.status == "partial") return false;
  }
  return true;
}

nlohmann::json PipelineReport::to_json() const {
  nlohmann::json out = {{"seconds", seconds}, {"ok", ok()}, {"stages", nlohmann::json::array()}};
  for (const auto& s : stages) {
    out["stages"].push_back({{"stage", s.stage},
                             {"status", s.status},
                             {"run_id", s.run_id},
                             {"seconds", s.seconds},
                             {"input_rows", s.result.input_rows},
                             {"skipped_rows", s.result.skipped_rows},
                             {"output_rows", s.result.output_rows},
                             {"failed_rows", s.result.failed_rows},
                             {"stats", s.result.stats},
                             {"problems", s.result.problems},
                             {"error", s.error}});
  }
  return out;
}

PipelineReport run_pipeline(store::Store& store, const config::Config& config,
                            const PipelineOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> names = options.stages.empty() ? config.get_list("pipeline.stages")
                                                          : options.stages;
  // Validate every name before doing anything.
  std::vector<std::unique_ptr<Stage>> stages;
  for (const auto& n : names) {
    stages.push_back(options.factory ? options.factory(n) : make_stage(n));
  }

  store::RunLock lock = store::RunLock::acquire(store.path());
  store.mark_interrupted_runs();
  // What a stage leaves in the connection's ReadCache for a later stage (the match stage's product
  // vectors, the cooccur stage's catalog) lives for this run only: between runs, other writers may
  // change the store in ways the entries' keys are not made to see.
  struct ClearReadCache {
    store::Database& db;
    explicit ClearReadCache(store::Database& d) : db(d) { db.read_cache().clear(); }
    ~ClearReadCache() { db.read_cache().clear(); }
  } clear_read_cache(store.db());

  PipelineReport report;
  for (size_t i = 0; i < names.size(); ++i) {
    StageReport sr;
    sr.stage = names[i];
    Stage* stage = stages[i].get();
    if (stage == nullptr) {
      sr.status = "unavailable";
      report.stages.push_back(sr);
      continue;
    }
    const auto s0 = std::chrono::steady_clock::now();
    const fault::Scope fault_scope(sr.stage);  // crash-safety tests count kill points per stage
    nlohmann::json cfg = config.to_json();
    sr.run_id = store.begin_run(sr.stage, config.hash(), cfg.dump(), stage->backend(config));
    StageContext ctx{store, config, sr.run_id, options.quiet};
    store::RunOutcome outcome;
    try {
      sr.result = stage->run(ctx);
      sr.status = sr.result.failed_rows > 0 ? "partial" : "ok";
      if (sr.result.failed_rows > 0) {
        sr.error = std::to_string(sr.result.failed_rows) + " input(s) failed";
      }
    } catch (const Error& e) {
      sr.status = "failed";
      sr.error = e.what();
    } catch (const std::exception& e) {
      // A bug, not bad input: still recorded in lineage so the run row does not stay 'running'.
      sr.status = "failed";
      sr.error = std::string("internal error: ") + e.what();
    }
    sr.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    outcome.status = sr.status;
    outcome.input_rows = sr.result.input_rows;
    outcome.output_rows = sr.result.output_rows;
    outcome.failed_rows = sr.result.failed_rows;
    nlohmann::json stats = sr.result.stats;
    stats["skipped_rows"] = sr.result.skipped_rows;
    stats["seconds"] = sr.seconds;
    if (!sr.result.problems.empty()) stats["problems"] = sr.result.problems;
    outcome.stats_json = stats.dump();
    outcome.error = sr.error;
    store.finish_run(sr.run_id, outcome);
    if (const std::string model = stage->model_id(); !model.empty()) {
      store.db().prepare("UPDATE runs SET model_id = ? WHERE id = ?").bind(1, model)
          .bind(2, sr.run_id).run();
    }
    report.stages.push_back(sr);
    if (sr.status == "failed") break;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace ensemble::pipeline
