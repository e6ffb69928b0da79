#include "ensemble/embed/embedder.h"

#include <cmath>

#include "ensemble/embed/classic_embedder.h"
#include "ensemble/embed/remote_embedder.h"
#include "ensemble/util/error.h"

namespace ensemble::embed {

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
    throw Error(ErrorCode::kInvalidArgument,
                "embedder '" + std::string(spec) +
                    "': the CLIP/FashionCLIP embedder needs the LibTorch build, which is not available yet; "
                    "use 'classic' or 'remote:URL'");
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
