// Reading and writing the recommender's tables: pairs, slot_stats (schema v4) and
// recommendation_lists (schema v5; docs/SCHEMA.md). Writers expect the caller's transaction around them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/recommend/cooccurrence.h"
#include "ensemble/recommend/evidence.h"
#include "ensemble/recommend/recommender.h"
#include "ensemble/recommend/slot_learner.h"
#include "ensemble/store/database.h"

namespace ensemble::recommend {

// Replaces the rows of table.scoring. Returns rows written.
std::int64_t write_pairs(store::Database& db, const PairTable& table, const Catalog& catalog,
                         std::int64_t run_id);
// The stored pairs of one scoring (lookbook_ids rebuilt from the evidence lists; occurrence is not
// stored and left empty).
PairTable read_pairs(store::Database& db, const std::string& scoring, const Catalog& catalog);

// Replaces the slot table of a scoring.
void write_slot_model(store::Database& db, const std::string& scoring, const SlotModel& model,
                      std::int64_t run_id);
// The stored slot table; SlotModel::rules() when none is stored.
SlotModel read_slot_model(store::Database& db, const std::string& scoring);
// The same model restricted to one seed slot (its completions, source and support; other seeds
// absent): what a reason for that seed needs, without reading the whole table.
SlotModel read_slot_model_for(store::Database& db, const std::string& scoring,
                              const std::string& seed_slot);

// The stored form of one list (recommendation_lists.items, docs/SCHEMA.md): a JSON array with one
// array per recommendation, best first: [product, slot, score (7 significant digits), support,
// [lookbook ids, the first kStoredLookbooks], source, via (product id or null), net votes].
// Equal lists encode to equal text; the recommend stage rewrites a list only when its text changed.
struct EncodedList {
  std::string items;
  std::int32_t n = 0;  // recommendations
};
inline constexpr size_t kStoredLookbooks = 10;
EncodedList encode_list(const std::vector<Recommendation>& list, const Catalog& catalog,
                        const std::vector<std::string>& lookbook_ids);
// Stores the lists of `products` (catalog indices; lists[i] belongs to catalog index i): each
// replaces that product's stored list, and an empty one removes it. Returns recommendations written.
std::int64_t write_lists(store::Database& db, const Catalog& catalog,
                         const std::vector<EncodedList>& lists,
                         const std::vector<std::int32_t>& products, std::int64_t run_id);
// Recommendations stored over every list, and the lists: one pass over the table.
struct StoredCounts {
  std::int64_t recommendations = 0;
  std::int64_t lists = 0;
};
StoredCounts stored_counts(store::Database& db);

// Small state a batch job keeps between runs: a stage_items row (stage, item "@name") whose
// fingerprint says what the value was computed from and whose detail holds it as JSON.
struct StoredState {
  std::string fingerprint;
  nlohmann::json value;
  std::int64_t run_id = 0;
};
// nullopt when absent or its detail is not JSON.
std::optional<StoredState> read_state(store::Database& db, const std::string& stage,
                                      const std::string& item);
void write_state(store::Database& db, const std::string& stage, const std::string& item,
                 const std::string& fingerprint, const nlohmann::json& value, std::int64_t run_id);

// One stored recommendation, as the queries print it.
struct StoredRecommendation {
  std::string product;
  std::string slot;
  double score = 0;
  std::int32_t support = 0;
  std::vector<std::string> evidence;  // lookbook ids
  std::string source;                 // pairs | neighbours | feedback
  std::string via;                    // neighbours: the look-alike product id
  int feedback = 0;
  std::string reason;                 // not stored: the queries rebuild it from the evidence
  // The recommended product's catalog row (read with the list).
  std::string title, category, image_sha, image_ext;
  std::string image;  // set by the queries: the media path of image_sha/image_ext

  // Without the catalog fields when they are empty.
  nlohmann::json to_json() const;
};
// The stored list of a product, best first, with each recommended product's title, category and
// image; at most `limit` entries when limit >= 0. An entry whose product has left the catalog is
// skipped. Entries are read only as far as `limit` needs: a list that is not JSON throws
// Error(kIo) when the damage lies within what is read.
std::vector<StoredRecommendation> read_recommendations(store::Database& db,
                                                       const std::string& product_id,
                                                       int limit = -1);

}  // namespace ensemble::recommend
