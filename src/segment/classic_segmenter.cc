#include "segment/classic_segmenter.h"

#include "segment/segment_common.h"

namespace ensemble::segment {
namespace {

class ClassicSegmenter final : public Segmenter {
 public:
  explicit ClassicSegmenter(const SegmenterConfig& config) : config_(config) {}
  SegmentationResult segment(const cv::Mat& input) const override {
    const cv::Mat bgr = to_bgr8(input);
    return finish_segmentation({}, bgr, bgr.size(), config_, {});
  }
  std::string id() const override { return "classic"; }
  const SegmenterConfig& config() const override { return config_; }

 private:
  SegmenterConfig config_;
};

}  // namespace

std::unique_ptr<Segmenter> make_classic_segmenter(const SegmenterConfig& config) {
  config.validate();
  return std::make_unique<ClassicSegmenter>(config);
}

}  // namespace ensemble::segment
