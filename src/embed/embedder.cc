#include "ensemble/embed/embedder.h"

#include <cmath>

#include "ensemble/embed/classic_embedder.h"
#include "ensemble/embed/remote_embedder.h"
#include "ensemble/util/error.h"
#if ENSEMBLE_WITH_TORCH
#include "neural/torch_plugin.h"
#endif

namespace ensemble::embed {

Embeddings Embedder::embed_text(std::span<const std::string>) const {
  throw Error(ErrorCode::kInvalidArgument, "embedder " + id() + " has no text tower (text queries need a clip: model)");
}

std::unique_ptr<Embedder> make_embedder(std::string_view spec, const EmbedderOptions& options) {
  if (spec.empty() || spec == "classic") {
    std::shared_ptr<const Projection> projection;
    if (!options.projection.empty()) projection = std::make_shared<const Projection>(Projection::load(options.projection));
    return std::make_unique<ClassicEmbedder>(options.threads, std::move(projection));
  }
  if (spec.starts_with("remote:")) {
    return std::make_unique<RemoteEmbedder>(std::string(spec.substr(7)), options.remote, options.threads);
  }
  if (spec.starts_with("clip:")) {
    // An id ("clip:M.json#v1#name@ver#sha=...") names the same model: drop the version fields.
    const std::string canonical = spec_of_id(spec);
    const std::string manifest = canonical.substr(5);
    if (manifest.empty()) {
      throw Error(ErrorCode::kInvalidArgument, "embedder '" + std::string(spec) + "': expected clip:MANIFEST.json");
    }
#if ENSEMBLE_WITH_TORCH
    // The LibTorch CLIP embedder lives in the plugin (loaded now, on first use).
    const auto& torch = neural::torch_backends();
    neural::require_torch_size(torch, 1, sizeof(EmbedderOptions), "EmbedderOptions");
    return torch.make_clip_embedder(canonical, manifest, options);
#else
    throw Error(ErrorCode::kInvalidArgument,
                "embedder '" + std::string(spec) +
                    "': this Ensemble was built without LibTorch (ENSEMBLE_WITH_TORCH=OFF), so the "
                    "CLIP/FashionCLIP embedder cannot run; install libtorch-dev and rebuild, or use "
                    "'classic' or 'remote:URL'");
#endif
  }
  throw Error(ErrorCode::kInvalidArgument, "unknown embedder '" + std::string(spec) +
                                               "': expected 'classic', 'remote:URL' or 'clip:MANIFEST'");
}

std::string spec_of_id(std::string_view id) { return std::string(id.substr(0, id.find('#'))); }

void normalize_rows(Embeddings& m, std::string_view what) {
  for (std::int64_t i = 0; i < m.rows; ++i) {
    float* r = m.row(i);
    double ss = 0;
    for (int j = 0; j < m.dim; ++j) ss += static_cast<double>(r[j]) * r[j];
    if (!(ss > 0) || !std::isfinite(ss)) {
      throw Error(ErrorCode::kBadInput, std::string(what) + " row " + std::to_string(i) +
                                            (std::isfinite(ss) ? " is all zeros" : " has a non-finite value") +
                                            "; cannot normalise it");
    }
    float inv = static_cast<float>(1.0 / std::sqrt(ss));
    for (int j = 0; j < m.dim; ++j) r[j] *= inv;
  }
}

}  // namespace ensemble::embed
