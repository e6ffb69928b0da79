// Shared state of the `ensemble` command line: global options, config loading, output helpers.
// The CLI is a thin face: it parses argv, calls the library, formats results and maps
// ensemble::Error to exit codes (0 ok, 1 usage, 2 bad input, 3 internal).
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/config/config.h"
#include "ensemble/store/store.h"

namespace ensemble::cli {

struct GlobalOptions {
  std::string db;              // --db, ENSEMBLE_DB, default ./ensemble.db
  std::string config_file;     // --config, default ./ensemble.toml when it exists
  std::vector<std::string> overrides;  // --set key=value
  bool quiet = false;
  bool json = false;
};

class CliContext {
 public:
  GlobalOptions global;

  std::filesystem::path db_path() const;
  // The effective config: defaults, then the config file, then --set overrides.
  const config::Config& config();
  // Opens the store (creating it unless must_exist).
  store::Store& store(bool must_exist = false);
  // Prints JSON to stdout (pretty when a terminal).
  static void print_json(const nlohmann::json& j);

 private:
  std::unique_ptr<config::Config> config_;
  std::unique_ptr<store::Store> store_;
};

// Each command registers itself on the app; the callback runs the command and throws on error.
void add_init_command(CLI::App& app, CliContext& ctx);
void add_sample_command(CLI::App& app, CliContext& ctx);
void add_import_commands(CLI::App& app, CliContext& ctx);
void add_run_command(CLI::App& app, CliContext& ctx);
void add_stats_commands(CLI::App& app, CliContext& ctx);
void add_export_command(CLI::App& app, CliContext& ctx);
void add_recommend_commands(CLI::App& app, CliContext& ctx);
void add_segment_commands(CLI::App& app, CliContext& ctx);
void add_search_command(CLI::App& app, CliContext& ctx);
void add_serve_command(CLI::App& app, CliContext& ctx);

// Exit status a command wants (set by commands that succeed with problems, e.g. rejected rows).
int& pending_exit_code();

}  // namespace ensemble::cli
