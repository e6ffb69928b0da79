// Segment Anything over LibTorch: a SamModel whose encoder and decoder are TorchScript files.
#include "segment/torch_sam_model.h"

#include "ensemble/neural/manifest.h"
#include "ensemble/neural/transforms.h"
#include "ensemble/util/error.h"
#include "neural/torch_module.h"

namespace ensemble::segment {
namespace {

class TorchSamEmbedding final : public SamImageEmbedding {
 public:
  TorchSamEmbedding(at::Tensor e, cv::Size s) : embedding(std::move(e)), original(s) {}
  at::Tensor embedding;  // [1, 256, 64, 64] on the CPU
  cv::Size original;
};

class TorchSamModel final : public SamModel {
 public:
  TorchSamModel(const neural::Manifest& manifest, const std::string& device)
      : size_(manifest.input_size), mean_(manifest.mean), std_(manifest.std), where_(manifest.path.string()),
        encoder_(manifest, "image_encoder", device), decoder_(manifest, "mask_decoder", device) {
    const auto& enc = encoder_.spec();
    const auto& dec = decoder_.spec();
    const std::vector<std::int64_t> image{1, 3, size_, size_};
    if (enc.inputs.size() != 1 || enc.inputs[0].shape != image || enc.outputs.size() != 1) {
      fail("files.image_encoder must take one image " + neural::TensorSpec{"", image}.shape_string() +
           " (input_size) and return one tensor");
    }
    if (dec.inputs.size() != 3 || dec.outputs.size() != 2 || dec.inputs[0].shape != enc.outputs[0].shape ||
        dec.inputs[1].shape != std::vector<std::int64_t>{-1, 1, 2} ||
        dec.inputs[2].shape != std::vector<std::int64_t>{-1, 1} || dec.outputs[0].shape.size() != 4 ||
        dec.outputs[0].shape[0] != -1 || dec.outputs[0].shape[1] != 3 ||
        dec.outputs[1].shape != std::vector<std::int64_t>{-1, 3}) {
      fail("files.mask_decoder must take (image_embeddings as the encoder returns them, point_coords "
           "[-1, 1, 2], point_labels [-1, 1]) and return (masks [-1, 3, H, W], iou_predictions [-1, 3])");
    }
  }

  std::unique_ptr<SamImageEmbedding> encode(const cv::Mat& bgr) override {
    if (bgr.empty() || bgr.type() != CV_8UC3) throw Error(ErrorCode::kBadInput, "SAM encode: expected an 8-bit BGR image");
    std::vector<float> pixels = neural::sam_preprocess(bgr, size_, mean_, std_);
    const at::Tensor t = torch::from_blob(pixels.data(), {1, 3, size_, size_}, at::kFloat);
    return std::make_unique<TorchSamEmbedding>(encoder_.run({t})[0], bgr.size());
  }

  SamDecoderOutput decode(const SamImageEmbedding& embedding, const std::vector<cv::Point2f>& points) override {
    const auto* e = dynamic_cast<const TorchSamEmbedding*>(&embedding);
    if (!e) throw Error(ErrorCode::kInternal, "SAM decode: the embedding was not made by this model");
    const auto n = static_cast<std::int64_t>(points.size());
    SamDecoderOutput out;
    if (n == 0) return out;
    at::Tensor coords = torch::empty({n, 1, 2}, at::kFloat);
    float* c = coords.data_ptr<float>();
    for (std::int64_t i = 0; i < n; ++i) {
      const cv::Point2f p = neural::sam_point_to_model(points[static_cast<std::size_t>(i)], e->original, size_);
      c[2 * i] = p.x;
      c[2 * i + 1] = p.y;
    }
    const at::Tensor labels = torch::ones({n, 1}, at::kFloat);
    const std::vector<at::Tensor> r = decoder_.run({e->embedding, coords, labels});
    const at::Tensor& masks = r[0];
    const at::Tensor& ious = r[1];
    if (masks.size(0) != n || ious.size(0) != n) {
      fail("files.mask_decoder returned " + std::to_string(masks.size(0)) + " mask sets for " + std::to_string(n) +
           " points");
    }
    const auto lh = static_cast<int>(masks.size(2));
    const auto lw = static_cast<int>(masks.size(3));
    const float* m = masks.data_ptr<float>();
    const float* q = ious.data_ptr<float>();
    out.logits.reserve(static_cast<std::size_t>(3 * n));
    for (std::int64_t k = 0; k < 3 * n; ++k) {
      out.logits.push_back(neural::sam_postprocess_mask(m + k * lh * lw, lh, lw, e->original, size_));
      out.iou_predictions.push_back(q[k]);
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ErrorCode::kBadInput, "model manifest " + where_ + ": " + what);
  }

  int size_;
  std::array<float, 3> mean_, std_;
  std::string where_;
  neural::TorchModel encoder_;
  neural::TorchModel decoder_;
};

}  // namespace

std::unique_ptr<SamModel> load_torch_sam_model(const std::filesystem::path& path, const neural::RuntimeOptions& runtime,
                                               std::string* model_id) {
  const neural::Manifest manifest = neural::load_manifest(path, "sam");
  neural::verify_checksums(manifest);
  const std::string device = neural::torch_resolve_device(runtime.device, "model manifest " + manifest.path.string());
  neural::torch_configure_threads(runtime.threads);
  auto model = std::make_unique<TorchSamModel>(manifest, device);
  if (model_id) *model_id = manifest.id();
  return model;
}

std::unique_ptr<Segmenter> make_torch_sam_segmenter(const std::string& manifest, const SegmenterConfig& config,
                                                    const neural::RuntimeOptions& runtime) {
  config.validate();
  std::string id;
  auto model = load_torch_sam_model(manifest, runtime, &id);
  return make_sam_segmenter(std::move(model), "sam:" + manifest + "#v2#" + id, config);
}

}  // namespace ensemble::segment
