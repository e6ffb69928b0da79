// The product vector index kept beside the database: "<dir>/<stem>.index/products.idx" (+ ".hnsw"
// for HNSW), registered in the `vector_indexes` table with the embedder id, the backend spec and a
// content hash of what it holds (product rowids and the image each vector came from).
//
// sync_product_index() brings the file up to date with the `embeddings` table: nothing when the
// content hash matches; otherwise an incremental update (new and changed products added, deleted
// ones removed) when the stored index has the same model and backend; otherwise a rebuild. Index
// ids are products.rowid. Callers that write must hold the RunLock (the match stage does).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "ensemble/config/config.h"
#include "ensemble/index/vector_index.h"
#include "ensemble/store/store.h"

namespace ensemble::search {

struct IndexSyncReport {
  std::string action;  // "unchanged" | "updated" | "built"
  std::int64_t added = 0;
  std::int64_t removed = 0;
  std::int64_t size = 0;
  double seconds = 0;
};

std::filesystem::path product_index_path(const store::Store& store);

// The content hash of the product vectors of model_id in the store.
std::string product_content_hash(store::Store& store, const std::string& model_id);

// Brings the index file up to date and returns it loaded. run_id: recorded in vector_indexes.
std::unique_ptr<index::VectorIndex> sync_product_index(store::Store& store,
                                                       const config::Config& config,
                                                       const std::string& model_id,
                                                       std::int64_t run_id, IndexSyncReport* report);

// Loads the index for querying. Throws Error(kNotFound) when there is none yet ("run the pipeline"),
// Error(kConflict) when it is stale (the catalog's vectors changed since it was built, or it was
// built for another embedder) — never silently answers from an outdated index.
std::unique_ptr<index::VectorIndex> load_product_index(store::Store& store,
                                                       const std::string& model_id);

}  // namespace ensemble::search
