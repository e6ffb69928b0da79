// The Segmenter interface: one lookbook photo in, garment regions out.
//
// Two backends, chosen by a factory string that also goes into the pipeline config and lineage:
//   "classic"                weight-free, OpenCV only (the default; what the demo and tests use)
//   "sam:MANIFEST"           Segment Anything's automatic mask generation over a SamModel
//                            (sam_model.h) run by LibTorch from TorchScript files described by a
//                            manifest (docs/MODELS.md); in a build without LibTorch (ENSEMBLE_WITH_TORCH
//                            off) make_segmenter() throws Error(kInvalidArgument) for it.
// Both produce SAM-shaped candidates (mask, predicted IoU, stability score) that go through the same
// filters (mask_filters.h, region_filters.h) and get outfit contexts (outfit_context.h).
//
// Thread safety: segment(), id() and config_json() are const and may be called concurrently from any
// number of threads on one Segmenter.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ensemble/segment/segmenter_config.h"

namespace ensemble::segment {

// One garment region of an image.
struct Region {
  cv::Mat mask;                 // CV_8UC1 at image size: 255 inside, 0 outside (owned; not shared)
  cv::Rect bbox;                // tight box of the mask in image pixels
  std::int64_t area = 0;        // mask pixels
  float predicted_iou = 0.f;    // the model's confidence that the mask is an object, in [0, 1]
  float stability = 0.f;        // stability score in [0, 1] (see mask_filters.h)
  cv::Point2f point;            // the grid prompt that produced it, image pixels
  int context = 0;              // outfit context id within the image, 0-based, dense; -1 if dropped
  bool kept = true;             // false only for regions returned because config.keep_dropped
  std::string drop_reason;      // which quality filter dropped it ("background", "skin", ...)

  // predicted_iou × stability: the order used by the cap and by containment.
  float score() const { return predicted_iou * stability; }
};

// How many candidates survived each filter, in order, for lineage.
struct FilterStats {
  struct Step {
    std::string name;           // "pred_iou", "stability", "area", "nms", ... (docs/SEGMENTATION.md)
    std::int64_t kept = 0;
  };
  std::int64_t candidates = 0;  // masks proposed: 3 per grid point (classic: per grid point and
                                // hierarchy, plus its extra prompts)
  std::vector<Step> steps;

  // Adds n to the step called name, appending it when new (batches accumulate).
  void add(const std::string& name, std::int64_t n);
  // Count after the step called name; -1 when there is no such step.
  std::int64_t kept_after(const std::string& name) const;
  // {"candidates":192,"pred_iou":80,"stability":61,...} — keys in filter order.
  std::string to_json() const;
};

struct SegmentationResult {
  cv::Size size;                  // the input image's size
  // Kept regions, largest area first; then (with config.keep_dropped) the dropped ones.
  std::vector<Region> regions;
  int contexts = 0;               // number of outfit contexts among kept regions (0 when none)
  FilterStats stats;

  int kept_count() const;
};

class Segmenter {
 public:
  virtual ~Segmenter() = default;

  // Segments an 8-bit BGR image (1 or 4 channels are converted). Throws Error(kBadInput) for an empty
  // image or one of another depth. An image with no acceptable region gives an empty region list, not
  // an error.
  virtual SegmentationResult segment(const cv::Mat& bgr) const = 0;

  // The factory spec that rebuilds this segmenter: make_segmenter(id(), config()) is equivalent.
  virtual std::string id() const = 0;

  virtual const SegmenterConfig& config() const = 0;
  // config().to_json(): goes into lineage next to id().
  std::string config_json() const { return config().to_json(); }
};

// Builds a segmenter from its spec ("classic" or "sam:MANIFEST"). Validates config.
// Throws Error(kInvalidArgument) for an unknown or malformed spec, an invalid config, or a backend this
// build lacks.
std::unique_ptr<Segmenter> make_segmenter(const std::string& spec, const SegmenterConfig& config = {});

}  // namespace ensemble::segment
