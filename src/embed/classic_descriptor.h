// The raw classic descriptor: colour, shape, texture and layout blocks of a prepared crop.
// Internal; the knobs are here (not in the public header) so bench/embed_eval.cc can sweep them.
// Changing a default changes the vectors: bump kDescriptorVersion.
#pragma once

#include <string>

#include <opencv2/core/mat.hpp>

namespace ensemble::embed::detail {

inline constexpr int kDescriptorVersion = 1;

struct DescriptorParams {
  int side = 64;       // canvas for colour, HOG and thumbnail
  int tex_side = 96;   // canvas for LBP (finer texture); the crop is prepared at max(side, tex_side)
  // colour: soft Lab joint histogram, whole crop + grid×grid cells
  int l_bins = 4, a_bins = 6, b_bins = 6;
  int colour_grid = 2;
  // shape: HOG
  int hog_cell = 8, hog_bins = 9;
  // texture: uniform LBP (59 codes), whole crop + grid×grid cells
  int lbp_grid = 2;
  int lbp_threshold = 3;  // neighbour counts as brighter when >= centre + threshold (grey levels)
  // layout: grey thumbnail (ink = 1 - grey), thumb×thumb
  int thumb = 16;
  // block weights after per-block normalisation (0 drops the block)
  float w_colour = 1.0f, w_hog = 1.0f, w_lbp = 1.0f, w_thumb = 1.0f;
  float power = 0.5f;  // signed power normalisation of each block before its L2 normalisation

  int prepare_side() const { return side > tex_side ? side : tex_side; }
  int colour_dim() const;
  int hog_dim() const;
  int lbp_dim() const;
  int thumb_dim() const;
  int dim() const { return colour_dim() + hog_dim() + lbp_dim() + thumb_dim(); }
  // "classic-v1/<dim>" for the defaults; a tag of the settings otherwise.
  std::string id() const;
};

// Writes params.dim() floats for one prepared crop (CV_8UC3, prepare_side() square).
void compute_descriptor(const cv::Mat& crop_bgr, const DescriptorParams& params, float* out);

}  // namespace ensemble::embed::detail

#include <cstdint>
#include <span>

#include "ensemble/embed/embedder.h"

namespace ensemble::embed::detail {

// Checks the batch's shape rules (embedder.h) and returns the mask for image i (empty = none).
void check_batch(std::span<const cv::Mat> images, std::span<const cv::Mat> masks);
inline const cv::Mat& mask_at(std::span<const cv::Mat> masks, std::size_t i) {
  static const cv::Mat none;
  return masks.empty() ? none : masks[i];
}

// Raw descriptors of a batch (prepare_crop + compute_descriptor), images.size() × params.dim(),
// parallel over `threads` threads.
Embeddings describe_batch(std::span<const cv::Mat> images, std::span<const cv::Mat> masks,
                          const DescriptorParams& params, int threads);

}  // namespace ensemble::embed::detail
