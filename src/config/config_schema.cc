// The single table of configuration keys. Add a key here and it is parsed, validated, overridable,
// written by `ensemble init`, and recorded in lineage.
#include "ensemble/config/config.h"

namespace ensemble::config {

using S = std::vector<std::string>;

const std::vector<KeySpec>& schema() {
  static const std::vector<KeySpec> kSchema = {
      // [pipeline]
      {"pipeline.stages", ValueType::kStringList,
       S{"segment", "embed", "match", "cooccur", "recommend"}, 0, 0,
       {"segment", "embed", "match", "cooccur", "recommend"},
       "stages `ensemble run` executes, in this order"},
      {"pipeline.threads", ValueType::kInt, std::int64_t{0}, 0, 256, {},
       "worker threads; 0 = one per core"},
      {"pipeline.batch_size", ValueType::kInt, std::int64_t{64}, 1, 65536, {},
       "images or vectors per batch in the embed and match stages"},
      {"pipeline.device", ValueType::kString, std::string("cpu"), 0, 0, {"cpu", "cuda", "auto"},
       "where neural backends run"},
      // [import]
      {"import.max_megapixels", ValueType::kDouble, 40.0, 0.01, 1000, {},
       "images declaring more pixels are refused before decoding"},
      {"import.max_file_mb", ValueType::kDouble, 64.0, 0.001, 4096, {},
       "image files larger than this are refused"},
      // [segment]
      {"segment.backend", ValueType::kString, std::string("classic"), 0, 0, {},
       "segmenter factory string: classic | sam:ENCODER.pt,DECODER.pt"},
      {"segment.grid", ValueType::kInt, std::int64_t{8}, 1, 32, {},
       "N for the N x N grid of point prompts"},
      {"segment.points_per_batch", ValueType::kInt, std::int64_t{64}, 1, 1024, {},
       "point prompts per decoder call"},
      {"segment.pred_iou_thresh", ValueType::kDouble, 0.88, 0, 1, {},
       "keep masks whose predicted IoU (confidence) is at least this"},
      {"segment.stability_score_thresh", ValueType::kDouble, 0.95, 0, 1, {},
       "keep masks whose stability score is at least this"},
      {"segment.stability_score_offset", ValueType::kDouble, 1.0, 0, 100, {},
       "logit offset for the stability score"},
      {"segment.box_nms_thresh", ValueType::kDouble, 0.7, 0, 1, {},
       "box IoU above which the lower-scoring mask is dropped"},
      {"segment.min_area_frac", ValueType::kDouble, 0.002, 0, 1, {},
       "smallest region, as a fraction of the image area"},
      {"segment.max_area_frac", ValueType::kDouble, 0.6, 0, 1, {},
       "largest region, as a fraction of the image area"},
      {"segment.max_regions", ValueType::kInt, std::int64_t{70}, 1, 10000, {},
       "at most this many regions per image (highest scores kept)"},
      // [embed]
      {"embed.backend", ValueType::kString, std::string("classic"), 0, 0, {},
       "embedder factory string: classic | remote:URL | clip:MANIFEST.json"},
      {"embed.dim", ValueType::kInt, std::int64_t{512}, 8, 4096, {},
       "embedding dimension (classic: projection size)"},
      // [index]
      {"index.backend", ValueType::kString, std::string("exact"), 0, 0, {},
       "vector index factory string: exact | hnsw:M=32,efC=200,ef=64"},
      // [match]
      {"match.products_per_region", ValueType::kInt, std::int64_t{10}, 1, 1000, {},
       "top-k products kept for each region"},
      {"match.regions_per_product", ValueType::kInt, std::int64_t{20}, 0, 10000, {},
       "top-k regions kept for each product (lookbooks where it fits)"},
      {"match.min_similarity", ValueType::kDouble, 0.0, -1, 1, {},
       "matches below this cosine similarity are dropped"},
      // [cooccur]
      {"cooccur.scoring", ValueType::kString, std::string("ensemble"), 0, 0,
       {"ensemble", "reference"},
       "pair scoring: ensemble (association score) | reference (raw counts, outlier cut)"},
      {"cooccur.min_support", ValueType::kInt, std::int64_t{1}, 1, 1000000, {},
       "pairs seen in fewer lookbooks are ignored"},
      // [recommend]
      {"recommend.per_product", ValueType::kInt, std::int64_t{20}, 1, 1000, {},
       "recommendations stored per product"},
  };
  return kSchema;
}

}  // namespace ensemble::config
