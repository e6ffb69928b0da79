#include "catalog/import_finish.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace ensemble::catalog {

void finish_import(store::Store& store, std::optional<store::Transaction>& tx, bool strict,
                   const std::string& unit, std::chrono::steady_clock::time_point started,
                   std::size_t max_stats_problems, ImportReport& report) {
  store::RunOutcome outcome;
  if (strict && report.rejected > 0) {
    tx.reset();  // rolls back
    report.rolled_back = true;
    report.inserted = report.updated = 0;
    outcome.status = "failed";
    outcome.error = std::to_string(report.rejected) + " " + unit + " rejected; strict import rolled back";
  } else {
    store.media().sync();
    tx->commit();
    outcome.status = report.rejected > 0 ? "partial" : "ok";
    if (report.rejected > 0) outcome.error = std::to_string(report.rejected) + " " + unit + " rejected";
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  outcome.input_rows = report.seen;
  outcome.output_rows = report.inserted + report.updated;
  outcome.failed_rows = report.rejected;
  nlohmann::json stats = report.to_json();
  if (stats["problems"].size() > max_stats_problems) {
    const auto first = stats["problems"].begin();
    stats["problems"] = nlohmann::json(std::vector<nlohmann::json>(
        first, first + static_cast<std::ptrdiff_t>(max_stats_problems)));
    stats["problems_truncated"] = true;
  }
  outcome.stats_json = stats.dump();
  store.finish_run(report.run_id, outcome);
}

}  // namespace ensemble::catalog
