// `ensemble stats` and `ensemble runs` (lineage).
#include <cstdio>

#include "cli/cli_context.h"
#include "ensemble/store/schema.h"
#include "ensemble/util/error.h"

namespace ensemble::cli {


void add_stats_commands(CLI::App& app, CliContext& ctx) {
  auto* stats = app.add_subcommand("stats", "row counts per table, schema version, paths");
  static bool sjson = false;
  stats->add_flag("--json", sjson, "print as JSON");
  stats->callback([&ctx] {
    auto& s = ctx.store(true);
    const auto counts = s.table_counts();
    nlohmann::json j = {{"database", s.path().string()},
                        {"media", s.media().root().string()},
                        {"schema_version", store::schema_version(s.db())},
                        {"tables", counts}};
    if (sjson) {
      CliContext::print_json(j);
      return;
    }
    std::printf("database  %s (schema v%d)\nmedia     %s\n", s.path().c_str(),
                store::schema_version(s.db()), s.media().root().c_str());
    for (const auto& [t, n] : counts) std::printf("  %-16s %10lld\n", t.c_str(), static_cast<long long>(n));
  });

  auto* runs = app.add_subcommand("runs", "lineage: which run, stage, config and model made what");
  static int limit = 20;
  static std::int64_t id = 0;
  static bool rjson = false;
  runs->add_option("--limit", limit, "newest N runs")->capture_default_str();
  runs->add_option("--id", id, "one run in full, with its effective config");
  runs->add_flag("--json", rjson, "print as JSON");
  runs->callback([&ctx] {
    auto& s = ctx.store(true);
    if (id > 0) {
      const auto r = s.run(id);
      if (!r) throw Error(ErrorCode::kNotFound, "no run " + std::to_string(id));
      CliContext::print_json(r->to_json(true));
      return;
    }
    const auto list = s.runs(limit);
    if (rjson) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : list) arr.push_back(r.to_json(false));
      CliContext::print_json(arr);
      return;
    }
    std::printf("%5s %-17s %-8s %-24s %8s %8s %7s  %s\n", "id", "stage", "status", "started",
                "inputs", "outputs", "failed", "backend / config hash");
    for (const auto& r : list) {
      std::printf("%5lld %-17s %-8s %-24s %8lld %8lld %7lld  %s %s\n", static_cast<long long>(r.id),
                  r.stage.c_str(), r.status.c_str(), r.started_at.c_str(),
                  static_cast<long long>(r.input_rows), static_cast<long long>(r.output_rows),
                  static_cast<long long>(r.failed_rows), r.backend.c_str(),
                  r.config_hash.substr(0, 12).c_str());
    }
  });
}

}  // namespace ensemble::cli
