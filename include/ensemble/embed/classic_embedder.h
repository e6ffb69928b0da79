// The weight-free "classic" embedder: a hand-made descriptor of colour, shape and texture,
// projected to 512 dimensions.
//
// Raw descriptor (docs/EMBEDDINGS.md has the measurements behind every choice), computed on the
// prepared square crop (embedder.h) at 64×64:
//   colour        soft Lab joint histograms (4 L × 6 a × 6 b) over the whole crop and a 2×2 grid, 32×32
//   shape         HOG: 8×8-pixel cells, 9 unsigned orientations, 2×2-cell blocks, L2-Hys, at 48×48
//   coarse shape  the same HOG at 32×32
//   texture       uniform LBP (8 neighbours, radius 1) histograms, whole crop + 2×2 grid, at 64×64
//   layout        a 16×16 grey thumbnail
// Each block is power-normalised (signed square root), L2-normalised and weighted, then the
// blocks are concatenated (raw_dim() values) and projected:
//   - with a fitted Projection (PCA + whitening on the catalog's own descriptors): the default at
//     run time; the id then carries the projection's hash;
//   - without one: a fixed deterministic Gaussian random projection (seeded; identical on every
//     machine), so the embedder works before anything is fitted, with lower quality.
// Output rows are L2-normalised.
//
// Thread-safety: immutable after construction; embed()/describe() may be called concurrently.
// Each call parallelises over its batch with `threads` std::threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "ensemble/embed/embedder.h"
#include "ensemble/embed/projection.h"

namespace ensemble::embed {

class ClassicEmbedder final : public Embedder {
 public:
  static constexpr int kDim = 512;

  // threads: 0 = all cores. projection: nullptr = the built-in random projection. A projection
  // fitted for another descriptor version or with out_dim != 512 throws Error(kBadInput).
  explicit ClassicEmbedder(int threads = 0, std::shared_ptr<const Projection> projection = nullptr);

  std::string id() const override;
  int dim() const override { return kDim; }
  int input_side() const override;  // the prepared crop's side (64)
  Embeddings embed(std::span<const cv::Mat> images,
                   std::span<const cv::Mat> masks = {}) const override;

  // The raw descriptor rows (before projection): images.size() × raw_dim(). Same input rules as
  // embed(). Used to fit a projection; embed() = project(describe()).
  Embeddings describe(std::span<const cv::Mat> images, std::span<const cv::Mat> masks = {}) const;
  // Projects raw descriptor rows and L2-normalises them.
  Embeddings project(const Embeddings& raw) const;

  // Length and version name of the raw descriptor ("classic-v1/2532"-style); a projection file
  // records the name it was fitted for.
  static int raw_dim();
  static std::string descriptor_id();

  // True when a fitted projection (not the random fallback) is in use.
  bool fitted() const { return fitted_; }
  const Projection& projection() const { return *projection_; }

 private:
  int threads_;
  bool fitted_;
  std::shared_ptr<const Projection> projection_;
};

// Fits a projection for ClassicEmbedder from sample images (the catalog): describes them in
// batches of `batch` and streams the rows into a ProjectionFitter. Memory stays bounded by the
// batch plus raw_dim()² doubles (≈ 50 MB). To fit on a large catalog without holding every image,
// use ClassicEmbedder::describe() + ProjectionFitter directly (docs/EMBEDDINGS.md shows how).
Projection fit_classic_projection(std::span<const cv::Mat> images, std::span<const cv::Mat> masks = {},
                                  const FitOptions& options = {}, int threads = 0);

}  // namespace ensemble::embed
