// `ensemble init` and `ensemble sample`.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/cli_context.h"
#include "ensemble/sample/sample_generator.h"
#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"
#include "ensemble/util/progress.h"

namespace ensemble::cli {

namespace fs = std::filesystem;

void add_init_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("init", "write a commented default pipeline config (ensemble.toml)");
  static std::string out = "ensemble.toml";
  static bool force = false;
  cmd->add_option("--out", out, "where to write it")->capture_default_str();
  cmd->add_flag("--force", force, "overwrite an existing file");
  cmd->callback([&ctx] {
    (void)ctx;
    if (fs::exists(out) && !force) {
      throw Error(ErrorCode::kConflict, out + " already exists (use --force to overwrite)");
    }
    write_file_atomic(out, config::default_config_toml());
    std::printf("wrote %s\n", out.c_str());
  });
}

void add_sample_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "sample", "generate the built-in sample: catalog CSV + product images from Fashion-MNIST, "
                "styled lookbooks, ground truth");
  static std::string out;
  static int products = -1;
  static int lookbooks = -1;
  static std::uint64_t seed = 42;
  static bool small = false;
  static bool json = false;
  cmd->add_option("--out", out, "output folder")->required();
  cmd->add_option("--products", products, "catalog size (default 44000; --small: a few hundred)");
  cmd->add_option("--lookbooks", lookbooks, "lookbook photos (default 100)");
  cmd->add_option("--seed", seed, "random seed (same seed, same files)")->capture_default_str();
  cmd->add_flag("--small", small, "the small preset used by tests (seconds)");
  cmd->add_flag("--json", json, "print the summary as JSON");
  cmd->callback([&ctx] {
    sample::SampleOptions o = small ? sample::SampleOptions::small(out) : sample::SampleOptions{};
    o.out_dir = out;
    o.seed = seed;
    if (products >= 0) o.products = products;
    if (lookbooks >= 0) o.lookbooks = lookbooks;
    std::optional<Progress> progress;
    const auto s = sample::generate_sample(o, [&](std::uint64_t done, std::uint64_t total) {
      if (!progress) progress.emplace("sample", total, ctx.global.quiet);
      progress->update(done);
    });
    if (progress) progress->finish();
    if (json) {
      CliContext::print_json({{"products", s.products},
                              {"accessories", s.accessories},
                              {"lookbooks", s.lookbooks},
                              {"multi_outfit_lookbooks", s.multi_outfit_lookbooks},
                              {"outfits", s.outfits},
                              {"held_out_outfits", s.held_out_outfits},
                              {"catalog", s.catalog_csv.string()},
                              {"lookbook_dir", s.lookbook_dir.string()},
                              {"ground_truth", s.ground_truth.string()}});
      return;
    }
    std::printf("sample: %d products (%d accessories), %d lookbooks (%d with two outfits), "
                "%d outfits, %d held-out outfits\n  catalog      %s\n  lookbooks    %s\n"
                "  ground truth %s\n",
                s.products, s.accessories, s.lookbooks, s.multi_outfit_lookbooks, s.outfits,
                s.held_out_outfits, s.catalog_csv.c_str(), s.lookbook_dir.c_str(),
                s.ground_truth.c_str());
  });
}

}  // namespace ensemble::cli
