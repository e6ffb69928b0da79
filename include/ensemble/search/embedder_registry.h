// Opening the embedder that made the stored vectors, for queries and for the pipeline.
#pragma once

#include <memory>

#include "ensemble/config/config.h"
#include "ensemble/embed/embedder.h"
#include "ensemble/neural/runtime.h"
#include "ensemble/store/store.h"

namespace ensemble::search {

// The embedder of config [embed] as stored in this database: for "classic", with the active
// projection from the `models` table (the unfitted classic embedder when none is stored); other
// backends from their spec. Throws Error(kBadInput) when the stored projection is unreadable.
std::unique_ptr<embed::Embedder> open_embedder(store::Store& store, const config::Config& config);

// The embedder options of config [embed] and [pipeline] (threads, remote settings, and for neural
// backends pipeline.device, pipeline.threads and pipeline.batch_size).
embed::EmbedderOptions embedder_options(const config::Config& config);

// The neural runtime settings of config [pipeline] (device, threads, batch size). Backends built
// from a spec alone (make_segmenter("sam:...")) read neural::default_runtime(): a face or stage that
// builds one sets it first with neural::set_default_runtime(neural_runtime(config)).
neural::RuntimeOptions neural_runtime(const config::Config& config);

}  // namespace ensemble::search
