#include "cli/cli_context.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace ensemble::cli {

namespace fs = std::filesystem;

int& pending_exit_code() {
  static int code = 0;
  return code;
}

fs::path CliContext::db_path() const {
  if (!global.db.empty()) return global.db;
  if (const char* env = std::getenv("ENSEMBLE_DB"); env != nullptr && *env != '\0') return env;
  return "ensemble.db";
}

const config::Config& CliContext::config() {
  if (!config_) {
    config::Config c;
    fs::path file = global.config_file;
    if (file.empty() && fs::exists("ensemble.toml")) file = "ensemble.toml";
    if (!file.empty()) c = config::Config::from_file(file);
    for (const auto& o : global.overrides) c.set_override(o);
    config_ = std::make_unique<config::Config>(std::move(c));
  }
  return *config_;
}

store::Store& CliContext::store(bool must_exist) {
  if (!store_) {
    store::Store::Options o;
    o.create = !must_exist;
    store_ = store::Store::open(db_path(), o);
  }
  return *store_;
}

void CliContext::print_json(const nlohmann::json& j) {
  std::cout << j.dump(isatty(STDOUT_FILENO) ? 2 : -1) << "\n";
}

}  // namespace ensemble::cli
