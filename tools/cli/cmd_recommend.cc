// `ensemble recommend`, `complete`, `slots` and `feedback`: queries over what the cooccur and
// recommend stages stored (docs/RECOMMEND.md).
#include <cstdio>
#include <string>

#include "cli/cli_context.h"
#include "ensemble/catalog/catalog_import.h"
#include "ensemble/image/image_loader.h"
#include "ensemble/look/photo_look.h"
#include "ensemble/recommend/feedback.h"
#include "ensemble/search/searcher.h"
#include "ensemble/recommend/queries.h"
#include "ensemble/util/error.h"

namespace ensemble::cli {

namespace {

void print_list(const nlohmann::json& j) {
  const auto& recs = j["recommendations"];
  if (recs.empty()) {
    std::printf("%s: no recommendations (%s)\n", j["product"].get<std::string>().c_str(),
                j.value("reason", "").c_str());
    return;
  }
  std::printf("%-4s %-10s %-10s %7s %7s  %s\n", "rank", "product", "slot", "score", "support",
              "reason");
  int rank = 0;
  for (const auto& r : recs) {
    std::printf("%-4d %-10s %-10s %7.3f %7d  %s\n", ++rank, r["product"].get<std::string>().c_str(),
                r["slot"].get<std::string>().c_str(), r["score"].get<double>(),
                r["support"].get<int>(), r["reason"].get<std::string>().c_str());
  }
}

// `complete --image`: segment the photo, match its regions, fill the missing slots from pairs.
void complete_image(CliContext& ctx, const std::string& path, bool json) {
  const cv::Mat img = image::load_image(path, catalog::limits_from_config(ctx.config()));
  auto& store = ctx.store(true);
  const search::Searcher searcher(store, ctx.config());
  const look::PhotoLook look(ctx.config(), searcher);
  const auto j = look.complete(store, img);
  if (json) {
    CliContext::print_json(j);
    return;
  }
  std::printf("%zu regions in %s (%dx%d)\n", j["regions"].size(), path.c_str(),
              j["image"]["width"].get<int>(), j["image"]["height"].get<int>());
  for (const auto& r : j["regions"]) {
    const auto& b = r["bbox"];
    std::printf("  region %-3d context %d  box %d,%d %dx%d  %-10s", r["id"].get<int>(),
                r["context"].get<int>(), b[0].get<int>(), b[1].get<int>(), b[2].get<int>(),
                b[3].get<int>(), r["slot"].get<std::string>().c_str());
    for (const auto& m : r["matches"]) {
      std::printf(" %s(%.2f)", m["product"].get<std::string>().c_str(), m["score"].get<double>());
    }
    std::printf("\n");
  }
  if (j.contains("reason")) std::printf("(%s)\n", j["reason"].get<std::string>().c_str());
  std::printf("outfit (slot plan: %s)\n", j["plan"].get<std::string>().c_str());
  for (const auto& item : j["outfit"]) {
    std::printf("  %-10s %-10s %-6s %7.3f  %s\n", item["slot"].get<std::string>().c_str(),
                item["product"].get<std::string>().c_str(),
                item["source"].get<std::string>().c_str(), item["score"].get<double>(),
                item["reason"].get<std::string>().c_str());
  }
  for (const auto& u : j["unfilled"]) {
    std::printf("  %-10s %-10s %-6s %7s  %s\n", u["slot"].get<std::string>().c_str(), "-", "", "",
                u["reason"].get<std::string>().c_str());
  }
}

}  // namespace

void add_recommend_commands(CLI::App& app, CliContext& ctx) {
  {
    auto* cmd = app.add_subcommand("recommend", "products that complete a product (stored lists + new feedback)");
    static std::string product;
    static int k = 10;
    static bool json = false;
    cmd->add_option("--product", product, "product id")->required();
    cmd->add_option("--k", k, "how many")->capture_default_str()->check(CLI::Range(1, 1000));
    cmd->add_flag("--json", json, "print as JSON");
    cmd->callback([&ctx] {
      const auto j = recommend::recommend_query(ctx.store(true), ctx.config(), product, k);
      if (json) {
        CliContext::print_json(j);
      } else {
        print_list(j);
      }
    });
  }
  {
    auto* cmd = app.add_subcommand("complete", "complete the look: one product per planned slot");
    static std::string product;
    static std::string image;
    static bool json = false;
    auto* p = cmd->add_option("--product", product, "seed product id");
    auto* i = cmd->add_option("--image", image,
                              "an inspiration photo: its items matched, missing slots filled");
    p->excludes(i);
    cmd->add_flag("--json", json, "print as JSON");
    cmd->callback([&ctx] {
      if (!image.empty()) {
        complete_image(ctx, image, json);
        return;
      }
      if (product.empty()) throw Error(ErrorCode::kInvalidArgument, "complete needs --product ID");
      const auto j = recommend::complete_query(ctx.store(true), ctx.config(), product);
      if (json) {
        CliContext::print_json(j);
        return;
      }
      std::printf("outfit for %s (slot plan: %s)\n", product.c_str(), j["plan"].get<std::string>().c_str());
      for (const auto& item : j["outfit"]) {
        std::printf("  %-10s %-10s %7.3f  %s\n", item["slot"].get<std::string>().c_str(),
                    item["product"].get<std::string>().c_str(), item["score"].get<double>(),
                    item["reason"].get<std::string>().c_str());
      }
      for (const auto& u : j["unfilled"]) {
        std::printf("  %-10s %-10s %7s  %s\n", u["slot"].get<std::string>().c_str(), "-", "",
                    u["reason"].get<std::string>().c_str());
      }
    });
  }
  {
    auto* cmd = app.add_subcommand("slots", "the slot table: which slots complete a seed slot, learnt from the lookbooks");
    static bool json = false;
    cmd->add_flag("--json", json, "print as JSON");
    cmd->callback([&ctx] {
      const auto j = recommend::slots_query(ctx.store(true), ctx.config());
      if (json) {
        CliContext::print_json(j);
        return;
      }
      if (j.contains("note")) std::printf("(%s)\n", j["note"].get<std::string>().c_str());
      std::printf("%-10s %-8s %8s  %s\n", "seed", "source", "support", "completions P(slot | seed)");
      for (const auto& s : j["slots"]) {
        std::string comps;
        for (const auto& c : s["completions"]) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%s%s %.2f", comps.empty() ? "" : ", ",
                        c["slot"].get<std::string>().c_str(), c["probability"].get<double>());
          comps += buf;
        }
        std::printf("%-10s %-8s %8.1f  %s\n", s["seed"].get<std::string>().c_str(),
                    s["source"].get<std::string>().c_str(), s["support"].get<double>(), comps.c_str());
      }
    });
  }
  {
    auto* cmd = app.add_subcommand("feedback", "thumbs up or down on a recommended pair");
    static std::string product, other, vote, user, note;
    cmd->add_option("--product", product, "product id")->required();
    cmd->add_option("--other", other, "the recommended product id")->required();
    cmd->add_option("--vote", vote, "up or down")->required()->check(CLI::IsMember({"up", "down"}));
    cmd->add_option("--user", user, "who votes (a later vote of the same user replaces theirs)");
    cmd->add_option("--note", note, "free text");
    cmd->callback([&ctx] {
      recommend::FeedbackInput in;
      in.product = product;
      in.other = other;
      in.vote = vote == "up" ? 1 : -1;
      in.user = user;
      in.note = note;
      const auto id = recommend::record_feedback(ctx.store(true).db(), in);
      if (ctx.global.json) {
        CliContext::print_json({{"id", id}});
      } else if (!ctx.global.quiet) {
        std::printf("feedback %lld recorded: %s %s %s\n", static_cast<long long>(id), product.c_str(),
                    vote == "up" ? "+" : "-", other.c_str());
      }
    });
  }
}

}  // namespace ensemble::cli
