// `ensemble segment --image FILE [--out overlay.png] [--json]` and
// `ensemble lookbooks-for --product ID [--k N] [--json]`.
#include <opencv2/imgcodecs.hpp>

#include <cstdio>

#include "cli/cli_context.h"
#include "ensemble/catalog/catalog_import.h"
#include "ensemble/image/image_loader.h"
#include "ensemble/search/lookbooks_for.h"
#include "ensemble/segment/overlay.h"
#include "ensemble/segment/segmenter.h"
#include "ensemble/util/error.h"
#include "pipeline/stages.h"

namespace ensemble::cli {

void add_segment_commands(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "segment", "segment one photo with the configured segmenter; draw masks and outfit contexts");
  static std::string image_path, out_path;
  static bool json = false, dropped = false;
  cmd->add_option("--image", image_path, "photo to segment")->required();
  cmd->add_option("--out", out_path, "write an overlay PNG (masks, boxes, context ids) here");
  cmd->add_flag("--show-dropped", dropped, "also draw regions the quality filters dropped");
  cmd->add_flag("--json", json, "print regions as JSON");
  cmd->callback([&ctx] {
    const cv::Mat img = image::load_image(image_path, catalog::limits_from_config(ctx.config()));
    const auto seg = pipeline::open_segmenter(ctx.config(), dropped);
    const auto result = seg->segment(img);
    if (!out_path.empty()) {
      segment::OverlayOptions o;
      o.show_dropped = dropped;
      const cv::Mat overlay = segment::render_overlay(img, result, o);
      if (!cv::imwrite(out_path, overlay)) throw Error(ErrorCode::kIo, "cannot write " + out_path);
    }
    if (json) {
      nlohmann::json regions = nlohmann::json::array();
      for (const auto& r : result.regions) {
        regions.push_back({{"bbox", {r.bbox.x, r.bbox.y, r.bbox.width, r.bbox.height}},
                           {"area", r.area},
                           {"confidence", r.predicted_iou},
                           {"stability", r.stability},
                           {"context", r.context},
                           {"kept", r.kept},
                           {"drop_reason", r.drop_reason}});
      }
      CliContext::print_json({{"segmenter", seg->id()},
                              {"size", {img.cols, img.rows}},
                              {"contexts", result.contexts},
                              {"filters", nlohmann::json::parse(result.stats.to_json())},
                              {"regions", regions}});
      return;
    }
    std::printf("%s: %d regions kept in %d outfit context(s) (segmenter %s)\n  filters %s\n",
                image_path.c_str(), result.kept_count(), result.contexts, seg->id().c_str(),
                result.stats.to_json().c_str());
    if (!out_path.empty()) std::printf("  overlay written to %s\n", out_path.c_str());
  });

  auto* lf = app.add_subcommand("lookbooks-for",
                                "where a product appears or fits: its best-matching lookbook regions");
  static std::string product;
  static int k = 10;
  static bool ljson = false;
  lf->add_option("--product", product, "product id")->required();
  lf->add_option("--k", k, "at most this many regions")->capture_default_str()->check(CLI::Range(1, 1000));
  lf->add_flag("--json", ljson, "print as JSON");
  lf->callback([&ctx] {
    nlohmann::json hits = nlohmann::json::array();
    for (const auto& h : search::lookbooks_for(ctx.store(true), product, k)) {
      hits.push_back(search::to_json(h));
    }
    if (ljson) {
      CliContext::print_json({{"product", product}, {"lookbooks", hits}});
      return;
    }
    if (hits.empty()) std::printf("%s: no lookbook regions matched (run the pipeline first?)\n", product.c_str());
    for (const auto& h : hits) {
      std::printf("%-12s region %-6lld context %lld  score %.3f  %s\n",
                  h["lookbook"].get<std::string>().c_str(), h["region"].get<long long>(),
                  h["context"].get<long long>(), h["score"].get<double>(),
                  h["region_category"].get<std::string>().c_str());
    }
  });
}

}  // namespace ensemble::cli
