// Runs stages in order against one store, recording each execution in the runs table (lineage:
// stage, status, timings, effective config and its hash, backend and model ids, row counts).
//
// Holds the RunLock for the whole run: a second `ensemble run` on the same database is refused.
// Runs left 'running' by a killed process are marked failed first; their stages resume because
// completed units were committed. A stage that throws is recorded 'failed' and stops the run; a
// stage with per-input failures is 'partial' and the run continues.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/config/config.h"
#include "ensemble/pipeline/stage.h"
#include "ensemble/store/store.h"

namespace ensemble::pipeline {

struct StageReport {
  std::string stage;
  std::string status;  // ok | partial | failed | unavailable (not in this build)
  std::int64_t run_id = 0;
  double seconds = 0;
  StageResult result;
  std::string error;
};

struct PipelineReport {
  std::vector<StageReport> stages;
  double seconds = 0;
  bool ok() const;  // no stage failed or partial
  nlohmann::json to_json() const;
};

struct PipelineOptions {
  std::vector<std::string> stages;  // empty: config pipeline.stages
  bool quiet = false;
  // Default (empty): make_stage. Tests and embedders may supply their own stages.
  std::function<std::unique_ptr<Stage>(const std::string&)> factory;
};

PipelineReport run_pipeline(store::Store& store, const config::Config& config,
                            const PipelineOptions& options);

}  // namespace ensemble::pipeline
