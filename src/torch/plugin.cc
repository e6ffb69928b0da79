// libensemble_torch.so: the LibTorch backends behind one exported C symbol (neural/torch_plugin.h).
// Everything else in the plugin, the Ensemble code linked into it included, is hidden.
#include "embed/clip_embedder.h"
#include "ensemble/embed/embedder.h"
#include "ensemble/segment/segmenter_config.h"
#include "neural/torch_module.h"
#include "neural/torch_plugin.h"
#include "segment/torch_sam_model.h"

namespace {

using namespace ensemble;

// make_clip_embedder without its test-only tokenizer parameter.
std::unique_ptr<embed::Embedder> make_clip(const std::string& spec, const std::filesystem::path& manifest,
                                           const embed::EmbedderOptions& options) {
  return embed::make_clip_embedder(spec, manifest, options);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const ensemble::neural::TorchBackends* ensemble_torch_backends() {
  static const ensemble::neural::TorchBackends backends{ensemble::neural::TorchBackends::kAbi,
                                                        ENSEMBLE_TORCH_BACKENDS_SIZES,
                                                        &ensemble::neural::torch_resolve_device,
                                                        &ensemble::neural::torch_configure_threads,
                                                        &make_clip,
                                                        &ensemble::segment::make_torch_sam_segmenter};
  return &backends;
}
