// Test support: tiny TorchScript models with the real signatures of the neural backends, built in C++
// (torch::jit::Module + register_parameter + define()), saved with a manifest whose checksums match.
// Their outputs are simple closed forms of their inputs, so tests can compute what a backend must
// return exactly. Also ViT-shaped models with random weights for the benchmark. Never for production.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ensemble::neural::testing {

// SAM, manifest family "sam", files encoder.pt and decoder.pt in the folder.
//   encoder: image [1,3,S,S] -> image_embeddings [1,256,64,64]; channel c of cell (i, j) is the
//            mean of input channel (c % 3) over the (S/64)² block of that cell, times (1 + c / 3).
//   decoder: (image_embeddings, point_coords [B,1,2] in the S frame, point_labels [B,1]) ->
//            masks [B,3,256,256]: logit of low-res pixel (u, v) for mask k is
//            slope × (radius[k] - distance((S/256)·(u + 0.5, v + 0.5), point)) + bias × e00,
//            e00 = image_embeddings[0, 0, 0, 0]; iou_predictions [B,3] = ious.
struct TinySam {
  int input_size = 1024;
  std::array<float, 3> radius{48.f, 96.f, 192.f};  // in the S frame
  float slope = 4.f;
  float bias = 0.f;
  std::array<float, 3> ious{0.97f, 0.93f, 0.80f};
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
};
// Returns the manifest path (dir / "sam.json").
std::filesystem::path write_tiny_sam(const std::filesystem::path& dir, const TinySam& model = {});

// CLIP, manifest family "clip", files image.pt (and text.pt), with a fake tokenizer pair.
//   image: pixels [B,3,S,S] -> embedding [B,D] = pool(pixels) · proj, pool = the means of an 8 × 8
//          grid of blocks per channel (192 values, channel-major, row-major), proj [192, D].
//   text:  tokens [B,L] int64 -> embedding [B,D] = Σ_l table[tokens[b,l] mod V], table [V, D].
struct TinyClip {
  int input_size = 224;  // divisible by 8
  int dim = 16;
  bool text = true;
  int vocab = 1000;
  int context_length = 77;
  std::uint32_t seed = 7;
  std::array<float, 3> mean{0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> std{0.26862954f, 0.26130258f, 0.27577711f};
  // Filled by write_tiny_clip: the weights written, row-major.
  std::vector<float> proj;   // 192 × dim
  std::vector<float> table;  // vocab × dim
};
// Returns the manifest path (dir / "clip.json").
std::filesystem::path write_tiny_clip(const std::filesystem::path& dir, TinyClip& model);

// Writes a manifest for files already in dir (checksums computed). `files` are role -> file name;
// the tensor specs are those of the family (see manifest.h). Returns the manifest path.
std::filesystem::path write_manifest(const std::filesystem::path& dir, const std::string& manifest_name,
                                     const std::string& family, int input_size, int embedding_dim,
                                     const std::vector<std::pair<std::string, std::string>>& files,
                                     const std::array<float, 3>& mean, const std::array<float, 3>& std,
                                     int context_length = 77);

// Benchmark models with random weights (seeded):
// a CLIP ViT-B/32-shaped image tower (224², patch 32, 12 blocks of width 768, 12 heads, MLP 3072,
// projection to 512) -> dir/vit_b32.json (family clip);
std::filesystem::path write_vit_b32_clip(const std::filesystem::path& dir);
// a SAM ViT-B-shaped image encoder (1024², patch 16, 12 blocks of width 768, 12 heads, windowed
// attention (16 × 16 windows) except blocks 2, 5, 8, 11 global, neck to 256 channels) plus the tiny
// decoder above -> dir/sam_vit_b.json (family sam).
std::filesystem::path write_vit_b_sam(const std::filesystem::path& dir);

}  // namespace ensemble::neural::testing
