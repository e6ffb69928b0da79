// `ensemble export TABLE --format csv|jsonl [--out FILE]`
#include <fstream>
#include <iostream>

#include "cli/cli_context.h"
#include "ensemble/store/exporter.h"
#include "ensemble/util/error.h"

namespace ensemble::cli {

void add_export_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("export", "write a table as CSV or JSON Lines");
  static std::string table, format = "csv", out;
  cmd->add_option("TABLE", table, "products, lookbooks, regions, embeddings, matches, pairs, "
                                  "recommendations, feedback, runs, stage_items")
      ->required();
  cmd->add_option("--format", format, "csv or jsonl")->capture_default_str();
  cmd->add_option("--out", out, "output file (default: standard output)");
  cmd->callback([&ctx] {
    auto& s = ctx.store(true);
    if (out.empty()) {
      store::export_table(s, table, format, std::cout);
      return;
    }
    std::ofstream f(out, std::ios::binary);
    if (!f) throw Error(ErrorCode::kIo, "cannot write " + out);
    const auto n = store::export_table(s, table, format, f);
    f.close();
    if (!f) throw Error(ErrorCode::kIo, "write failed: " + out);
    std::fprintf(stderr, "exported %lld rows to %s\n", static_cast<long long>(n), out.c_str());
  });
}

}  // namespace ensemble::cli
