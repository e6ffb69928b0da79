// ensemble: the command-line face of libensemble. See docs/CLI.md.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "cli/cli_context.h"
#include "ensemble/util/error.h"
#include "ensemble/util/gemm.h"

int main(int argc, char** argv) {
  using ensemble::cli::CliContext;
  CliContext ctx;
  CLI::App app{"Ensemble: visual search and complete-the-look for fashion catalogs", "ensemble"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("ensemble ") + ENSEMBLE_VERSION);
  app.add_option("--db", ctx.global.db,
                 "database file (default: $ENSEMBLE_DB or ./ensemble.db); media lives beside it")
      ->envname("ENSEMBLE_DB");
  app.add_option("--config", ctx.global.config_file,
                 "pipeline config file (default: ./ensemble.toml when present)");
  app.add_option("--set", ctx.global.overrides, "override a config key: section.key=value")
      ->type_size(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("-q,--quiet", ctx.global.quiet, "no progress lines");
  app.footer(
      "Exit codes: 0 ok, 1 usage error, 2 bad input (rejected rows, missing or corrupt data,\n"
      "busy database), 3 internal error. Run `ensemble COMMAND --help` for a command's options.");

  // Validate the config (file and --set) and ENSEMBLE_BLAS before any command runs, whatever the
  // command (a bad ENSEMBLE_BLAS would otherwise surface deep inside the first matrix product).
  app.parse_complete_callback([&ctx] {
    ctx.config();
    ensemble::gemm::selected();
  });

  ensemble::cli::add_init_command(app, ctx);
  ensemble::cli::add_sample_command(app, ctx);
  ensemble::cli::add_import_commands(app, ctx);
  ensemble::cli::add_run_command(app, ctx);
  ensemble::cli::add_stats_commands(app, ctx);
  ensemble::cli::add_export_command(app, ctx);
  ensemble::cli::add_recommend_commands(app, ctx);
  ensemble::cli::add_segment_commands(app, ctx);
  ensemble::cli::add_search_command(app, ctx);
  ensemble::cli::add_serve_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  } catch (const ensemble::Error& e) {
    std::fprintf(stderr, "ensemble: error: %s\n", e.what());
    return ensemble::exit_code_for(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ensemble: internal error: %s\n", e.what());
    return 3;
  }
  return ensemble::cli::pending_exit_code();
}
