// `ensemble catalog import` and `ensemble lookbooks import`.
#include <cstdio>

#include "cli/cli_context.h"
#include "ensemble/catalog/catalog_import.h"
#include "ensemble/catalog/lookbook_import.h"

namespace ensemble::cli {

namespace {

void print_report(const char* what, const catalog::ImportReport& r, bool json) {
  if (json) {
    CliContext::print_json(r.to_json());
  } else {
    std::printf("%s: %lld read, %lld inserted, %lld updated, %lld unchanged, %lld rejected "
                "(%.1f s, run %lld)%s\n",
                what, static_cast<long long>(r.seen), static_cast<long long>(r.inserted),
                static_cast<long long>(r.updated), static_cast<long long>(r.unchanged),
                static_cast<long long>(r.rejected), r.seconds, static_cast<long long>(r.run_id),
                r.rolled_back ? " -- strict: rolled back, nothing written" : "");
    const size_t shown = std::min<size_t>(r.problems.size(), 50);
    for (size_t i = 0; i < shown; ++i) {
      const auto& p = r.problems[i];
      if (p.line > 0) {
        std::fprintf(stderr, "  %s:%lld: %s%s%s\n", p.file.c_str(), static_cast<long long>(p.line),
                     p.id.empty() ? "" : ("[" + p.id + "] ").c_str(), "", p.message.c_str());
      } else {
        std::fprintf(stderr, "  %s: %s\n", p.file.c_str(), p.message.c_str());
      }
    }
    // problems_dropped: beyond the kMaxProblems the report keeps (counted, not stored).
    const long long more = static_cast<long long>(r.problems.size() - shown) + r.problems_dropped;
    if (more > 0) {
      std::fprintf(stderr, "  ... and %lld more (see `ensemble runs --id %lld`)\n", more,
                   static_cast<long long>(r.run_id));
    }
  }
  if (!r.ok()) pending_exit_code() = 2;
}

}  // namespace

void add_import_commands(CLI::App& app, CliContext& ctx) {
  auto* catalog_cmd = app.add_subcommand("catalog", "manage the product catalog");
  catalog_cmd->require_subcommand(1);
  auto* cimp = catalog_cmd->add_subcommand(
      "import", "import products from a CSV (id,title,category,image + attribute columns)");
  static std::string csv, images_root;
  static bool cstrict = false, cjson = false;
  cimp->add_option("FILE", csv, "catalog CSV (UTF-8, RFC 4180, header row)")->required();
  cimp->add_option("--images-root", images_root,
                   "folder image paths are relative to (default: the CSV's folder)");
  cimp->add_flag("--strict", cstrict, "all-or-nothing: any rejected row rolls the import back");
  cimp->add_flag("--json", cjson, "print the report as JSON");
  cimp->callback([&ctx] {
    catalog::CatalogImportOptions o;
    o.images_root = images_root;
    o.strict = cstrict;
    o.quiet = ctx.global.quiet;
    o.limits = catalog::limits_from_config(ctx.config());
    const auto r = catalog::import_catalog(ctx.store(), csv, o, ctx.config());
    print_report("catalog import", r, cjson);
  });

  auto* lb_cmd = app.add_subcommand("lookbooks", "manage inspiration photos");
  lb_cmd->require_subcommand(1);
  auto* limp = lb_cmd->add_subcommand("import", "import lookbook images (jpg, png, webp)");
  static std::vector<std::string> inputs;
  static std::string id;
  static bool lstrict = false, ljson = false;
  limp->add_option("PATH", inputs, "image files or folders (scanned recursively)")->required();
  limp->add_option("--id", id, "lookbook id for a single file (default: the file name stem)");
  limp->add_flag("--strict", lstrict, "all-or-nothing");
  limp->add_flag("--json", ljson, "print the report as JSON");
  limp->callback([&ctx] {
    catalog::LookbookImportOptions o;
    if (!id.empty()) o.id = id;
    o.strict = lstrict;
    o.quiet = ctx.global.quiet;
    o.limits = catalog::limits_from_config(ctx.config());
    std::vector<std::filesystem::path> paths(inputs.begin(), inputs.end());
    const auto r = catalog::import_lookbooks(ctx.store(), paths, o, ctx.config());
    print_report("lookbooks import", r, ljson);
  });
}

}  // namespace ensemble::cli
