// The weight-free segmenter behind "classic" (internal; built through make_segmenter).
#pragma once

#include <memory>

#include "ensemble/segment/segmenter.h"

namespace ensemble::segment {

std::unique_ptr<Segmenter> make_classic_segmenter(const SegmenterConfig& config);

}  // namespace ensemble::segment
