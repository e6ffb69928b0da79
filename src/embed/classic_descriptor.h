// The raw classic descriptor: colour, shape, texture and layout blocks of a prepared crop.
// Internal; the knobs are here (not in the public header) so bench/embed_eval.cc can sweep them.
// Changing a default changes the vectors: bump kDescriptorVersion.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>

#include <opencv2/core/mat.hpp>

#include "ensemble/embed/embedder.h"

namespace ensemble::embed::detail {

inline constexpr int kDescriptorVersion = 2;

struct DescriptorParams {
  int side = 48;         // canvas of the fine HOG
  int tex_side = 64;     // canvas of LBP; the crop is prepared at max(side, tex_side, colour_side)
  int colour_side = 32;  // canvas of the colour histograms
  // colour: soft Lab joint histogram, whole crop + grid×grid cells
  int l_bins = 4, a_bins = 6, b_bins = 6;
  int colour_grid = 2;
  // shape: HOG
  int hog_cell = 8, hog_bins = 9;
  // texture: uniform LBP (59 codes), whole crop + grid×grid cells
  int lbp_grid = 2;
  int lbp_threshold = 3;  // neighbour counts as brighter when >= centre + threshold (grey levels)
  // layout: grey thumbnail (ink = 1 - grey), thumb×thumb, from the coarse canvas
  int thumb = 16;
  // block weights after per-block normalisation (0 drops the block)
  float w_colour = 0.7f, w_hog = 1.0f, w_lbp = 1.0f, w_thumb = 0.2f;
  float power = 0.5f;  // signed power normalisation of each block before its L2 normalisation
  int flip = 0;         // 1: average with the mirror image's descriptor (tried: +0.01, 2x the time)
  int hog_coarse = 32;  // >0: a second HOG on a canvas of this side (same cell size)
  int balance = 1;      // 1: unmasked images get a max-RGB white balance first
  int bg_fill = 20;     // >0: unmasked images get their border-connected background within this
                        // tolerance (grey levels) painted white (crop.h)

  int prepare_side() const { return std::max({side, tex_side, colour_side}); }
  int colour_dim() const;
  int hog_dim() const;
  int lbp_dim() const;
  int thumb_dim() const;
  int coarse_dim() const;
  int dim() const { return colour_dim() + hog_dim() + coarse_dim() + lbp_dim() + thumb_dim(); }
  // "classic-v1/<dim>" for the defaults; a tag of the settings otherwise.
  std::string id() const;
};

// Writes params.dim() floats for one prepared crop (CV_8UC3, prepare_side() square).
void compute_descriptor(const cv::Mat& crop_bgr, const DescriptorParams& params, float* out);

// Checks the batch's shape rules (embedder.h): Error(kInvalidArgument) when masks is neither
// empty nor one per image.
void check_batch(std::span<const cv::Mat> images, std::span<const cv::Mat> masks);
// The mask for image i (an empty cv::Mat = none).
inline const cv::Mat& mask_at(std::span<const cv::Mat> masks, std::size_t i) {
  static const cv::Mat none;
  return masks.empty() ? none : masks[i];
}

// Raw descriptors of a batch (prepare_crop + compute_descriptor), images.size() × params.dim(),
// parallel over `threads` threads.
Embeddings describe_batch(std::span<const cv::Mat> images, std::span<const cv::Mat> masks,
                          const DescriptorParams& params, int threads);

}  // namespace ensemble::embed::detail
