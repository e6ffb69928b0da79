// Settings of every segmenter: the prompt grid, SAM's automatic-mask-generation filters, and the
// region quality filters that turn masks into product candidates.
//
// One struct for all backends ("classic" and "sam:..."), so that the pipeline config, the lineage
// table and the CLI name the same keys. Each key of to_json()/from_json() is the field name below.
// Area and length thresholds are fractions of the image (not pixels), so one config means the same
// thing for a 320-px phone photo and a 4,000-px studio shot.
#pragma once

#include <string>
#include <string_view>

namespace ensemble::segment {

struct SegmenterConfig {
  // --- Prompts (SAM's automatic mask generator) ---------------------------------------------------
  // N of the N×N point grid. Default 8 (the reference design); SAM's own default is 32. Range 1..32.
  int points_per_side = 8;
  // Points sent to the prompt decoder per call. Default 64 (SAM's). Range 1..4096. Memory of one call
  // is points_per_batch × 3 × image pixels × 4 bytes of logits.
  int points_per_batch = 64;

  // --- SAM's candidate filters, in the order they run ---------------------------------------------
  // Keep candidates whose predicted IoU is > this. Default 0.88 (SAM's). 0 disables.
  float pred_iou_thresh = 0.88f;
  // Keep candidates whose stability score is >= this. Default 0.95 (SAM's). 0 disables.
  float stability_score_thresh = 0.95f;
  // Stability score = IoU(logits > mask_threshold + offset, logits > mask_threshold - offset).
  // Default 1.0 (SAM's).
  float stability_score_offset = 1.0f;
  // Pixels whose logit is > this are inside the mask. Default 0 (SAM's).
  float mask_threshold = 0.0f;
  // Keep masks whose area is in [min_area_frac, max_area_frac] of the image. Defaults 0.0005 and 0.9
  // (the reference design filtered by area; SAM itself keeps any area).
  double min_area_frac = 0.0005;
  double max_area_frac = 0.9;
  // Box non-maximum suppression by predicted IoU: drop a box whose IoU with a better one is > this.
  // Default 0.7 (SAM's). 1 disables.
  float box_nms_thresh = 0.7f;
  // Fill holes and remove islands smaller than this fraction of the image (SAM's
  // min_mask_region_area, as a fraction). Defaults 0.0005 each (about 500 px of a 1-megapixel image).
  // 0 disables.
  double min_hole_area_frac = 0.0005;
  double min_island_area_frac = 0.0005;

  // --- Region quality filters (regions that cannot be products), in the order they run -----------
  // Background: a region covering >= this share of the image frame (its 1-pixel outer border) is
  // background. Default 0.25. 1.01 disables.
  double background_frame_frac = 0.25;
  // Background: a region touching the frame whose colour histogram matches the frame's colour
  // histogram with intersection >= this is background too (cluttered floors split in pieces).
  // Default 0.75. 1.01 disables.
  double background_colour_match = 0.75;
  // Skin/face: a region whose pixels are skin-coloured (YCrCb rule) for >= this share is dropped.
  // Default 0.9 (garments in beige, camel or rust pass the rule too, so only near-pure skin goes). 1.01 disables.
  double skin_max_frac = 0.9;
  // ...unless the backend rates the region a product with at least this probability
  // (MaskCandidate::item_probability; the classic backend's region-quality model, which sees shape
  // and outline as well as colour: camel, tan and beige garments pass the colour rule). Backends
  // without that probability (SAM) drop by colour alone. Default 0.3. 1.01 disables.
  double skin_keep_item_prob = 0.3;
  // Too thin: a region whose thickness (twice its largest inscribed radius) is < this fraction of the
  // image's shorter side is dropped (seams, straps, edges). Default 0.012. 0 disables.
  double min_thickness_frac = 0.012;
  // Containment near-duplicates: a region lying >= containment_thresh inside a larger kept region
  // whose area is <= 1/containment_area_ratio of its own is dropped. Defaults 0.9 and 0.8. 1.01 disables.
  double containment_thresh = 0.9;
  double containment_area_ratio = 0.8;
  // At most this many regions per image, best score (predicted IoU × stability) first. Default 64.
  int max_regions = 64;
  // ...preferring regions that do not repeat a kept one: a region whose mask IoU with a better kept
  // region is > this only gets a slot left over by the others. Default 0.5. 1.01 disables (best
  // score only).
  double cap_overlap_iou = 0.5;

  // --- Outfit contexts ----------------------------------------------------------------------------
  // At most this many outfit contexts per image. Default 4. 1 puts every region in context 0.
  int max_contexts = 4;
  // A split into two outfits must leave each side this share of the regions' weight. Default 0.2.
  double context_min_share = 0.2;
  // ...and put their axes this fraction of the image width apart. Default 0.35.
  double context_min_separation = 0.35;

  // --- The classical segmenter -------------------------------------------------------------------
  // The classical segmenter works on a copy whose longer side is at most this many pixels and scales
  // its masks back. Default 320. Range 64..2048.
  int classic_work_size = 320;

  // --- Output ------------------------------------------------------------------------------------
  // Also return regions dropped by the quality filters (kept = false, drop_reason set). Default false.
  bool keep_dropped = false;

  // Throws Error(kInvalidArgument) naming the first field out of range.
  void validate() const;
  // Every field as a compact JSON object, keys in declaration order (for lineage and hashing).
  std::string to_json() const;
  // Starts from the defaults and applies the keys present. Throws Error(kInvalidArgument) on malformed
  // JSON, an unknown key or a value of the wrong type or range, naming the key.
  static SegmenterConfig from_json(std::string_view json);
};

bool operator==(const SegmenterConfig& a, const SegmenterConfig& b);

}  // namespace ensemble::segment
