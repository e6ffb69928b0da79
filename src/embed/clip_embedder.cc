// "clip:MANIFEST": a CLIP-style TorchScript image tower (+ text tower) behind the Embedder interface.
#include "embed/clip_embedder.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstring>

#include "embed/crop.h"
#include "ensemble/embed/clip_tokenizer.h"
#include "ensemble/neural/manifest.h"
#include "ensemble/neural/runtime.h"
#include "ensemble/neural/transforms.h"
#include "ensemble/util/error.h"
#include "ensemble/util/parallel.h"
#include "neural/torch_module.h"

namespace ensemble::embed {
namespace {

// Whole images: to 8-bit BGR (grey expanded, BGRA composited over white), as crop.cc accepts them.
cv::Mat whole_image_bgr(const cv::Mat& image, std::size_t i) {
  if (image.empty()) throw Error(ErrorCode::kBadInput, "image " + std::to_string(i) + " is empty");
  switch (image.type()) {
    case CV_8UC3:
      return image;
    case CV_8UC1: {
      cv::Mat out;
      cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
      return out;
    }
    case CV_8UC4: {
      cv::Mat out(image.size(), CV_8UC3);
      for (int y = 0; y < image.rows; ++y) {
        const auto* s = image.ptr<cv::Vec4b>(y);
        auto* d = out.ptr<cv::Vec3b>(y);
        for (int x = 0; x < image.cols; ++x) {
          const int a = s[x][3];
          for (int c = 0; c < 3; ++c) d[x][c] = static_cast<uchar>((s[x][c] * a + 255 * (255 - a) + 127) / 255);
        }
      }
      return out;
    }
    default:
      throw Error(ErrorCode::kInvalidArgument,
                  "image " + std::to_string(i) + " has an unsupported pixel type (expected 8-bit grey, BGR or BGRA)");
  }
}

class ClipEmbedder final : public Embedder {
 public:
  ClipEmbedder(std::string spec, neural::Manifest manifest, const EmbedderOptions& options, TextTokenizer tokenizer)
      : manifest_(std::move(manifest)),
        id_(spec + "#v1#" + manifest_.id()),
        threads_(options.threads),
        batch_(std::max(1, options.batch_size)) {
    if (manifest_.file("image").inputs.size() != 1 || manifest_.file("image").outputs.size() != 1) {
      throw Error(ErrorCode::kBadInput, "model manifest " + manifest_.path.string() +
                                            ": the clip image tower takes one input and returns one output");
    }
    check_tower_spec("image", {-1, 3, manifest_.input_size, manifest_.input_size});
    neural::verify_checksums(manifest_);
    const std::string device = neural::torch_resolve_device(options.device, "model manifest " + manifest_.path.string());
    neural::torch_configure_threads(options.neural_threads);
    image_ = std::make_unique<neural::TorchModel>(manifest_, "image", device);
    if (manifest_.find("text")) {
      const auto& in = manifest_.file("text").inputs;
      if (in.size() != 1 || in[0].dtype != "int64" || in[0].shape.size() != 2 ||
          in[0].shape[1] != manifest_.tokenizer->context_length) {
        throw Error(ErrorCode::kBadInput, "model manifest " + manifest_.path.string() +
                                              ": the clip text tower takes one int64 input [-1, context_length]");
      }
      check_tower_spec("text", {});
      text_ = std::make_unique<neural::TorchModel>(manifest_, "text", device);
      if (tokenizer) {
        tokenizer_ = std::move(tokenizer);
      } else {
        auto tok = std::make_shared<const ClipTokenizer>(
            ClipTokenizer::from_hf(manifest_.tokenizer->vocab, manifest_.tokenizer->merges));
        tokenizer_ = [tok](const std::string& text, int context) { return tok->encode_for_model(text, context); };
      }
    }
  }

  std::string id() const override { return id_; }
  int dim() const override { return manifest_.embedding_dim; }
  bool has_text() const override { return text_ != nullptr; }

  Embeddings embed(std::span<const cv::Mat> images, std::span<const cv::Mat> masks) const override {
    if (!masks.empty() && masks.size() != images.size()) {
      throw Error(ErrorCode::kInvalidArgument, "embed: " + std::to_string(masks.size()) + " masks for " +
                                                   std::to_string(images.size()) + " images");
    }
    const int side = manifest_.input_size;
    const std::size_t plane = static_cast<std::size_t>(3) * side * side;
    Embeddings out(static_cast<std::int64_t>(images.size()), dim());
    for (std::size_t start = 0; start < images.size(); start += static_cast<std::size_t>(batch_)) {
      const std::size_t n = std::min(images.size() - start, static_cast<std::size_t>(batch_));
      at::Tensor pixels = torch::empty({static_cast<std::int64_t>(n), 3, side, side}, at::kFloat);
      float* dst = pixels.data_ptr<float>();
      // Preparation is per image and independent; errors are rethrown on this thread.
      std::vector<std::exception_ptr> errors(n);
      parallel_for(static_cast<std::int64_t>(n), threads_, [&](std::int64_t k) {
        const std::size_t i = start + static_cast<std::size_t>(k);
        try {
          const cv::Mat& mask = masks.empty() ? empty_ : masks[i];
          // A region looks like a catalog photo (embedder.h): tight box, white outside, square.
          const cv::Mat bgr = mask.empty() ? whole_image_bgr(images[i], i) : detail::prepare_crop(images[i], mask, side);
          const std::vector<float> t = neural::clip_preprocess(bgr, side, manifest_.mean, manifest_.std);
          std::memcpy(dst + static_cast<std::size_t>(k) * plane, t.data(), plane * sizeof(float));
        } catch (...) {
          errors[static_cast<std::size_t>(k)] = std::current_exception();
        }
      });
      for (const auto& e : errors) {
        if (e) std::rethrow_exception(e);
      }
      const at::Tensor emb = image_->run({pixels})[0];
      copy_rows(emb, out, static_cast<std::int64_t>(start));
    }
    normalize_rows(out, "clip image embedding");
    return out;
  }

  Embeddings embed_text(std::span<const std::string> texts) const override {
    if (!text_) {
      throw Error(ErrorCode::kInvalidArgument, "embedder " + id_ + " has no text tower");
    }
    const int context = manifest_.tokenizer->context_length;
    Embeddings out(static_cast<std::int64_t>(texts.size()), dim());
    for (std::size_t start = 0; start < texts.size(); start += static_cast<std::size_t>(batch_)) {
      const std::size_t n = std::min(texts.size() - start, static_cast<std::size_t>(batch_));
      at::Tensor tokens = torch::empty({static_cast<std::int64_t>(n), context}, at::kLong);
      auto* dst = tokens.data_ptr<std::int64_t>();
      for (std::size_t k = 0; k < n; ++k) {
        const std::vector<std::int64_t> ids = tokenizer_(texts[start + k], context);
        if (ids.size() != static_cast<std::size_t>(context)) {
          throw Error(ErrorCode::kInternal, "tokenizer returned " + std::to_string(ids.size()) + " ids, expected " +
                                                std::to_string(context));
        }
        std::copy(ids.begin(), ids.end(), dst + k * static_cast<std::size_t>(context));
      }
      copy_rows(text_->run({tokens})[0], out, static_cast<std::int64_t>(start));
    }
    normalize_rows(out, "clip text embedding");
    return out;
  }

 private:
  void check_tower_spec(const std::string& role, const std::vector<std::int64_t>& input_shape) const {
    const auto& f = manifest_.file(role);
    if (!input_shape.empty() && f.inputs[0].shape != input_shape) {
      throw Error(ErrorCode::kBadInput, "model manifest " + manifest_.path.string() + ": files." + role +
                                            " input is " + f.inputs[0].shape_string() + " but input_size " +
                                            std::to_string(manifest_.input_size) + " needs [-1, 3, " +
                                            std::to_string(manifest_.input_size) + ", " +
                                            std::to_string(manifest_.input_size) + "]");
    }
    const std::vector<std::int64_t> want{-1, manifest_.embedding_dim};
    if (f.outputs.size() != 1 || f.outputs[0].shape != want) {
      throw Error(ErrorCode::kBadInput, "model manifest " + manifest_.path.string() + ": files." + role +
                                            " must output one [-1, embedding_dim] = [-1, " +
                                            std::to_string(manifest_.embedding_dim) + "] tensor");
    }
  }

  void copy_rows(const at::Tensor& emb, Embeddings& out, std::int64_t first) const {
    const at::Tensor e = emb.to(at::kFloat).contiguous();
    std::memcpy(out.row(first), e.data_ptr<float>(), static_cast<std::size_t>(e.numel()) * sizeof(float));
  }

  neural::Manifest manifest_;
  std::string id_;
  int threads_;
  int batch_;
  std::unique_ptr<neural::TorchModel> image_;
  std::unique_ptr<neural::TorchModel> text_;
  TextTokenizer tokenizer_;
  cv::Mat empty_;
};

}  // namespace

std::unique_ptr<Embedder> make_clip_embedder(const std::string& spec, const std::filesystem::path& manifest,
                                             const EmbedderOptions& options, TextTokenizer tokenizer) {
  return std::make_unique<ClipEmbedder>(spec, neural::load_manifest(manifest, "clip"), options, std::move(tokenizer));
}

}  // namespace ensemble::embed
