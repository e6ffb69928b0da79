// The `segment` stage: lookbook photos -> garment regions (masks, boxes, scores, outfit contexts).
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "ensemble/pipeline/stage.h"
#include "ensemble/neural/runtime.h"
#include "ensemble/search/embedder_registry.h"
#include "ensemble/segment/segmenter.h"
#include "ensemble/util/error.h"
#include "ensemble/util/parallel.h"
#include "ensemble/util/progress.h"
#include "pipeline/stage_util.h"
#include "pipeline/stages.h"

namespace ensemble::pipeline {

segment::SegmenterConfig segmenter_config_from(const config::Config& config) {
  nlohmann::json j = config.section_json("segment");
  j.erase("backend");
  return segment::SegmenterConfig::from_json(j.dump());
}

std::unique_ptr<segment::Segmenter> open_segmenter(const config::Config& config, bool keep_dropped) {
  neural::set_default_runtime(search::neural_runtime(config));
  segment::SegmenterConfig scfg = segmenter_config_from(config);
  scfg.keep_dropped = keep_dropped;
  return segment::make_segmenter(config.get_string("segment.backend"), scfg);
}

namespace {

struct LookbookRow {
  std::string id, sha, ext;
};

class SegmentStage : public Stage {
 public:
  std::string name() const override { return "segment"; }
  std::string backend(const config::Config& c) const override {
    return c.get_string("segment.backend");
  }
  std::string model_id() const override { return model_id_; }

  StageResult run(StageContext& ctx) override {
    auto& db = ctx.store.db();
    const auto segmenter = open_segmenter(ctx.config);
    model_id_ = segmenter->id();
    const std::string settings = segmenter->id() + "|" + segmenter->config_json();

    std::vector<LookbookRow> todo;
    StageResult result;
    {
      auto st = db.prepare("SELECT id, image_sha, image_ext FROM lookbooks ORDER BY id");
      while (st.step()) {
        LookbookRow row{st.column_text(0), st.column_text(1), st.column_text(2)};
        ++result.input_rows;
        const auto state = item_state(db, "segment", row.id);
        if (state && state->status != "failed" &&
            state->fingerprint == fingerprint({row.sha, settings})) {
          ++result.skipped_rows;
          continue;
        }
        todo.push_back(std::move(row));
      }
    }

    const int threads = worker_threads(ctx.config);
    Progress progress("segment", todo.size(), ctx.quiet);
    std::vector<std::int64_t> per_image;
    std::int64_t contexts_total = 0, multi_context = 0, empty_images = 0;
    nlohmann::json filter_totals = nlohmann::json::object();
    // Images are segmented (and their kept masks encoded) on the worker threads while this thread
    // writes the finished ones in order, each lookbook in its own transaction: a kill loses at most
    // the images in flight, and none waits for a slower neighbour.
    struct Segmented {
      std::optional<segment::SegmentationResult> result;  // masks released once encoded
      std::vector<std::string> masks;                      // kept regions' mask blobs, in order
      std::string error;
    };
    ordered_parallel(
        static_cast<std::int64_t>(todo.size()), threads, 2 * static_cast<std::int64_t>(threads),
        [&](std::int64_t k) {
          const auto& row = todo[static_cast<size_t>(k)];
          Segmented out;
          try {
            const cv::Mat img = load_media_image(ctx.store, row.sha, row.ext);
            out.result = segmenter->segment(img);
            for (auto& r : out.result->regions) {
              if (r.kept) out.masks.push_back(mask_to_blob(r.mask));
              r.mask.release();
            }
          } catch (const Error& e) {
            out.result.reset();
            out.error = e.what();
          }
          return out;
        },
        [&](std::int64_t k, Segmented&& done) {
          const auto& row = todo[static_cast<size_t>(k)];
          const std::string fp = fingerprint({row.sha, settings});
          store::Transaction tx(db);
          // Replace the lookbook's previous regions (their matches cascade) and region embeddings.
          db.prepare("DELETE FROM embeddings WHERE owner_kind = 'region' AND owner_id IN"
                     " (SELECT CAST(id AS TEXT) FROM regions WHERE lookbook_id = ?)")
              .bind(1, row.id)
              .run();
          db.prepare("DELETE FROM regions WHERE lookbook_id = ?").bind(1, row.id).run();
          if (!done.result) {
            set_item_state(db, "segment", row.id, fp, "failed", done.error, ctx.run_id);
            tx.commit();
            ++result.failed_rows;
            if (result.problems.size() < 20) result.problems.push_back(row.id + ": " + done.error);
            progress.update(static_cast<size_t>(k) + 1);
            return;
          }
          const auto& seg = *done.result;
          auto insert = db.prepare(
              "INSERT INTO regions (lookbook_id, idx, context_id, x, y, w, h, area, confidence,"
              " stability, mask_rle, segmenter_id, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
          int idx = 0;
          for (const auto& r : seg.regions) {
            if (!r.kept) continue;
            const std::string& blob = done.masks[static_cast<size_t>(idx)];
            insert.bind(1, row.id).bind(2, idx++).bind(3, r.context).bind(4, r.bbox.x)
                .bind(5, r.bbox.y).bind(6, r.bbox.width).bind(7, r.bbox.height).bind(8, r.area)
                .bind(9, static_cast<double>(r.predicted_iou))
                .bind(10, static_cast<double>(r.stability))
                .bind_blob(11, blob.data(), blob.size())
                .bind(12, model_id_)
                .bind(13, ctx.run_id);
            insert.run();
          }
          set_item_state(db, "segment", row.id, fp, idx > 0 ? "ok" : "empty",
                         idx > 0 ? seg.stats.to_json() : "no region passed the filters",
                         ctx.run_id);
          tx.commit();
          result.output_rows += idx;
          per_image.push_back(idx);
          contexts_total += seg.contexts;
          multi_context += seg.contexts > 1;
          empty_images += idx == 0;
          const nlohmann::json image_stats = nlohmann::json::parse(seg.stats.to_json());
          for (auto& [k2, v] : image_stats.items()) {
            if (!v.is_number()) continue;
            filter_totals[k2] = filter_totals.value(k2, std::int64_t{0}) + v.get<std::int64_t>();
          }
          progress.update(static_cast<size_t>(k) + 1);
        });
    progress.finish();
    result.stats["segmenter"] = model_id_;
    result.stats["config"] = nlohmann::json::parse(segmenter->config_json());
    result.stats["filters"] = filter_totals;
    result.stats["regions_per_image"] = distribution(per_image);
    result.stats["images_without_regions"] = empty_images;
    result.stats["images_with_several_contexts"] = multi_context;
    result.stats["contexts"] = contexts_total;
    return result;
  }

 private:
  std::string model_id_;
};

}  // namespace

std::unique_ptr<Stage> make_segment_stage() { return std::make_unique<SegmentStage>(); }

}  // namespace ensemble::pipeline
