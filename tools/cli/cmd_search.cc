// `ensemble search --image FILE | --product ID | --text "..." [--k 10] [--category C] [--json]`
#include <cstdio>

#include "cli/cli_context.h"
#include "ensemble/catalog/catalog_import.h"
#include "ensemble/image/image_loader.h"
#include "ensemble/search/searcher.h"
#include "ensemble/search/text_query.h"
#include "ensemble/util/error.h"

namespace ensemble::cli {

void add_search_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "search", "visual search (a photo, or more like a product) and text search over the catalog");
  static std::string image_path, product, text, category;
  static int k = 10;
  static bool json = false;
  cmd->add_option("--image", image_path, "a photo: find the most similar products");
  cmd->add_option("--product", product, "a product id: more like this");
  cmd->add_option("--text", text,
                  "words matched against titles, categories and attributes (alone, or filtering an "
                  "image/product search)");
  cmd->add_option("--category", category, "only products of this category");
  cmd->add_option("--k", k, "number of results (1-1000)")->capture_default_str();
  cmd->add_flag("--json", json, "print {\"results\":[...]} as JSON");
  cmd->callback([&ctx] {
    if (image_path.empty() && product.empty() && text.empty()) {
      throw Error(ErrorCode::kInvalidArgument, "give --image FILE, --product ID or --text WORDS");
    }
    if (!image_path.empty() && !product.empty()) {
      throw Error(ErrorCode::kInvalidArgument, "give either --image or --product, not both");
    }
    search::check_k(k);
    auto& store = ctx.store(true);
    search::SearchOptions o;
    o.k = k;
    if (!category.empty()) o.category = category;
    std::vector<search::SearchHit> hits;
    if (image_path.empty() && product.empty()) {
      hits = search::search_text(store, ctx.config(), text, o);
    } else {
      if (!text.empty()) o.text = text;
      search::Searcher searcher(store, ctx.config());
      if (!image_path.empty()) {
        const cv::Mat img =
            image::load_image(image_path, catalog::limits_from_config(ctx.config()));
        hits = searcher.by_image(img, o);
      } else {
        hits = searcher.by_product(product, o);
      }
    }
    if (json) {
      CliContext::print_json(search::to_json(hits));
      return;
    }
    if (hits.empty()) std::printf("no results\n");
    for (size_t i = 0; i < hits.size(); ++i) {
      std::printf("%3zu  %-10s %.3f  %-14s %s\n", i + 1, hits[i].product.c_str(), hits[i].score,
                  hits[i].category.c_str(), hits[i].title.c_str());
    }
  });
}

}  // namespace ensemble::cli
