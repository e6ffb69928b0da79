// `ensemble run [--stage NAME]...`
#include <cstdio>
#include <fstream>

#include "cli/cli_context.h"
#include "ensemble/pipeline/pipeline.h"
#include "ensemble/util/fs.h"

namespace ensemble::cli {

void add_run_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "run", "run the pipeline stages (segment, embed, index, match, cooccur, recommend): incremental "
             "and resumable, each recorded in lineage");
  static std::vector<std::string> stages;
  static std::string report_path;
  static bool json = false;
  cmd->add_option("--stage", stages, "run only these stages (repeatable); default: pipeline.stages");
  cmd->add_option("--report", report_path, "also write the run report as JSON to this file");
  cmd->add_flag("--json", json, "print the report as JSON");
  cmd->callback([&ctx] {
    pipeline::PipelineOptions o;
    o.stages = stages;
    o.quiet = ctx.global.quiet;
    const auto report = pipeline::run_pipeline(ctx.store(true), ctx.config(), o);
    const nlohmann::json j = report.to_json();
    if (!report_path.empty()) write_file_atomic(report_path, j.dump(2) + "\n");
    if (json) {
      CliContext::print_json(j);
    } else {
      std::printf("%-10s %-11s %8s %8s %8s %8s %9s\n", "stage", "status", "inputs", "skipped",
                  "outputs", "failed", "seconds");
      for (const auto& s : report.stages) {
        if (s.status == "unavailable") {
          std::printf("%-10s %-11s (not in this build yet)\n", s.stage.c_str(), s.status.c_str());
          continue;
        }
        std::printf("%-10s %-11s %8lld %8lld %8lld %8lld %9.2f\n", s.stage.c_str(),
                    s.status.c_str(), static_cast<long long>(s.result.input_rows),
                    static_cast<long long>(s.result.skipped_rows),
                    static_cast<long long>(s.result.output_rows),
                    static_cast<long long>(s.result.failed_rows), s.seconds);
        if (!s.error.empty()) std::fprintf(stderr, "  %s: %s\n", s.stage.c_str(), s.error.c_str());
        for (const auto& p : s.result.problems) std::fprintf(stderr, "    %s\n", p.c_str());
      }
      std::printf("total %.2f s\n", report.seconds);
    }
    if (!report.ok()) pending_exit_code() = 2;
  });
}

}  // namespace ensemble::cli
