// The LibTorch backends (clip: embedder, sam: segmenter, LibTorch's device and threads) are built into
// a plugin, libensemble_torch.so (src/torch), which a process loads the first time it needs one.
// LibTorch's own start-up (its operator registry, about half a second on the build machine) is then
// paid only by the processes that run a neural model, not by every command, request handler and
// pipeline stage (docs/MODELS.md, "The LibTorch plugin").
//
// The plugin is found, in order: at $ENSEMBLE_TORCH_PLUGIN; where this build put it; beside the
// executable. It exports one C symbol, ensemble_torch_backends(), returning the table below; the
// loader checks that the table was built from the same headers (abi and the sizes of the types that
// cross), so a plugin of another build is refused with a clear error instead of misread. The plugin
// keeps its own copies of the Ensemble code it uses (hidden, not exported), so anything process-wide
// it needs (the default runtime options) is passed in, never shared.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "ensemble/neural/runtime.h"

namespace ensemble::embed {
class Embedder;
struct EmbedderOptions;
}  // namespace ensemble::embed
namespace ensemble::segment {
class Segmenter;
struct SegmenterConfig;
}  // namespace ensemble::segment

namespace ensemble::neural {

struct TorchBackends {
  static constexpr int kAbi = 1;
  int abi = kAbi;
  // sizeof of the types passed by reference, as the plugin was compiled.
  std::size_t sizes[4] = {};
  std::string (*resolve_device)(std::string_view requested, std::string_view what) = nullptr;
  int (*configure_threads)(int threads) = nullptr;
  std::unique_ptr<embed::Embedder> (*make_clip_embedder)(const std::string& spec,
                                                         const std::filesystem::path& manifest,
                                                         const embed::EmbedderOptions& options) = nullptr;
  std::unique_ptr<segment::Segmenter> (*make_sam_segmenter)(const std::string& manifest,
                                                            const segment::SegmenterConfig& config,
                                                            const RuntimeOptions& runtime) = nullptr;
};

// The sizes the plugin fills in (slot: 0 the table, 1 EmbedderOptions, 2 SegmenterConfig, 3
// RuntimeOptions), computed by the same expression on both sides.
#define ENSEMBLE_TORCH_BACKENDS_SIZES                                                              \
  {sizeof(::ensemble::neural::TorchBackends), sizeof(::ensemble::embed::EmbedderOptions),           \
   sizeof(::ensemble::segment::SegmenterConfig), sizeof(::ensemble::neural::RuntimeOptions)}

// The plugin's table, loading it on first use (thread-safe; never unloaded). Throws Error(kInternal)
// naming the file and the reason when the plugin is missing, does not load, or its abi, table or
// RuntimeOptions size differ from this build's.
const TorchBackends& torch_backends();

// Throws Error(kInternal) unless the plugin's sizes[slot] is `size` (the caller's sizeof(type)): the
// embed and segment factories check the option types they pass.
void require_torch_size(const TorchBackends& backends, int slot, std::size_t size, const char* type);

// Where the plugin is looked for (the first path that exists, else the first candidate).
std::filesystem::path torch_plugin_path();

// Loads the plugin at `path` and checks its table, as torch_backends() does for torch_plugin_path()
// (without remembering it); never unloaded. Throws as torch_backends() does.
const TorchBackends& load_torch_backends(const std::filesystem::path& path);

}  // namespace ensemble::neural
