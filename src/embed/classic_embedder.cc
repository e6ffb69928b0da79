#include "ensemble/embed/classic_embedder.h"

#include <algorithm>

#include "embed/classic_descriptor.h"
#include "embed/crop.h"
#include "ensemble/util/parallel.h"
#include "ensemble/util/error.h"

namespace ensemble::embed {
namespace detail {

void check_batch(std::span<const cv::Mat> images, std::span<const cv::Mat> masks) {
  if (!masks.empty() && masks.size() != images.size()) {
    throw Error(ErrorCode::kInvalidArgument, "embed: " + std::to_string(masks.size()) + " masks for " +
                                                 std::to_string(images.size()) + " images");
  }
}

Embeddings describe_batch(std::span<const cv::Mat> images, std::span<const cv::Mat> masks,
                          const DescriptorParams& params, int threads) {
  check_batch(images, masks);
  Embeddings out(static_cast<std::int64_t>(images.size()), params.dim());
  parallel_for(static_cast<std::int64_t>(images.size()), threads, [&](std::int64_t i) {
    cv::Mat crop = prepare_crop(images[i], mask_at(masks, i), params.prepare_side(), params.bg_fill, params.balance != 0);
    compute_descriptor(crop, params, out.row(i));
  });
  return out;
}

}  // namespace detail

namespace {

constexpr std::uint64_t kRandomProjectionSeed = 0x0E75E3B1E5EEDull;

std::shared_ptr<const Projection> random_projection() {
  static const std::shared_ptr<const Projection> p = std::make_shared<const Projection>(Projection::random(
      ClassicEmbedder::descriptor_id(), ClassicEmbedder::raw_dim(), ClassicEmbedder::kDim, kRandomProjectionSeed));
  return p;
}

}  // namespace

int ClassicEmbedder::raw_dim() { return detail::DescriptorParams{}.dim(); }

int ClassicEmbedder::input_side() const { return detail::DescriptorParams{}.prepare_side(); }
std::string ClassicEmbedder::descriptor_id() { return detail::DescriptorParams{}.id(); }

ClassicEmbedder::ClassicEmbedder(int threads, std::shared_ptr<const Projection> projection)
    : threads_(threads), fitted_(projection != nullptr), projection_(std::move(projection)) {
  if (!projection_) {
    projection_ = random_projection();
    return;
  }
  if (projection_->descriptor_id() != descriptor_id() || projection_->in_dim() != raw_dim()) {
    throw Error(ErrorCode::kBadInput, "the projection was fitted for descriptor '" + projection_->descriptor_id() +
                                          "' but this build computes '" + descriptor_id() +
                                          "': fit it again on the catalog");
  }
  if (projection_->out_dim() != kDim) {
    throw Error(ErrorCode::kBadInput, "the projection maps to " + std::to_string(projection_->out_dim()) +
                                          " dimensions; the classic embedder needs " + std::to_string(kDim));
  }
}

std::string ClassicEmbedder::id() const {
  std::string id = "classic#v" + std::to_string(detail::kDescriptorVersion);
  if (fitted_) id += "#pca=" + projection_->hash().substr(0, 12);
  return id;
}

Embeddings ClassicEmbedder::describe(std::span<const cv::Mat> images, std::span<const cv::Mat> masks) const {
  return detail::describe_batch(images, masks, detail::DescriptorParams{}, threads_);
}

Embeddings ClassicEmbedder::project(const Embeddings& raw) const {
  if (raw.dim != projection_->in_dim()) {
    throw Error(ErrorCode::kInvalidArgument, "classic: raw descriptors have " + std::to_string(raw.dim) +
                                                 " values, the projection takes " +
                                                 std::to_string(projection_->in_dim()));
  }
  Embeddings out(raw.rows, kDim);
  projection_->apply(raw.values.data(), raw.rows, out.values.data());
  normalize_rows(out, "classic embedding");
  return out;
}

Embeddings ClassicEmbedder::embed(std::span<const cv::Mat> images, std::span<const cv::Mat> masks) const {
  return project(describe(images, masks));
}

Projection fit_classic_projection(std::span<const cv::Mat> images, std::span<const cv::Mat> masks,
                                  const FitOptions& options, int threads) {
  detail::check_batch(images, masks);
  ClassicEmbedder describer(threads);
  ProjectionFitter fitter(ClassicEmbedder::descriptor_id(), ClassicEmbedder::raw_dim(), options);
  constexpr std::size_t kBatch = 256;
  for (std::size_t start = 0; start < images.size(); start += kBatch) {
    std::size_t n = std::min(kBatch, images.size() - start);
    Embeddings raw = describer.describe(images.subspan(start, n), masks.empty() ? masks : masks.subspan(start, n));
    fitter.add(raw.values.data(), raw.rows);
  }
  return fitter.finish();
}

}  // namespace ensemble::embed
