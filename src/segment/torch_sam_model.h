// The LibTorch SamModel ("sam:MANIFEST"); compiled only with ENSEMBLE_WITH_TORCH, into the LibTorch
// plugin (neural/torch_plugin.h) and the tests. No torch types here.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "ensemble/neural/runtime.h"
#include "ensemble/segment/sam_model.h"

namespace ensemble::segment {

// Loads a "sam" manifest (docs/MODELS.md): verifies checksums, resolves runtime.device, sets
// LibTorch's threads, loads the image encoder and the mask decoder and dry-runs both against the
// manifest. The model:
//   encode()  BGR -> RGB, longest side resized to input_size (S), normalised by the manifest's
//             mean/std, padded to S × S -> encoder -> [1, 256, 64, 64];
//   decode()  points scaled into the S frame (x · new_w / w), label 1 each -> decoder -> 3 masks of
//             low-res logits per point (bilinear to S × S, cropped to the resized image, bilinear to
//             the original size) and 3 predicted IoUs.
// Throws Error(kNotFound)/Error(kBadInput) naming the file and the problem, Error(kInvalidArgument)
// for a device that is not available. *model_id (when given) receives the manifest's id().
std::unique_ptr<SamModel> load_torch_sam_model(const std::filesystem::path& manifest,
                                               const neural::RuntimeOptions& runtime,
                                               std::string* model_id = nullptr);

// make_segmenter's hook for "sam:MANIFEST" (through the LibTorch plugin, neural/torch_plugin.h):
// the segmenter's id() is "sam:MANIFEST#v2#<manifest id>", which make_segmenter() accepts back.
// `runtime`: make_segmenter passes neural::default_runtime().
std::unique_ptr<Segmenter> make_torch_sam_segmenter(const std::string& manifest, const SegmenterConfig& config,
                                                    const neural::RuntimeOptions& runtime);

}  // namespace ensemble::segment
