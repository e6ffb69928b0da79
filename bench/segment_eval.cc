// eval_segment: the segmentation figures of issue 3, printed next to their targets.
//
//   eval_segment [--sample DIR] [--cc0 DIR] [--spec classic] [--config JSON] [--limit N]
//                [--cc0-limit N] [--timing N] [--overlays DIR] [--judge DIR] [--judge-n 30]
//
// --sample DIR  built-in sample data (ground_truth.json + lookbooks/, `ensemble sample`):
//               coverage: share of ground-truth items whose visible mask is matched by a kept region
//               with mask IoU >= 0.5 (target >= 95%); kept regions per image (target median 4..70);
//               outfit contexts on two-outfit lookbooks: same-outfit item pairs in one context
//               (target >= 95%) and cross-outfit pairs merged (target <= 10%), over items that are
//               matched by a region (IoU >= 0.5).
// --cc0 DIR     ../shared/data/clothing-cc0: share of photos whose largest kept region is not
//               background by a geometric proxy (touches <= 25% of the frame, >= 4% of the image);
//               the real figure is judged by eye on --judge-n photos written to --judge DIR
//               (judge.png: the largest kept region of each, numbered).
// --timing N    seconds per image on one core (cv::setNumThreads(1); thread CPU time, the wall time
//               beside it) for N lookbooks and N cc0
//               photos scaled to 1024 px on the longer side (target <= 1 s median and p95).
// --judge-only  (with --cc0 and --judge) segments only the photos of the judge sheet.
// --overlays D  writes an overlay PNG per sample lookbook (kept and dropped regions) to D, and one per
//               judged clothing-cc0 photo (cc0_N.png).
// --diagnose    (with --sample) where the missed items are lost: the filters are switched on one at a
//               time, in their order, on images scaled to classic_work_size (the masks are the same
//               as at full size before the final upscale); for each item the first filter after which
//               no region has IoU >= 0.5 with it, and the coverage after each filter.
// --oracle      (with --diagnose) the classic backend's score replaced by the truth: each hierarchy
//               node's item probability is its best IoU with a ground-truth item, so the table shows
//               how far these candidates and these filters go with a perfect score (a ceiling, not a
//               result); also prints the hierarchy pool: items that some node of some hierarchy, in
//               the area range, covers with IoU >= 0.5, prompted or not.
// Missing directories are skipped with a note.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ensemble/segment/overlay.h"
#include "ensemble/segment/region_filters.h"
#include "ensemble/segment/segmenter.h"
#include "ensemble/util/error.h"
#include "segment/classic_internal.h"

namespace fs = std::filesystem;
using namespace ensemble::segment;
namespace cl = ensemble::segment::classic;

namespace {

struct Args {
  fs::path sample, cc0, overlays, judge;
  std::string spec = "classic";
  std::string config = "{}";
  int limit = 1000000, cc0_limit = 1000000, timing = 0, judge_n = 30;
  fs::path misses, dump_nodes;
  bool diagnose = false, judge_only = false, oracle = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << k << "\n";
        std::exit(1);
      }
      return argv[++i];
    };
    if (k == "--sample") a.sample = val();
    else if (k == "--cc0") a.cc0 = val();
    else if (k == "--spec") a.spec = val();
    else if (k == "--config") a.config = val();
    else if (k == "--limit") a.limit = std::stoi(val());
    else if (k == "--cc0-limit") a.cc0_limit = std::stoi(val());
    else if (k == "--timing") a.timing = std::stoi(val());
    else if (k == "--overlays") a.overlays = val();
    else if (k == "--judge") a.judge = val();
    else if (k == "--judge-n") a.judge_n = std::stoi(val());
    else if (k == "--diagnose") a.diagnose = true;
    else if (k == "--misses") a.misses = val();
    else if (k == "--dump-nodes") a.dump_nodes = val();
    else if (k == "--judge-only") a.judge_only = true;
    else if (k == "--oracle") a.oracle = true;
    else {
      std::cerr << "unknown argument " << k << " (see the top of bench/segment_eval.cc)\n";
      std::exit(1);
    }
  }
  return a;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * (static_cast<double>(v.size()) - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// IoU of a region with a ground-truth mask, counting only inside the boxes' union.
double region_iou(const Region& r, const cv::Mat& gt, const cv::Rect& gt_box, std::int64_t gt_area) {
  const cv::Rect overlap = r.bbox & gt_box;
  if (overlap.empty()) return 0;
  const std::int64_t inter = cv::countNonZero(r.mask(overlap) & gt(overlap));
  const std::int64_t uni = r.area + gt_area - inter;
  return uni > 0 ? static_cast<double>(inter) / static_cast<double>(uni) : 0;
}

const char* verdict(bool ok) { return ok ? "MET" : "NOT MET"; }

struct Item {
  int outfit;
  std::string slot;
  std::string category;
  double visible;
  cv::Mat mask;
  cv::Rect box;
  std::int64_t area;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

cv::Mat to_long_side(const cv::Mat& img, int side) {
  const double s = static_cast<double>(side) / std::max(img.cols, img.rows);
  cv::Mat out;
  cv::resize(img, out, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

// Items of one lookbook with their visible masks at `size` (rasterised at the image size, then
// scaled with area interpolation and thresholded at half).
std::vector<Item> load_items(const nlohmann::json& lb, cv::Size image_size, cv::Size size) {
  std::vector<Item> items;
  int outfit_index = 0;
  for (const auto& outfit : lb["outfits"]) {
    for (const auto& it : outfit["items"]) {
      Item item;
      item.outfit = outfit_index;
      item.slot = it.value("slot", std::string("?"));
      item.category = it.value("category", std::string("?"));
      item.visible = it.value("visible_fraction", 1.0);
      cv::Mat full = cv::Mat::zeros(image_size, CV_8UC1);
      std::vector<std::vector<cv::Point>> polys;
      for (const auto& poly : it["polygons"]) {
        std::vector<cv::Point> pts;
        for (const auto& p : poly) pts.emplace_back(p[0].get<int>(), p[1].get<int>());
        polys.push_back(std::move(pts));
      }
      if (!polys.empty()) cv::fillPoly(full, polys, cv::Scalar(255));
      if (size == image_size) {
        item.mask = full;
      } else {
        cv::Mat small;
        cv::resize(full, small, size, 0, 0, cv::INTER_AREA);
        item.mask = small > 127;
      }
      item.area = cv::countNonZero(item.mask);
      item.box = cv::boundingRect(item.mask);
      items.push_back(std::move(item));
    }
    ++outfit_index;
  }
  return items;
}

// Per node of `tree`, its IoU with each item (items at the size of the tree's labels): iou[node][item].
std::vector<std::vector<double>> node_item_ious(const RegionHierarchy& tree, const std::vector<Item>& items) {
  const auto& nodes = tree.nodes();
  const std::size_t ni = items.size();
  std::vector<std::vector<double>> inter(nodes.size(), std::vector<double>(ni, 0));
  const cv::Mat& labels = tree.labels();
  for (int y = 0; y < labels.rows; ++y) {
    for (int x = 0; x < labels.cols; ++x) {
      const int l = labels.at<int>(y, x);
      for (std::size_t k = 0; k < ni; ++k) inter[l][k] += items[k].mask.at<uchar>(y, x) ? 1 : 0;
    }
  }
  std::vector<std::vector<double>> iou(nodes.size(), std::vector<double>(ni, 0));
  for (std::size_t i = 0; i < nodes.size(); ++i) {  // children come before their parents
    const auto& nd = nodes[i];
    if (nd.left >= 0) {
      for (std::size_t k = 0; k < ni; ++k) inter[i][k] = inter[nd.left][k] + inter[nd.right][k];
    }
    for (std::size_t k = 0; k < ni; ++k) {
      const double u = static_cast<double>(nd.area + items[k].area) - inter[i][k];
      iou[i][k] = u > 0 ? inter[i][k] / u : 0.0;
    }
  }
  return iou;
}

void eval_sample(const Args& args, const Segmenter& seg, std::vector<fs::path>* timing_images) {
  const fs::path gt_path = args.sample / "ground_truth.json";
  if (!fs::exists(gt_path)) {
    std::cout << "sample: " << gt_path << " not found, skipped\n";
    return;
  }
  std::ifstream in(gt_path);
  const nlohmann::json gt = nlohmann::json::parse(in);
  if (!args.overlays.empty()) fs::create_directories(args.overlays);

  int items_total = 0, items_covered = 0, vis_total = 0, vis_covered = 0;
  std::map<std::string, std::pair<int, int>> by_slot;  // covered, total
  std::vector<double> regions_per_image, seconds;
  std::int64_t same_pairs = 0, same_together = 0, cross_pairs = 0, cross_merged = 0;
  std::int64_t pairs_unmatched = 0, single_pairs = 0, single_together = 0;
  int multi_images = 0, images = 0, no_region_images = 0;
  std::int64_t kept_total = 0, off_items = 0;
  std::vector<double> iou_of_covered;
  std::map<std::string, std::int64_t> step_totals;
  std::vector<std::string> step_order;
  std::vector<double> context_counts_multi, context_counts_single;

  for (const auto& lb : gt["lookbooks"]) {
    if (images >= args.limit) break;
    const fs::path image_path = args.sample / lb["image"].get<std::string>();
    const cv::Mat img = cv::imread(image_path.string(), cv::IMREAD_COLOR);
    if (img.empty()) {
      std::cout << "  cannot read " << image_path << ", skipped\n";
      continue;
    }
    ++images;
    if (timing_images) timing_images->push_back(image_path);
    const auto t0 = std::chrono::steady_clock::now();
    const SegmentationResult res = seg.segment(img);
    seconds.push_back(seconds_since(t0));
    const int kept = res.kept_count();
    regions_per_image.push_back(kept);
    if (kept == 0) ++no_region_images;
    for (const auto& s : res.stats.steps) {
      if (!step_totals.count(s.name)) step_order.push_back(s.name);
      step_totals[s.name] += s.kept;
    }
    step_totals["candidates"] += res.stats.candidates;

    const std::vector<Item> items = load_items(lb, img.size(), img.size());
    const bool multi = lb["outfits"].size() > 1;
    {
      cv::Mat any_item = cv::Mat::zeros(img.size(), CV_8UC1);
      for (const auto& item : items) any_item |= item.mask;
      for (const auto& r : res.regions) {
        if (!r.kept) continue;
        ++kept_total;
        const std::int64_t on = cv::countNonZero(r.mask(r.bbox) & any_item(r.bbox));
        off_items += static_cast<double>(on) <= 0.1 * static_cast<double>(r.area);
      }
    }
    multi_images += multi;
    (multi ? context_counts_multi : context_counts_single).push_back(res.contexts);

    std::vector<int> matched_context(items.size(), -1);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const Item& item = items[i];
      if (item.area == 0) continue;  // fully hidden: nothing to find
      double best = 0;
      int best_region = -1;
      for (std::size_t r = 0; r < res.regions.size(); ++r) {
        if (!res.regions[r].kept) continue;
        const double iou = region_iou(res.regions[r], item.mask, item.box, item.area);
        if (iou > best) {
          best = iou;
          best_region = static_cast<int>(r);
        }
      }
      const bool covered = best >= 0.5;
      ++items_total;
      items_covered += covered;
      if (item.visible >= 0.5) {
        ++vis_total;
        vis_covered += covered;
      }
      by_slot[item.slot].second += 1;
      by_slot[item.slot].first += covered;
      if (covered) {
        iou_of_covered.push_back(best);
        matched_context[i] = res.regions[static_cast<std::size_t>(best_region)].context;
      }
    }
    if (!multi) {
      for (std::size_t i = 0; i < items.size(); ++i) {
        for (std::size_t j = i + 1; j < items.size(); ++j) {
          if (matched_context[i] < 0 || matched_context[j] < 0) continue;
          ++single_pairs;
          single_together += matched_context[i] == matched_context[j];
        }
      }
    } else {
      for (std::size_t i = 0; i < items.size(); ++i) {
        for (std::size_t j = i + 1; j < items.size(); ++j) {
          if (items[i].area == 0 || items[j].area == 0) continue;
          if (matched_context[i] < 0 || matched_context[j] < 0) {
            ++pairs_unmatched;
            continue;
          }
          const bool together = matched_context[i] == matched_context[j];
          if (items[i].outfit == items[j].outfit) {
            ++same_pairs;
            same_together += together;
          } else {
            ++cross_pairs;
            cross_merged += together;
          }
        }
      }
    }
    if (!args.overlays.empty()) {
      OverlayOptions o;
      o.show_dropped = seg.config().keep_dropped;
      cv::imwrite((args.overlays / (lb["id"].get<std::string>() + ".png")).string(), render_overlay(img, res, o));
    }
  }

  std::printf("\n== Sample lookbooks (%s): %d images, %d with two outfits ==\n", args.sample.c_str(), images,
              multi_images);
  const double cov = items_total ? 100.0 * items_covered / items_total : 0;
  std::printf("items covered by a kept region, mask IoU >= 0.5: %d / %d = %.1f%%   target >= 95%%   %s\n",
              items_covered, items_total, cov, verdict(cov >= 95.0));
  std::printf("  items at least half visible:                     %d / %d = %.1f%%\n", vis_covered, vis_total,
              vis_total ? 100.0 * vis_covered / vis_total : 0);
  std::printf("  by slot:");
  for (const auto& [slot, ct] : by_slot) {
    std::printf("  %s %d/%d", slot.c_str(), ct.first, ct.second);
  }
  std::printf("\n  median IoU of covered items: %.3f\n", percentile(iou_of_covered, 0.5));
  const double med = percentile(regions_per_image, 0.5);
  std::printf("kept regions per image: min %.0f  p10 %.0f  p25 %.0f  median %.1f  p75 %.0f  p90 %.0f  max %.0f"
              "   target median 4..70   %s\n",
              percentile(regions_per_image, 0), percentile(regions_per_image, 0.1),
              percentile(regions_per_image, 0.25), med, percentile(regions_per_image, 0.75),
              percentile(regions_per_image, 0.9), percentile(regions_per_image, 1), verdict(med >= 4 && med <= 70));
  std::printf("  images with no kept region: %d; kept regions off the items (<= 10%% of their pixels on an item): %.1f%%\n",
              no_region_images, kept_total ? 100.0 * static_cast<double>(off_items) / static_cast<double>(kept_total) : 0.0);
  std::printf("filter steps (sum over images): candidates %lld", static_cast<long long>(step_totals["candidates"]));
  for (const auto& s : step_order) std::printf(" -> %s %lld", s.c_str(), static_cast<long long>(step_totals[s]));
  std::printf("\n");
  const double same = same_pairs ? 100.0 * same_together / same_pairs : 0;
  const double cross = cross_pairs ? 100.0 * cross_merged / cross_pairs : 0;
  std::printf("outfit contexts (two-outfit images, matched items):\n");
  std::printf("  same-outfit pairs in one context: %lld / %lld = %.1f%%   target >= 95%%   %s\n",
              static_cast<long long>(same_together), static_cast<long long>(same_pairs), same,
              verdict(same_pairs > 0 && same >= 95.0));
  std::printf("  cross-outfit pairs merged:        %lld / %lld = %.1f%%   target <= 10%%   %s\n",
              static_cast<long long>(cross_merged), static_cast<long long>(cross_pairs), cross,
              verdict(cross_pairs > 0 && cross <= 10.0));
  std::printf("  pairs skipped (an item unmatched): %lld\n", static_cast<long long>(pairs_unmatched));
  std::printf("  one-outfit images, item pairs in one context: %lld / %lld = %.1f%%\n",
              static_cast<long long>(single_together), static_cast<long long>(single_pairs),
              single_pairs ? 100.0 * static_cast<double>(single_together) / static_cast<double>(single_pairs) : 0.0);
  std::printf("  contexts per image: two-outfit median %.1f (min %.0f, max %.0f); one-outfit median %.1f (max %.0f)\n",
              percentile(context_counts_multi, 0.5), percentile(context_counts_multi, 0),
              percentile(context_counts_multi, 1), percentile(context_counts_single, 0.5),
              percentile(context_counts_single, 1));
  std::printf("seconds per image at native size (%dx%d typical), all threads: median %.3f  p95 %.3f\n",
              gt["lookbooks"].empty() ? 0 : gt["lookbooks"][0].value("width", 0),
              gt["lookbooks"].empty() ? 0 : gt["lookbooks"][0].value("height", 0), percentile(seconds, 0.5),
              percentile(seconds, 0.95));
}

void diagnose_sample(const Args& args, const SegmenterConfig& base) {
  const fs::path gt_path = args.sample / "ground_truth.json";
  if (!fs::exists(gt_path)) return;
  std::ifstream in(gt_path);
  const nlohmann::json gt = nlohmann::json::parse(in);
  // Cumulative configs: every filter but the predicted-IoU one open (the classic backend also uses
  // that threshold to choose its extra prompts), then each filter switched on in its order.
  std::vector<std::pair<std::string, SegmenterConfig>> stages;
  SegmenterConfig c = base;
  c.stability_score_thresh = 0.f;
  c.box_nms_thresh = 1.f;
  c.min_hole_area_frac = c.min_island_area_frac = 0.0;
  c.background_frame_frac = c.background_colour_match = 1.01;
  c.skin_max_frac = 1.01;
  c.min_thickness_frac = 0.0;
  c.containment_thresh = 1.01;
  c.max_regions = 10000;
  c.keep_dropped = false;
  stages.emplace_back("pred_iou", c);
  c.stability_score_thresh = base.stability_score_thresh;
  stages.emplace_back("stability", c);
  c.box_nms_thresh = base.box_nms_thresh;
  stages.emplace_back("nms", c);
  c.min_hole_area_frac = base.min_hole_area_frac;
  c.min_island_area_frac = base.min_island_area_frac;
  stages.emplace_back("small_regions", c);
  c.background_frame_frac = base.background_frame_frac;
  c.background_colour_match = base.background_colour_match;
  stages.emplace_back("background", c);
  c.skin_max_frac = base.skin_max_frac;
  stages.emplace_back("skin", c);
  c.min_thickness_frac = base.min_thickness_frac;
  stages.emplace_back("thin", c);
  c.containment_thresh = base.containment_thresh;
  c.containment_area_ratio = base.containment_area_ratio;
  stages.emplace_back("contained", c);
  c.max_regions = base.max_regions;
  stages.emplace_back("cap", c);
  std::vector<std::unique_ptr<Segmenter>> segs;
  for (const auto& [name, cfg] : stages) segs.push_back(make_segmenter(args.spec, cfg));

  const std::size_t ns = stages.size();
  std::vector<int> covered_after(ns, 0), lost_at(ns, 0);
  std::vector<double> regions_after(ns, 0);
  std::map<std::string, std::vector<int>> lost_by_slot;  // slot -> per stage
  int items_total = 0, never = 0, images = 0, in_pool = 0;
  std::vector<double> never_best;
  for (const auto& lb : gt["lookbooks"]) {
    if (images >= args.limit) break;
    const cv::Mat img = cv::imread((args.sample / lb["image"].get<std::string>()).string(), cv::IMREAD_COLOR);
    if (img.empty()) continue;
    ++images;
    const cv::Mat work = to_long_side(img, std::min(base.classic_work_size, std::max(img.cols, img.rows)));
    const std::vector<Item> items = load_items(lb, img.size(), work.size());
    std::vector<std::vector<double>> best(items.size(), std::vector<double>(ns, 0.0));
    std::vector<cv::Mat> best_pool_mask(items.size());
    // --oracle: every node scored by its best IoU with an item; pool[i]: item i's best candidate node.
    // The hierarchies depend on the work image alone, so each is scored once and reused by every
    // stage's config.
    std::vector<double> pool(items.size(), 0.0);
    const cl::CandidateAreas areas = cl::candidate_areas(base, static_cast<double>(work.total()));
    std::vector<std::vector<float>> oracle_scores(std::size(cl::kSuperpixelScales));
    const cl::NodeScoreOverride oracle = [&](int scale_index, const RegionHierarchy& tree) {
      std::vector<float>& p = oracle_scores.at(static_cast<std::size_t>(scale_index));
      if (!p.empty()) return p;
      const auto ious = node_item_ious(tree, items);
      p.assign(ious.size(), 0.f);
      for (std::size_t n = 0; n < ious.size(); ++n) {
        const bool candidate = areas.admit(tree, static_cast<int>(n));
        for (std::size_t i = 0; i < items.size(); ++i) {
          p[n] = std::max(p[n], static_cast<float>(ious[n][i]));
          if (candidate) pool[i] = std::max(pool[i], ious[n][i]);
        }
      }
      return p;
    };
    for (std::size_t s = 0; s < ns; ++s) {
      const SegmentationResult res =
          args.oracle ? cl::segment_classic(work, stages[s].second, &oracle) : segs[s]->segment(work);
      regions_after[s] += res.kept_count();
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].area == 0) continue;
        for (const auto& r : res.regions) {
          if (!r.kept) continue;
          const double iou = region_iou(r, items[i].mask, items[i].box, items[i].area);
          if (iou > best[i][s]) {
            best[i][s] = iou;
            if (s == 0) best_pool_mask[i] = r.mask;
          }
        }
      }
    }
    // --misses: a crop per item that no candidate covers (green: the item; red: its best candidate).
    if (!args.misses.empty()) {
      fs::create_directories(args.misses);
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].area == 0 || best[i][0] >= 0.5) continue;
        const cv::Rect b = items[i].box;
        const int pad = std::max(b.width, b.height) / 2 + 4;
        const cv::Rect crop = cv::Rect(b.x - pad, b.y - pad, b.width + 2 * pad, b.height + 2 * pad) &
                              cv::Rect(0, 0, work.cols, work.rows);
        const double up = 240.0 / std::max(crop.width, crop.height);
        auto scaled = [&](const cv::Mat& m, int interp) {
          cv::Mat out;
          cv::resize(m(crop), out, cv::Size(), up, up, interp);
          return out;
        };
        cv::Mat plain = scaled(work, cv::INTER_NEAREST), drawn = plain.clone();
        auto outline = [&](const cv::Mat& mask, cv::Scalar colour) {
          if (mask.empty()) return;
          std::vector<std::vector<cv::Point>> cs;
          cv::findContours(scaled(mask, cv::INTER_NEAREST), cs, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
          cv::drawContours(drawn, cs, -1, colour, 1);
        };
        outline(items[i].mask, cv::Scalar(0, 255, 0));
        outline(best_pool_mask[i], cv::Scalar(0, 0, 255));
        cv::Mat pair;
        cv::hconcat(plain, drawn, pair);
        char name[128];
        std::snprintf(name, sizeof name, "%s_%zu_%s_%.2f.png", lb["id"].get<std::string>().c_str(), i,
                      items[i].category.c_str(), best[i][0]);
        cv::imwrite((args.misses / name).string(), pair);
      }
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].area == 0) continue;
      ++items_total;
      in_pool += pool[i] >= 0.5;
      auto& slot = lost_by_slot[items[i].slot];
      slot.resize(ns + 1, 0);
      for (std::size_t s = 0; s < ns; ++s) covered_after[s] += best[i][s] >= 0.5;
      if (best[i][0] < 0.5) {
        ++never;
        never_best.push_back(best[i][0]);
        ++slot[ns];
        continue;
      }
      for (std::size_t s = 1; s < ns; ++s) {
        if (best[i][s] < 0.5) {
          ++lost_at[s];
          ++slot[s];
          break;
        }
      }
    }
  }
  std::printf("\n== Diagnosis%s (%d images at %d px, %d items) ==\n",
              args.oracle ? " with the oracle score (IoU with the truth; a ceiling)" : "", images,
              base.classic_work_size, items_total);
  if (args.oracle) {
    std::printf("hierarchy pool (some node of some hierarchy covers the item, prompted or not): %d / %d = %.1f%%\n",
                in_pool, items_total, items_total ? 100.0 * in_pool / items_total : 0.0);
  }
  std::printf("%-14s %10s %10s %14s\n", "after filter", "covered", "lost here", "regions/image");
  for (std::size_t s = 0; s < ns; ++s) {
    std::printf("%-14s %9.1f%% %10d %14.1f\n", stages[s].first.c_str(),
                items_total ? 100.0 * covered_after[s] / items_total : 0.0, s == 0 ? never : lost_at[s],
                images ? regions_after[s] / images : 0.0);
  }
  std::printf("  (lost at pred_iou = no candidate with IoU >= 0.5 at all; their best IoU: p25 %.2f median %.2f p75 %.2f)\n",
              percentile(never_best, 0.25), percentile(never_best, 0.5), percentile(never_best, 0.75));
  std::printf("  lost by slot (never");
  for (std::size_t s = 1; s < ns; ++s) std::printf(", %s", stages[s].first.c_str());
  std::printf("):\n");
  for (const auto& [slot, v] : lost_by_slot) {
    std::printf("    %-10s %d", slot.c_str(), v[ns]);
    for (std::size_t s = 1; s < ns; ++s) std::printf(" %d", v[s]);
    std::printf("\n");
  }
}

// --dump-nodes FILE: one CSV row per eligible hierarchy node of the sample lookbooks (the classic
// backend's candidates before scoring): the features of classic::node_features, the current score,
// and the node's IoU with the ground-truth item it best covers — the training data of the region
// quality model (scripts/fit_region_model.py).
void dump_nodes(const Args& args, const SegmenterConfig& config) {
  const nlohmann::json gt = nlohmann::json::parse(std::ifstream(args.sample / "ground_truth.json"));
  std::ofstream out(args.dump_nodes);
  out << std::setprecision(9);
  out << "image,tree,node";
  for (const char* name : cl::kNodeFeatureNames) out << ',' << name;
  out << ",score,iou\n";
  int images = 0;
  for (const auto& lb : gt["lookbooks"]) {
    if (images >= args.limit) break;
    const cv::Mat img = cv::imread((args.sample / lb["image"].get<std::string>()).string(), cv::IMREAD_COLOR);
    if (img.empty()) continue;
    const cv::Mat work = to_long_side(img, std::min(config.classic_work_size, std::max(img.cols, img.rows)));
    const std::vector<Item> items = load_items(lb, img.size(), work.size());
    const cl::Features features = cl::make_features(work);
    const std::vector<RegionHierarchy> trees = cl::build_hierarchies(features);
    const double pixels = static_cast<double>(work.total());
    const cl::CandidateAreas areas = cl::candidate_areas(config, pixels);
    const auto agreement = cl::consensus(trees, areas.min, areas.max);
    for (std::size_t t = 0; t < trees.size(); ++t) {
      const RegionHierarchy& tree = trees[t];
      const auto& nodes = tree.nodes();
      const auto ious = node_item_ious(tree, items);
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (!areas.admit(tree, static_cast<int>(i))) continue;
        double iou = 0;
        for (const double v : ious[i]) iou = std::max(iou, v);
        const float c = agreement[t][i];
        out << images << ',' << t << ',' << i;
        const auto f = cl::node_features(tree, static_cast<int>(i), pixels, static_cast<int>(t), c);
        for (float v : f) out << ',' << v;
        out << ',' << cl::region_quality(f) << ',' << iou << '\n';
      }
    }
    ++images;
  }
  std::printf("dumped the hierarchy nodes of %d lookbooks to %s\n", images, args.dump_nodes.c_str());
}

void eval_cc0(const Args& args, const Segmenter& seg, std::vector<fs::path>* timing_images) {
  const fs::path labels = args.cc0 / "labels.csv";
  if (!fs::exists(labels)) {
    std::cout << "clothing-cc0: " << labels << " not found, skipped\n";
    return;
  }
  std::ifstream in(labels);
  std::string line;
  std::getline(in, line);
  std::vector<std::pair<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const auto c1 = line.find(',');
    const auto c2 = line.find(',', c1 + 1);
    if (c1 == std::string::npos) continue;
    rows.emplace_back(line.substr(0, c1), line.substr(c1 + 1, c2 - c1 - 1));
  }
  const int n = std::min(static_cast<int>(rows.size()), args.cc0_limit);
  const int judge_every = std::max(1, n / std::max(1, args.judge_n));
  std::vector<cv::Mat> judge_tiles;
  int plausible = 0, none = 0, done = 0;
  std::vector<double> regions, seconds, largest_frac;
  for (int i = 0; i < n; ++i) {
    if (args.judge_only && i % judge_every != 0) continue;
    const fs::path p = args.cc0 / rows[static_cast<std::size_t>(i)].first;
    const cv::Mat img = cv::imread(p.string(), cv::IMREAD_COLOR);
    if (img.empty()) continue;
    ++done;
    if (timing_images) timing_images->push_back(p);
    const auto t0 = std::chrono::steady_clock::now();
    const SegmentationResult res = seg.segment(img);
    seconds.push_back(seconds_since(t0));
    regions.push_back(res.kept_count());
    const Region* largest = nullptr;
    for (const auto& r : res.regions) {
      if (r.kept && (!largest || r.area > largest->area)) largest = &r;
    }
    if (!largest) {
      ++none;
    } else {
      const double frac = static_cast<double>(largest->area) / static_cast<double>(img.total());
      largest_frac.push_back(frac);
      plausible += frame_coverage(largest->mask) <= 0.25 && frac >= 0.04;
    }
    if (!args.judge.empty() && i % judge_every == 0 && static_cast<int>(judge_tiles.size()) < args.judge_n) {
      // Everything but the largest kept region dimmed, its outline in green: easy to judge by eye.
      cv::Mat ov = img * 0.3;
      if (largest) {
        img.copyTo(ov, largest->mask);
        std::vector<std::vector<cv::Point>> contours;
        cv::findContours(largest->mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
        cv::drawContours(ov, contours, -1, cv::Scalar(0, 255, 0), 2);
      }
      cv::Mat tile = to_long_side(ov, 240);
      cv::Mat canvas(240, 240, CV_8UC3, cv::Scalar(40, 40, 40));
      tile.copyTo(canvas(cv::Rect(0, 0, tile.cols, tile.rows)));
      const std::string label = std::to_string(judge_tiles.size()) + " " + rows[static_cast<std::size_t>(i)].second;
      cv::putText(canvas, label, {4, 16}, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 0), 3);
      cv::putText(canvas, label, {4, 16}, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(255, 255, 255), 1);
      judge_tiles.push_back(canvas);
      fs::create_directories(args.judge);
      if (!args.overlays.empty()) {
        fs::create_directories(args.overlays);
        OverlayOptions o;
        o.show_dropped = seg.config().keep_dropped;
        cv::imwrite((args.overlays / ("cc0_" + std::to_string(judge_tiles.size() - 1) + ".png")).string(),
                    render_overlay(img, res, o));
      }
      cv::imwrite((args.judge / (std::to_string(judge_tiles.size() - 1) + ".png")).string(), ov);
    }
  }
  std::printf("\n== clothing-cc0 (%s): %d photos ==\n", args.cc0.c_str(), done);
  std::printf("largest kept region plausibly the garment (proxy: touches <= 25%% of the frame, >= 4%% of the image):"
              " %d / %d = %.1f%%   (target >= 80%% judged by eye, see --judge)\n",
              plausible, done, done ? 100.0 * plausible / done : 0);
  std::printf("  photos with no kept region: %d; largest region share of image: median %.2f\n", none,
              percentile(largest_frac, 0.5));
  std::printf("kept regions per photo: median %.1f  p10 %.0f  p90 %.0f\n", percentile(regions, 0.5),
              percentile(regions, 0.1), percentile(regions, 0.9));
  std::printf("seconds per photo at native size (<= 320 px), all threads: median %.3f  p95 %.3f\n",
              percentile(seconds, 0.5), percentile(seconds, 0.95));
  if (!judge_tiles.empty()) {
    const int cols = 6;
    const int rows_n = (static_cast<int>(judge_tiles.size()) + cols - 1) / cols;
    cv::Mat sheet(rows_n * 240, cols * 240, CV_8UC3, cv::Scalar(40, 40, 40));
    for (std::size_t t = 0; t < judge_tiles.size(); ++t) {
      judge_tiles[t].copyTo(sheet(cv::Rect(static_cast<int>(t % cols) * 240, static_cast<int>(t / cols) * 240, 240, 240)));
    }
    cv::imwrite((args.judge / "judge.png").string(), sheet);
    std::printf("  judge sheet: %s (%zu photos, every %d-th)\n", (args.judge / "judge.png").c_str(),
                judge_tiles.size(), judge_every);
  }
}

void eval_timing(const Segmenter& seg, const std::vector<fs::path>& paths, const char* what) {
  if (paths.empty()) return;
  cv::setNumThreads(1);
  // Wall time, and the thread's CPU time: on a shared machine the wall time includes waiting for a
  // core, the CPU time does not.
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  };
  std::vector<double> seconds, cpu;
  for (const auto& p : paths) {
    const cv::Mat img = to_long_side(cv::imread(p.string(), cv::IMREAD_COLOR), 1024);
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_now();
    const SegmentationResult res = seg.segment(img);
    cpu.push_back(cpu_now() - c0);
    seconds.push_back(seconds_since(t0));
  }
  const double med = percentile(cpu, 0.5), p95 = percentile(cpu, 0.95);
  std::printf("1024-px %s, one core, %zu images: CPU median %.3f s  p95 %.3f s  max %.3f s   target <= 1 s   %s\n"
              "  (wall: median %.3f s  p95 %.3f s)\n",
              what, seconds.size(), med, p95, percentile(cpu, 1), verdict(med <= 1.0 && p95 <= 1.0),
              percentile(seconds, 0.5), percentile(seconds, 0.95));
  cv::setNumThreads(-1);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  try {
    const SegmenterConfig config = SegmenterConfig::from_json(args.config);
    const auto seg = make_segmenter(args.spec, config);
    std::printf("segmenter %s\nconfig %s\n", seg->id().c_str(), seg->config_json().c_str());
    std::vector<fs::path> sample_images, cc0_images;
    if (!args.sample.empty() && !args.dump_nodes.empty()) {
      dump_nodes(args, config);
      return 0;
    }
    if (!args.sample.empty() && args.diagnose) diagnose_sample(args, config);
    if (!args.sample.empty()) eval_sample(args, *seg, &sample_images);
    if (!args.cc0.empty()) eval_cc0(args, *seg, &cc0_images);
    if (args.timing > 0) {
      std::printf("\n== Timing ==\n");
      auto pick = [&](const std::vector<fs::path>& all) {
        std::vector<fs::path> out;
        const std::size_t step = std::max<std::size_t>(1, all.size() / static_cast<std::size_t>(args.timing));
        for (std::size_t i = 0; i < all.size() && out.size() < static_cast<std::size_t>(args.timing); i += step) {
          out.push_back(all[i]);
        }
        return out;
      };
      eval_timing(*seg, pick(sample_images), "sample lookbooks");
      eval_timing(*seg, pick(cc0_images), "clothing-cc0 photos");
    }
  } catch (const ensemble::Error& e) {
    std::cerr << "eval_segment: " << e.what() << "\n";
    return ensemble::exit_code_for(e.code());
  }
  return 0;
}
