// A pipeline stage: reads its inputs from the store, writes its outputs to the store, and reports
// counts for lineage. Stages meet only through the store and the backend interfaces, never through
// each other's internals.
//
// Contract for implementations:
//   - Incremental: process only inputs that are new or whose fingerprint (input content + the
//     stage's settings) changed since the last successful processing; skip the rest.
//   - Resumable: commit work in units (one lookbook, one batch) so a kill loses at most one unit,
//     and the next run continues where it stopped.
//   - Per-input failures (a corrupt image) are recorded (stage_items status 'failed') and counted
//     in failed_rows; the stage carries on. Only failures that make the whole stage meaningless
//     throw ensemble::Error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/config/config.h"
#include "ensemble/store/store.h"

namespace ensemble::pipeline {

struct StageContext {
  store::Store& store;
  const config::Config& config;
  std::int64_t run_id = 0;  // the runs row of this stage execution
  bool quiet = false;       // no progress lines
};

struct StageResult {
  std::int64_t input_rows = 0;    // inputs considered
  std::int64_t skipped_rows = 0;  // inputs already up to date
  std::int64_t output_rows = 0;   // rows written
  std::int64_t failed_rows = 0;   // inputs that failed (recorded, skipped)
  nlohmann::json stats = nlohmann::json::object();  // stage-specific figures for lineage
  std::vector<std::string> problems;                // one line per failed input (first few)
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string name() const = 0;
  // The factory string of the backend this stage will use under `config` (for lineage).
  virtual std::string backend(const config::Config& config) const = 0;
  // The model/projection id that produced the rows (for lineage); may be resolved during run().
  virtual std::string model_id() const { return ""; }
  virtual StageResult run(StageContext& context) = 0;
};

// All stage names, in pipeline order.
const std::vector<std::string>& stage_names();

// Creates a stage by name. Returns nullptr for a known stage that this build does not provide yet;
// throws Error(kInvalidArgument) for an unknown name.
std::unique_ptr<Stage> make_stage(const std::string& name);

// Registration hook used by stage implementations (see stage_registry.cc).
using StageFactory = std::function<std::unique_ptr<Stage>()>;

}  // namespace ensemble::pipeline
