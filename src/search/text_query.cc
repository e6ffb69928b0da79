#include "ensemble/search/text_query.h"

#include "ensemble/search/embedder_registry.h"
#include "ensemble/util/error.h"

namespace ensemble::search {
namespace {

bool may_have_text(const config::Config& config) {
  return config.get_string("embed.backend").rfind("clip:", 0) == 0;
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

TextMode text_mode(store::Store& store, const config::Config& config) {
  if (!may_have_text(config)) return TextMode::kFts;
  return open_embedder(store, config)->has_text() ? TextMode::kSemantic : TextMode::kFts;
}

std::vector<SearchHit> search_text(store::Store& store, const config::Config& config, const std::string& text,
                                   const SearchOptions& options, TextMode* mode) {
  if (blank(text)) throw Error(ErrorCode::kInvalidArgument, "the text query is empty");
  if (may_have_text(config)) {
    const Searcher searcher(store, config);
    if (searcher.embedder().has_text()) {
      const std::vector<std::string> texts{text};
      const embed::Embeddings q = searcher.embedder().embed_text(texts);
      if (mode) *mode = TextMode::kSemantic;
      return searcher.by_vector(q.row_span(0), options);
    }
  }
  if (mode) *mode = TextMode::kFts;
  return Searcher::by_text(store, text, options);
}

}  // namespace ensemble::search
