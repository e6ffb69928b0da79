// Text queries (`ensemble search --text`, the server's text search): semantic when the embedder
// that made the stored vectors has a text tower (a clip: model with a text file), FTS5 otherwise.
#pragma once

#include <string>
#include <vector>

#include "ensemble/config/config.h"
#include "ensemble/search/searcher.h"
#include "ensemble/store/store.h"

namespace ensemble::search {

enum class TextMode { kFts, kSemantic };

// Whether a text query against this config's stored embedder is answered by the text tower.
// Opens the embedder only for a clip: backend (the others have no text tower). Throws as
// open_embedder() does for a clip: model that fails to load.
TextMode text_mode(store::Store& store, const config::Config& config);

// Answers a text query: with the text tower, the query embedded by Embedder::embed_text() and
// searched like an image (scores are cosines; options' category filter applies); otherwise
// Searcher::by_text() (FTS5). *mode (when given) receives which one answered. Throws
// Error(kInvalidArgument) for an empty query, and as Searcher's constructor for the product index.
std::vector<SearchHit> search_text(store::Store& store, const config::Config& config, const std::string& text,
                                   const SearchOptions& options, TextMode* mode = nullptr);

}  // namespace ensemble::search
