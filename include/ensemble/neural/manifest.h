// Model manifests: the small JSON file that sits next to a model's TorchScript (.pt) files and says
// what they are. Plain C++ (no torch): parsing, validation, checksums and the lineage id.
//
// A manifest (format documented in docs/MODELS.md, "The manifest"):
//
//   {"manifest_version": 1, "family": "clip", "name": "fashion-clip", "version": "1.0",
//    "input_size": 224, "mean": [0.4815, 0.4578, 0.4082], "std": [0.2686, 0.2613, 0.2758],
//    "embedding_dim": 512,
//    "files": {
//      "image": {"file": "image_tower.pt", "sha256": "<64 hex>",
//                "inputs":  [{"name": "pixels",    "shape": [-1, 3, 224, 224]}],
//                "outputs": [{"name": "embedding", "shape": [-1, 512]}]},
//      "text":  {...}},
//    "tokenizer": {"vocab": "vocab.json", "merges": "merges.txt", "context_length": 77}}
//
// File paths are relative to the manifest's folder. A shape entry of -1 is the batch (any size);
// a tensor entry may add "dtype": "int64" (text tokens); the default is "float32".
// mean/std are per RGB channel for pixel values scaled to [0, 1]: x' = (x / 255 - mean) / std.
//
// Roles by family:
//   "sam"   files "image_encoder" (image [1,3,S,S] -> image_embeddings [1,256,64,64]) and
//           "mask_decoder" (image_embeddings, point_coords [-1,1,2], point_labels [-1,1] ->
//           masks [-1,3,256,256] low-resolution logits, iou_predictions [-1,3]); S = input_size.
//   "clip"  file "image" (pixels [-1,3,S,S] -> embedding [-1,D]) and optionally "text"
//           (tokens [-1,L] int64 -> embedding [-1,D]) with a "tokenizer"; D = embedding_dim.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ensemble::neural {

// The manifest format version this build reads.
inline constexpr int kManifestVersion = 1;

struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;  // -1 = any size (the batch)
  std::string dtype = "float32";    // "float32" or "int64" (optional in the JSON; float32 if absent)

  std::string shape_string() const;  // "[-1, 3, 224, 224]"
};

struct ModelFile {
  std::string role;                 // "image_encoder", "mask_decoder", "image", "text"
  std::filesystem::path path;       // absolute (resolved against the manifest's folder)
  std::string sha256;               // 64 lowercase hex digits, as the manifest states it
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

struct TokenizerFiles {
  std::filesystem::path vocab;      // HF vocab.json (absolute)
  std::filesystem::path merges;     // HF merges.txt (absolute)
  int context_length = 77;
};

struct Manifest {
  std::filesystem::path path;       // the manifest file itself
  int manifest_version = kManifestVersion;
  std::string family;               // "sam" or "clip"
  std::string name;                 // e.g. "sam-vit-b", "fashion-clip"
  std::string version;              // the model's own version string
  int input_size = 0;               // square side the image tower/encoder takes (1024, 224)
  std::array<float, 3> mean{};      // RGB, for values in [0, 1]
  std::array<float, 3> std{};       // RGB, > 0
  int embedding_dim = 0;            // clip: D; sam: 256 (channels of the image embedding)
  std::vector<ModelFile> files;
  std::optional<TokenizerFiles> tokenizer;

  // The file of a role; throws Error(kBadInput) naming the manifest when it has none.
  const ModelFile& file(std::string_view role) const;
  const ModelFile* find(std::string_view role) const;

  // For lineage: "<name>@<version>#sha=<12 hex>", the hex being the first 12 digits of the SHA-256
  // of the files' checksums in role order. Changes whenever any model file changes.
  std::string id() const;
};

// Reads and validates a manifest: JSON syntax, manifest_version == kManifestVersion, required
// fields and their types, family (when `family` is non-empty it must match), the roles the family
// needs, that every listed file exists. Does not read the model files (see verify_checksums).
// Throws Error(kNotFound) for a missing manifest or model file, Error(kBadInput) for anything
// malformed or unsupported, Error(kInvalidArgument) for a family mismatch; every message names the
// manifest file and the field.
Manifest load_manifest(const std::filesystem::path& path, std::string_view family = {});

// Parses manifest text as if read from `path` (paths resolve against path's folder). Same checks.
Manifest parse_manifest(std::string_view json, const std::filesystem::path& path,
                        std::string_view family = {});

// Hashes every model file and compares with the manifest. Throws Error(kBadInput) naming the file,
// the expected and the actual checksum on a mismatch (a truncated or replaced file).
void verify_checksums(const Manifest& manifest);

// The JSON text of a manifest (what the export scripts and the tests write). Paths are written
// relative to `relative_to` when they lie inside it.
std::string to_json(const Manifest& manifest, const std::filesystem::path& relative_to);

}  // namespace ensemble::neural
