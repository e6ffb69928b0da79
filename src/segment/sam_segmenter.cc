// SAM's automatic mask generator (segment_anything/automatic_mask_generator.py) over a SamModel,
// without crops: one crop layer covering the whole image, as the reference design ran it.
#include <mutex>

#include "ensemble/segment/mask_filters.h"
#include "ensemble/segment/sam_model.h"
#include "ensemble/util/error.h"
#include "segment/segment_common.h"

namespace ensemble::segment {
namespace {

class SamSegmenter final : public Segmenter {
 public:
  SamSegmenter(std::unique_ptr<SamModel> model, std::string spec, const SegmenterConfig& config)
      : model_(std::move(model)), spec_(std::move(spec)), config_(config) {}

  SegmentationResult segment(const cv::Mat& input) const override {
    const cv::Mat bgr = to_bgr8(input);
    const std::vector<cv::Point2f> points = grid_points_for_image(config_.points_per_side, bgr.size());
    FilterStats stats;
    std::vector<MaskCandidate> kept;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const std::unique_ptr<SamImageEmbedding> embedding = model_->encode(bgr);
      if (!embedding) throw Error(ErrorCode::kInternal, "SAM encoder returned no embedding");
      const auto batch = static_cast<std::size_t>(config_.points_per_batch);
      for (std::size_t start = 0; start < points.size(); start += batch) {
        const std::vector<cv::Point2f> prompts(
            points.begin() + static_cast<long>(start),
            points.begin() + static_cast<long>(std::min(points.size(), start + batch)));
        SamDecoderOutput out = model_->decode(*embedding, prompts);
        check_output(out, prompts.size(), bgr.size());
        std::vector<MaskCandidate> c(out.logits.size());
        for (std::size_t i = 0; i < c.size(); ++i) {
          c[i].logits = std::move(out.logits[i]);
          c[i].predicted_iou = out.iou_predictions[i];
          c[i].point = prompts[i / 3];
        }
        stats.candidates += static_cast<std::int64_t>(c.size());
        stats.add("pred_iou", static_cast<std::int64_t>(filter_by_predicted_iou(c, config_.pred_iou_thresh)));
        stats.add("stability", static_cast<std::int64_t>(filter_by_stability(
                                   c, config_.mask_threshold, config_.stability_score_offset,
                                   config_.stability_score_thresh)));
        binarize(c, config_.mask_threshold);
        stats.add("area", static_cast<std::int64_t>(
                              filter_by_area(c, config_.min_area_frac, config_.max_area_frac)));
        for (auto& m : c) kept.push_back(std::move(m));
      }
    }
    run_nms_and_cleanup(kept, config_, stats);
    return finish_segmentation(std::move(kept), bgr, bgr.size(), config_, std::move(stats));
  }

  std::string id() const override { return spec_; }
  const SegmenterConfig& config() const override { return config_; }

 private:
  static void check_output(const SamDecoderOutput& out, std::size_t points, cv::Size size) {
    if (out.logits.size() != 3 * points || out.iou_predictions.size() != 3 * points) {
      throw Error(ErrorCode::kInternal, "SAM decoder returned " + std::to_string(out.logits.size()) +
                                            " masks for " + std::to_string(points) +
                                            " points (expected 3 per point)");
    }
    for (const auto& l : out.logits) {
      if (l.type() != CV_32FC1 || l.size() != size) {
        throw Error(ErrorCode::kInternal, "SAM decoder returned a mask that is not CV_32FC1 at image size");
      }
    }
  }

  std::unique_ptr<SamModel> model_;
  std::string spec_;
  SegmenterConfig config_;
  mutable std::mutex mu_;
};

}  // namespace

std::unique_ptr<Segmenter> make_sam_segmenter(std::unique_ptr<SamModel> model, std::string spec,
                                              const SegmenterConfig& config) {
  config.validate();
  if (!model) throw Error(ErrorCode::kInvalidArgument, "make_sam_segmenter: no model");
  return std::make_unique<SamSegmenter>(std::move(model), std::move(spec), config);
}

}  // namespace ensemble::segment
