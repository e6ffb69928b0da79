#include "ensemble/search/embedder_registry.h"


#include "ensemble/embed/classic_embedder.h"
#include "ensemble/embed/projection.h"
#include "ensemble/neural/runtime.h"
#include "ensemble/util/error.h"
#include "ensemble/util/parallel.h"

namespace ensemble::search {

embed::EmbedderOptions embedder_options(const config::Config& config) {
  embed::EmbedderOptions opts;
  opts.threads = resolve_threads(static_cast<int>(config.get_int("pipeline.threads")));
  opts.remote.dim = static_cast<int>(config.get_int("embed.dim"));
  opts.remote.batch_size = static_cast<int>(config.get_int("embed.remote_batch_size"));
  opts.remote.timeout_s = config.get_double("embed.remote_timeout_s");
  opts.remote.max_retries = static_cast<int>(config.get_int("embed.remote_retries"));
  const neural::RuntimeOptions rt = neural_runtime(config);
  opts.device = rt.device;
  opts.neural_threads = rt.threads;
  opts.batch_size = rt.batch_size;
  return opts;
}

neural::RuntimeOptions neural_runtime(const config::Config& config) {
  neural::RuntimeOptions rt;
  rt.device = config.get_string("pipeline.device");
  rt.threads = static_cast<int>(config.get_int("pipeline.threads"));  // 0 = automatic (runtime.h)
  rt.batch_size = static_cast<int>(config.get_int("pipeline.batch_size"));
  return rt;
}

std::unique_ptr<embed::Embedder> open_embedder(store::Store& store, const config::Config& config) {
  const std::string spec = config.get_string("embed.backend");
  const embed::EmbedderOptions opts = embedder_options(config);
  if (spec != "classic") return embed::make_embedder(spec, opts);
  auto st = store.db().prepare(
      "SELECT file_sha, file_ext FROM models WHERE kind = 'projection' AND active = 1");
  std::shared_ptr<const embed::Projection> projection;
  if (st.step()) {
    const auto path = store.media().path_for(st.column_text(0), st.column_text(1));
    try {
      auto p = std::make_shared<const embed::Projection>(embed::Projection::load(path));
      if (p->descriptor_id() == embed::ClassicEmbedder::descriptor_id()) projection = std::move(p);
    } catch (const Error& e) {
      throw Error(ErrorCode::kBadInput, std::string("the stored projection is unreadable (") +
                                            e.what() +
                                            "); run `ensemble --set embed.refit=true run` to fit a new one");
    }
  }
  return std::make_unique<embed::ClassicEmbedder>(opts.threads, projection);
}

}  // namespace ensemble::search
