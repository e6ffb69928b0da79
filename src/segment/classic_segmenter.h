// The weight-free segmenter behind "classic" (internal; built through make_segmenter).
#pragma once

#include <memory>

#include "ensemble/segment/segmenter.h"

namespace ensemble::segment {

// The classic segmenter's id(): "classic" plus the version of its algorithm, so that lineage (the
// segment stage fingerprints id() + config) changes when the algorithm does. make_segmenter accepts
// "classic" and this id. v2: the skin rule's hue test and the cap's deferral of backdrop-coloured
// regions; v3: the region-quality model (gradient-boosted trees) as the score (docs/SEGMENTATION.md).
inline constexpr char kClassicSegmenterId[] = "classic#v3";

std::unique_ptr<Segmenter> make_classic_segmenter(const SegmenterConfig& config);

}  // namespace ensemble::segment
