// Constructors of the built-in stages (private to the pipeline module; see stage_registry.cc).
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "ensemble/config/config.h"
#include "ensemble/pipeline/stage.h"
#include "ensemble/embed/embedder.h"
#include "ensemble/segment/segmenter.h"
#include "ensemble/segment/segmenter_config.h"
#include "ensemble/store/store.h"

namespace ensemble::pipeline {

std::unique_ptr<Stage> make_segment_stage();
std::unique_ptr<Stage> make_embed_stage();
std::unique_ptr<Stage> make_index_stage();
std::unique_ptr<Stage> make_match_stage();
std::unique_ptr<Stage> make_cooccur_stage();
std::unique_ptr<Stage> make_recommend_stage();

// The segmenter settings of the pipeline config's [segment] section.
segment::SegmenterConfig segmenter_config_from(const config::Config& config);
// The segmenter of config [segment], its neural runtime (device, threads) from [pipeline] set first
// so a sam: model runs where the config says. Throws like segment::make_segmenter().
std::unique_ptr<segment::Segmenter> open_segmenter(const config::Config& config,
                                                   bool keep_dropped = false);

// The embedder of the pipeline config's [embed] section. For "classic", the active stored
// projection; when none is stored (or embed.refit) and allow_fit, fits one on the catalog, stores
// it in the media folder and the `models` table (recording run_id), and notes it in *stats.
// Without allow_fit and no stored projection: the unfitted classic embedder.
std::unique_ptr<embed::Embedder> make_stage_embedder(store::Store& store,
                                                     const config::Config& config, bool allow_fit,
                                                     std::int64_t run_id, bool quiet,
                                                     nlohmann::json* stats);

}  // namespace ensemble::pipeline
