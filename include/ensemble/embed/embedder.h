// Embedders: images (or masked regions of images) -> L2-normalised float vectors in one space.
//
// Products and lookbook regions go through the *same* embedder so their vectors are comparable by
// inner product (= cosine). Implementations, chosen by a factory spec that also appears in config
// and, extended by a version, in the lineage table (Embedder::id()):
//
//   "classic"          weight-free colour + shape + texture descriptor projected to 512 dims
//                      (ClassicEmbedder, classic_embedder.h). The default.
//   "remote:URL"       a model-serving HTTP endpoint (RemoteEmbedder, remote_embedder.h); wire
//                      format in docs/EMBEDDINGS.md.
//   "clip:MANIFEST"    a CLIP/FashionCLIP TorchScript image tower (+ optional text tower) described
//                      by a model manifest (docs/MODELS.md); needs the LibTorch build
//                      (ENSEMBLE_WITH_TORCH). Whole images get CLIP's own preprocessing (shortest
//                      side resized, centre crop); masked regions are prepared as below first.
//
// Input convention shared by every embedder (see docs/EMBEDDINGS.md, "Preparing a crop"):
//   images[i]  CV_8UC3 (BGR, as cv::imread returns), CV_8UC1 (grey) or CV_8UC4 (BGRA), any size.
//   masks      empty (whole images), or one cv::Mat per image: CV_8UC1 of the image's size,
//              non-zero = the region's pixels; an empty cv::Mat in the list means "whole image".
// A masked region is embedded from its crop: the mask's bounding box, pixels outside the mask
// painted white, padded to a square with white, so that it looks like a catalog photo on a light
// studio background. An unmasked image has near-white borders trimmed the same way, so a product
// photo and a tight region of the same garment see the same framing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace ensemble::embed {

// A dense row-major float matrix: rows × dim, row i at values[i * dim].
struct Embeddings {
  std::int64_t rows = 0;
  int dim = 0;
  std::vector<float> values;

  Embeddings() = default;
  Embeddings(std::int64_t rows, int dim)
      : rows(rows), dim(dim), values(static_cast<std::size_t>(rows) * dim) {}
  float* row(std::int64_t i) { return values.data() + i * dim; }
  const float* row(std::int64_t i) const { return values.data() + i * dim; }
  std::span<const float> row_span(std::int64_t i) const { return {row(i), static_cast<std::size_t>(dim)}; }
};

// Options of the HTTP embedder ("remote:URL"). Defaults suit a FashionCLIP-style endpoint.
struct RemoteOptions {
  int dim = 512;                   // expected vector length; a response with another is an error
  int batch_size = 16;             // images per POST
  double connect_timeout_s = 5;
  double timeout_s = 30;           // read and write timeout of one request
  int max_retries = 3;             // extra attempts after a retryable failure (so 4 tries in all)
  double backoff_initial_s = 0.25; // wait before the first retry; doubles each time (with jitter)
  double backoff_max_s = 8;
  int image_side = 224;            // crops are sent as squares of this side
  std::string image_format = "jpeg";  // "jpeg" or "png"
  int jpeg_quality = 92;
  std::string bearer_token;        // sent as "Authorization: Bearer ..." when non-empty
};

struct EmbedderOptions {
  // Worker threads for the batch-parallel parts (decoding crops, descriptors). 0 = all cores.
  int threads = 0;
  // "classic": a projection file written by Projection::save() (fitted on the catalog). Empty =
  // the built-in deterministic random projection (see classic_embedder.h).
  std::filesystem::path projection;
  RemoteOptions remote;
  // Neural backends ("clip:"): the device ("cpu", "cuda" or "auto"), LibTorch's intra-op threads
  // (0 = automatic, see ensemble/neural/runtime.h) and images per forward pass.
  std::string device = "cpu";
  int neural_threads = 0;
  int batch_size = 16;
};

// Thread-safety: embed() is const and may be called from several threads at once on one object;
// every implementation keeps no mutable state between calls.
class Embedder {
 public:
  virtual ~Embedder() = default;

  // The model id for lineage: the canonical factory spec, then '#'-separated version fields, e.g.
  //   "classic#v1"                       (unfitted: built-in random projection)
  //   "classic#v1#pca=3fa9c2d1e0b4"      (fitted projection; 12 hex digits of its SHA-256)
  //   "remote:http://host:8080/embed#v1#dim=512"
  // Two embedders with the same id produce the same vectors; spec_of_id(id()) rebuilds the kind.
  virtual std::string id() const = 0;
  virtual int dim() const = 0;

  // Embeds a batch. Returns images.size() × dim(), each row L2-normalised (norm 1 ± 1e-5).
  // masks: empty or masks.size() == images.size() (see the file comment).
  // Throws Error(kInvalidArgument) for mismatched sizes or unsupported pixel types,
  // Error(kBadInput) for an empty image or an empty mask, and implementation-specific errors
  // (remote: kIo for an unreachable or failing endpoint, kBadInput for a malformed response).
  // An error fails the whole batch: nothing partial is returned.
  virtual Embeddings embed(std::span<const cv::Mat> images,
                           std::span<const cv::Mat> masks = {}) const = 0;

  // The side of the square crop the model looks at: finer detail in an input is lost. Callers
  // that make images for it (query views) keep at most twice this. Default: 224 (CLIP's towers).
  virtual int input_side() const { return 224; }

  // Text tower (CLIP-style embedders): true when embed_text() maps text into the same space as
  // embed(), so a text query can be answered by vector search. Default: false.
  virtual bool has_text() const { return false; }
  // Embeds texts: texts.size() × dim(), rows L2-normalised. Same thread-safety as embed().
  // Default (no text tower): throws Error(kInvalidArgument).
  virtual Embeddings embed_text(std::span<const std::string> texts) const;
};

// Builds an embedder from its spec ("classic", "remote:http://...", "clip:..."; see above).
// Throws Error(kInvalidArgument) for an unknown or malformed spec (and for "clip:" in a build without
// LibTorch, or with device "cuda" where there is none), Error(kNotFound)/Error(kBadInput) for a
// missing or corrupt projection file, manifest or model file (a "clip:" model is checked against its
// manifest when it is built, never at the first query). "clip:MANIFEST#..." (an id) is accepted.
std::unique_ptr<Embedder> make_embedder(std::string_view spec, const EmbedderOptions& options = {});

// The factory spec inside an id: "classic#v1#pca=..." -> "classic".
std::string spec_of_id(std::string_view id);

// L2-normalises each row in place. Rows of norm 0 (or not finite) throw Error(kBadInput) with
// `what` in the message.
void normalize_rows(Embeddings& m, std::string_view what);

}  // namespace ensemble::embed
