// Segment Anything as two calls, so automatic mask generation can run over any runtime: the image
// encoder (once per image) and the prompt/mask decoder (a batch of point prompts per call).
//
// The LibTorch implementation (src/segment/torch_sam_model.cc) lives behind ENSEMBLE_WITH_TORCH; the
// filter tests use a mock.
// make_sam_segmenter() turns any SamModel into a Segmenter that runs SAM's automatic mask generator:
// an N×N point grid, batches of points_per_batch, 3 candidate masks per point, then the filters of
// mask_filters.h in SAM's order, then the region quality filters and outfit contexts.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

#include "ensemble/segment/segmenter.h"

namespace ensemble::segment {

// Whatever the encoder computed for one image (for SAM, the 256×64×64 embedding). Opaque to callers.
class SamImageEmbedding {
 public:
  virtual ~SamImageEmbedding() = default;
};

// What the decoder returns for a batch of B points.
struct SamDecoderOutput {
  // 3 × B mask logits, CV_32FC1 at the original image size, point-major: mask k of point p is
  // logits[3 * p + k]. A pixel is inside when its logit > SegmenterConfig::mask_threshold.
  std::vector<cv::Mat> logits;
  // 3 × B predicted IoUs in the same order.
  std::vector<float> iou_predictions;
};

class SamModel {
 public:
  virtual ~SamModel() = default;

  // Runs the image encoder on an 8-bit BGR image. The result owns everything decode() needs.
  virtual std::unique_ptr<SamImageEmbedding> encode(const cv::Mat& bgr) = 0;

  // Runs the prompt decoder with one foreground point per prompt (x, y in original image pixels,
  // continuous coordinates: (0, 0) is the top-left corner of the top-left pixel), multimask output.
  // Must return exactly 3 × points.size() logits and IoUs. Throws Error on failure.
  virtual SamDecoderOutput decode(const SamImageEmbedding& embedding,
                                  const std::vector<cv::Point2f>& points) = 0;
};

// A Segmenter over a model. spec is what id() returns (e.g. "sam:models/sam_vit_b.json"). Validates config.
// The segmenter serialises calls into the model with a mutex, so the model need not be thread-safe.
std::unique_ptr<Segmenter> make_sam_segmenter(std::unique_ptr<SamModel> model, std::string spec,
                                              const SegmenterConfig& config = {});

}  // namespace ensemble::segment
