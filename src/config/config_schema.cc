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
      {"segment.points_per_side", ValueType::kInt, std::int64_t{8}, 1, 32, {},
       "N of the N x N grid of point prompts (the reference design: 8; SAM: 32)"},
      {"segment.points_per_batch", ValueType::kInt, std::int64_t{64}, 1, 4096, {},
       "point prompts per decoder call"},
      {"segment.pred_iou_thresh", ValueType::kDouble, 0.88, 0, 1, {},
       "keep masks whose predicted IoU (confidence) is above this; 0 disables"},
      {"segment.stability_score_thresh", ValueType::kDouble, 0.95, 0, 1, {},
       "keep masks whose stability score is at least this; 0 disables"},
      {"segment.stability_score_offset", ValueType::kDouble, 1.0, 0, 100, {},
       "logit offset for the stability score"},
      {"segment.mask_threshold", ValueType::kDouble, 0.0, -100, 100, {},
       "logit above which a pixel is inside a mask"},
      {"segment.min_area_frac", ValueType::kDouble, 0.0005, 0, 1, {},
       "smallest region, as a fraction of the image area"},
      {"segment.max_area_frac", ValueType::kDouble, 0.9, 0, 1, {},
       "largest region, as a fraction of the image area"},
      {"segment.box_nms_thresh", ValueType::kDouble, 0.7, 0, 1, {},
       "box IoU above which the lower-scoring mask is dropped; 1 disables"},
      {"segment.min_hole_area_frac", ValueType::kDouble, 0.0005, 0, 1, {},
       "fill holes smaller than this fraction of the image; 0 disables"},
      {"segment.min_island_area_frac", ValueType::kDouble, 0.0005, 0, 1, {},
       "remove islands smaller than this fraction of the image; 0 disables"},
      {"segment.background_frame_frac", ValueType::kDouble, 0.25, 0, 1.01, {},
       "a region covering this share of the image border is background; 1.01 disables"},
      {"segment.background_colour_match", ValueType::kDouble, 0.75, 0, 1.01, {},
       "a border-touching region whose colours match the border's this well is background"},
      {"segment.skin_max_frac", ValueType::kDouble, 0.6, 0, 1.01, {},
       "drop regions with at least this share of skin-coloured pixels; 1.01 disables"},
      {"segment.min_thickness_frac", ValueType::kDouble, 0.012, 0, 1, {},
       "drop regions thinner than this fraction of the image's shorter side"},
      {"segment.containment_thresh", ValueType::kDouble, 0.9, 0, 1.01, {},
       "drop a region lying this much inside a larger kept one (near-duplicate)"},
      {"segment.containment_area_ratio", ValueType::kDouble, 0.8, 0, 1, {},
       "...when its area is at least this share of the larger one's"},
      {"segment.max_regions", ValueType::kInt, std::int64_t{64}, 1, 10000, {},
       "at most this many regions per image (highest scores kept)"},
      {"segment.max_contexts", ValueType::kInt, std::int64_t{4}, 1, 64, {},
       "at most this many outfit contexts (people) per image"},
      {"segment.context_gap_frac", ValueType::kDouble, 0.02, 0, 1, {},
       "a horizontal gap this wide (fraction of width) separates two outfits"},
      {"segment.classic_work_size", ValueType::kInt, std::int64_t{320}, 64, 2048, {},
       "classic segmenter: longer side of the working copy, pixels"},
      // [embed]
      {"embed.backend", ValueType::kString, std::string("classic"), 0, 0, {},
       "embedder factory string: classic | remote:URL | clip:MANIFEST.json"},
      {"embed.dim", ValueType::kInt, std::int64_t{512}, 8, 4096, {},
       "embedding dimension; the classic and clip embedders are 512"},
      {"embed.fit_samples", ValueType::kInt, std::int64_t{20000}, 2, 10000000, {},
       "classic: catalog images the PCA projection is fitted on (evenly spread by id)"},
      {"embed.refit", ValueType::kBool, false, 0, 0, {},
       "classic: fit a new projection even if one is stored (re-embeds everything)"},
      {"embed.remote_batch_size", ValueType::kInt, std::int64_t{16}, 1, 1024, {},
       "remote: images per HTTP request"},
      {"embed.remote_timeout_s", ValueType::kDouble, 30.0, 0.1, 3600, {},
       "remote: timeout of one request, seconds"},
      {"embed.remote_retries", ValueType::kInt, std::int64_t{3}, 0, 20, {},
       "remote: retries after a failed request, with exponential backoff"},
      // [index]
      {"index.backend", ValueType::kString, std::string("exact"), 0, 0, {},
       "vector index factory string: exact | hnsw:M=32,efC=200,ef=64"},
      // [match]
      {"match.products_per_region", ValueType::kInt, std::int64_t{10}, 1, 1000, {},
       "top-k products kept for each region"},
      {"match.regions_per_product", ValueType::kInt, std::int64_t{5}, 0, 10000, {},
       "top-k regions kept for each product (lookbooks where it fits)"},
      {"match.min_similarity", ValueType::kDouble, 0.0, -1, 1, {},
       "matches below this cosine similarity are dropped"},
      {"match.category_consistent", ValueType::kBool, false, 0, 0, {},
       "keep only a region's matches in its voted category (the vote is always stored)"},
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
