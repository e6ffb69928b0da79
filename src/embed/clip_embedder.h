// The LibTorch CLIP/FashionCLIP embedder ("clip:MANIFEST"); compiled only with ENSEMBLE_WITH_TORCH,
// into the LibTorch plugin (neural/torch_plugin.h) and the tests.
// No torch types here: the torch side is inside clip_embedder.cc.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "ensemble/embed/embedder.h"

namespace ensemble::embed {

// Text -> exactly context_length token ids ([sot, ..., eot, 0...]).
using TextTokenizer = std::function<std::vector<std::int64_t>(const std::string& text, int context_length)>;

// Loads the manifest (family "clip"), verifies the checksums, resolves the device (options.device),
// sets LibTorch's threads (options.neural_threads), loads the image tower (and the text tower when
// the manifest has one) and dry-runs them against the manifest. `tokenizer` replaces the manifest's
// tokenizer files (tests); empty = ClipTokenizer::from_hf(manifest's vocab, merges).
// `spec` is what id() starts with (normally "clip:" + the manifest path as given).
// Throws as make_embedder() documents.
std::unique_ptr<Embedder> make_clip_embedder(const std::string& spec, const std::filesystem::path& manifest,
                                             const EmbedderOptions& options, TextTokenizer tokenizer = {});

}  // namespace ensemble::embed
