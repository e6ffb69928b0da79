// The common end of both importers: commit (after making new media files durable) or, for a strict
// import with problems, roll back; then close the import's run in lineage.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "ensemble/catalog/import_report.h"
#include "ensemble/store/store.h"

namespace ensemble::catalog {

// unit names what was rejected in messages ("row(s)", "file(s)"). The run's stats keep at most
// max_stats_problems problems (marked problems_truncated); the report keeps them all.
void finish_import(store::Store& store, std::optional<store::Transaction>& tx, bool strict,
                   const std::string& unit, std::chrono::steady_clock::time_point started,
                   std::size_t max_stats_problems, ImportReport& report);

}  // namespace ensemble::catalog
