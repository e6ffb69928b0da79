// Constructors of the built-in stages (private to the pipeline module; see stage_registry.cc).
#pragma once

#include <memory>

#include "ensemble/config/config.h"
#include "ensemble/pipeline/stage.h"
#include "ensemble/segment/segmenter_config.h"

namespace ensemble::pipeline {

std::unique_ptr<Stage> make_segment_stage();

// The segmenter settings of the pipeline config's [segment] section.
segment::SegmenterConfig segmenter_config_from(const config::Config& config);

}  // namespace ensemble::pipeline
