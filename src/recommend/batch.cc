#include "ensemble/recommend/batch.h"

#include "ensemble/util/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>

#include "ensemble/recommend/affinity.h"
#include "ensemble/recommend/queries.h"
#include "ensemble/recommend/recommend_store.h"
#include "ensemble/recommend/slot_learner.h"
#include "ensemble/store/store.h"

namespace ensemble::recommend {

namespace {
double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// 64-bit hashing for the per-list input and output digests (not cryptographic: a digest only
// decides whether a list is recomputed or rewritten; sha256 over every list would cost more than
// the lists).
std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
std::uint64_t hash_text(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {  // FNV-1a
  for (const unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return mix(h);
}
std::uint64_t hash_step(std::uint64_t h, std::uint64_t v) { return mix(h ^ mix(v + 0x51ed27)); }
std::uint64_t bits(double v) {
  std::uint64_t u = 0;
  std::memcpy(&u, &v, sizeof u);
  return u;
}
std::string hex(std::uint64_t v) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kDigits[v & 15];
  return out;
}

constexpr const char* kListDigestsItem = "@list_digests";
}  // namespace

std::shared_ptr<const Catalog> shared_catalog(store::Database& db, const config::Config& config) {
  const std::vector<std::string> overrides = config.get_list("cooccur.slot_map");
  std::string key = nlohmann::json(overrides).dump();
  {
    auto st = db.prepare("SELECT count(*), coalesce(max(rowid), 0), coalesce(max(updated_at), '') FROM products");
    st.step();
    for (int c = 0; c < 3; ++c) {
      key += '|';
      key += st.column_text(c);
    }
  }
  constexpr const char* kEntry = "catalog";
  if (auto cached = db.read_cache().find<Catalog>(kEntry, key)) return cached;
  auto catalog = std::make_shared<const Catalog>(Catalog::load(db, SlotTable::with_overrides(overrides)));
  db.read_cache().put<Catalog>(kEntry, std::move(key), catalog);
  return catalog;
}

BatchReport run_cooccur(store::Database& db, const config::Config& config, std::int64_t run_id) {
  BatchReport report;
  const auto t0 = std::chrono::steady_clock::now();
  const std::shared_ptr<const Catalog> shared = shared_catalog(db, config);
  const Catalog& catalog = *shared;
  const PairOptions options = PairOptions::from_config(config);
  // Mutual matches only matter when non-mutual ones are discounted (cooccur.mutual_factor < 1).
  const MatchEvidence evidence =
      MatchEvidence::load(db, catalog, !options.reference && options.mutual_factor != 1.0);
  report.input_rows = static_cast<std::int64_t>(evidence.regions.size());
  const double load_s = since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  const PairTable pairs = generate_pairs(catalog, evidence, options);
  const SlotModel slots = SlotModel::learn(pairs.contexts, config.get_double("cooccur.slot_min_contexts"));
  const double compute_s = since(t1);
  const auto t2 = std::chrono::steady_clock::now();
  {
    // As in run_recommend: every product id written was read by this run under the RunLock.
    store::ForeignKeyChecksOff no_fk_checks(db);
    store::Transaction tx(db);
    report.output_rows = write_pairs(db, pairs, catalog, run_id);
    write_slot_model(db, pairs.scoring, slots, run_id);
    tx.commit();
  }
  report.stats = pairs.stats;
  report.stats["seconds_load"] = load_s;
  report.stats["seconds_compute"] = compute_s;
  report.stats["seconds_write"] = since(t2);
  nlohmann::json sources = nlohmann::json::object();
  for (const auto& seed : slots.seeds()) sources[seed] = slots.source(seed);
  report.stats["slot_sources"] = sources;
  if (options.reference) {
    nlohmann::json cut = nlohmann::json::array();
    for (size_t i = 0; i < pairs.outliers.size() && i < 50; ++i) cut.push_back(catalog[pairs.outliers[i]].id);
    report.stats["outlier_products"] = cut;
  }
  return report;
}

std::unique_ptr<LoadedRecommender> load_recommender(store::Database& db, const config::Config& config,
                                                    int threads, bool with_reasons) {
  auto out = std::make_unique<LoadedRecommender>();
  const std::string scoring = config.get_string("cooccur.scoring");
  out->catalog = shared_catalog(db, config);
  const Catalog& catalog = *out->catalog;
  out->pairs = read_pairs(db, scoring, catalog);
  RecommendOptions options = RecommendOptions::from_config(config);
  options.with_reasons = with_reasons;
  const auto t0 = std::chrono::steady_clock::now();
  NeighbourGraph graph;
  const int k = static_cast<int>(config.get_int("recommend.neighbours"));
  if (!options.reference && k > 0) {
    std::vector<char> anchors(static_cast<size_t>(catalog.size()), 0);
    for (const auto& p : out->pairs.pairs) {
      anchors[static_cast<size_t>(p.a)] = 1;
      anchors[static_cast<size_t>(p.b)] = 1;
    }
    const ProductVectors pv = ProductVectors::load(db, catalog);
    out->vectors_model = pv.model_id;
    out->vectors = pv.count();
    graph = NeighbourGraph::build(catalog, pv, anchors, k,
                                  config.get_double("recommend.neighbour_temperature"), threads);
  }
  out->seconds_neighbours = since(t0);
  AttributeAffinity affinity;
  if (!options.reference) {
    affinity = AttributeAffinity::learn(catalog, out->pairs,
                                        config.get_list("recommend.attribute_backoff"));
  }
  FeedbackTable feedback = FeedbackTable::load(db, catalog);
  out->feedback_through = feedback.last_id();
  out->model = std::make_unique<Recommender>(catalog, out->pairs, std::move(graph),
                                             std::move(affinity), read_slot_model(db, scoring),
                                             MerchRules::from_config(config), std::move(feedback),
                                             options);
  return out;
}

namespace {

// Per product, a digest of everything its list depends on besides the run-wide inputs (settings,
// the vectors model, the pairs as a whole through the attribute affinity): its own pairs (partner
// content, score, count, evidence), its visual neighbours (who, weight, their pairs) and its
// feedback. Equal digests give equal lists. *pairs_digest receives a digest of every pair's
// products and weight (what the attribute affinity is learnt from: a run-wide input).
std::vector<std::uint64_t> list_inputs(const LoadedRecommender& loaded, std::uint64_t* pairs_digest) {
  const Catalog& catalog = *loaded.catalog;
  const PairTable& pairs = loaded.pairs;
  const Recommender& rec = *loaded.model;
  const auto n = static_cast<size_t>(catalog.size());
  std::vector<std::uint64_t> content(n), own(n, 0), out(n);
  for (size_t i = 0; i < n; ++i) {
    const Product& p = catalog[static_cast<std::int32_t>(i)];
    std::uint64_t h = hash_text(p.id);
    h = hash_step(h, hash_text(p.category));
    h = hash_step(h, hash_text(p.slot));
    h = hash_step(h, bits(p.price));
    for (const auto& [k, v] : p.attributes) h = hash_step(h, hash_text(v, hash_text(k)));
    content[i] = h;
  }
  std::vector<std::uint64_t> lookbook(pairs.lookbook_ids.size());
  for (size_t i = 0; i < lookbook.size(); ++i) lookbook[i] = hash_text(pairs.lookbook_ids[i]);
  *pairs_digest = 0;
  for (const Pair& p : pairs.pairs) {
    *pairs_digest += mix(hash_step(content[static_cast<size_t>(p.a)] ^ (content[static_cast<size_t>(p.b)] << 1),
                                   bits(p.weight)));
    std::uint64_t h = hash_step(bits(p.score), static_cast<std::uint64_t>(p.count));
    for (const auto l : pairs.lookbooks_of(p)) h = hash_step(h, lookbook[static_cast<size_t>(l)]);
    // Order-free sums over a product's pairs.
    own[static_cast<size_t>(p.a)] += mix(h ^ content[static_cast<size_t>(p.b)]);
    own[static_cast<size_t>(p.b)] += mix(h ^ content[static_cast<size_t>(p.a)]);
  }
  const auto& feedback = rec.feedback();
  for (size_t i = 0; i < n; ++i) {
    const auto seed = static_cast<std::int32_t>(i);
    std::uint64_t h = hash_step(content[i], own[i]);
    std::uint64_t order = 0;
    for (const auto& nb : rec.neighbours().of(seed)) {
      const auto j = static_cast<size_t>(nb.product);
      h = hash_step(h, hash_step(hash_step(content[j], own[j]), bits(nb.weight)) + ++order);
    }
    for (const auto& [other, net] : feedback.of(seed)) {
      h = hash_step(h, hash_step(content[static_cast<size_t>(other)], static_cast<std::uint64_t>(net)));
    }
    out[i] = h;
  }
  return out;
}

}  // namespace

BatchReport run_recommend(store::Database& db, const config::Config& config, std::int64_t run_id,
                          int threads) {
  BatchReport report;
  const auto t0 = std::chrono::steady_clock::now();
  const auto loaded = load_recommender(db, config, threads, false);
  const Catalog& catalog = *loaded->catalog;
  const Recommender& rec = *loaded->model;
  report.input_rows = catalog.size();
  const double load_s = since(t0);

  // Which lists to compute: those whose inputs changed since they were stored. The state row
  // (stage_items 'recommend' '@list_digests') maps each product id to "INPUT:OUTPUT" digests; INPUT
  // includes the run-wide inputs.
  const auto t1 = std::chrono::steady_clock::now();
  std::uint64_t pairs_digest = 0;
  const std::vector<std::uint64_t> inputs = list_inputs(*loaded, &pairs_digest);
  const std::uint64_t run_wide = hash_step(
      hash_text(config.get_string("cooccur.scoring") + "|" + config.section_json("recommend").dump() +
                "|" + config.section_json("cooccur").dump() + "|" + loaded->vectors_model),
      pairs_digest);
  // The state describes the table only if nothing else changed the table since (a product deleted
  // and re-imported in between loses its list): its count of stored lists must still match.
  nlohmann::json digests = nlohmann::json::object();
  std::int64_t lists_now = 0;
  {
    auto st = db.prepare("SELECT count(*) FROM recommendation_lists");
    st.step();
    lists_now = st.column_int(0);
  }
  if (auto state = read_state(db, "recommend", kListDigestsItem);
      state && state->value.is_object() && state->value.value("stored_lists", std::int64_t{-1}) == lists_now &&
      state->value.contains("lists") && state->value["lists"].is_object()) {
    digests = std::move(state->value["lists"]);
  }
  auto stored = [&](const std::string& id) -> std::string {
    const auto it = digests.find(id);
    return it != digests.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::vector<std::int32_t> todo;
  std::vector<std::string> input_hex(static_cast<size_t>(catalog.size()));
  for (std::int32_t i = 0; i < catalog.size(); ++i) {
    input_hex[static_cast<size_t>(i)] = hex(hash_step(run_wide, inputs[static_cast<size_t>(i)]));
    if (stored(catalog[i].id).compare(0, 17, input_hex[static_cast<size_t>(i)] + ":") != 0) {
      todo.push_back(i);
    }
  }
  const double inputs_s = since(t1);

  // Each list is computed and encoded as stored on the worker threads, a chunk of `todo` at a
  // time; its output digest is the digest of that text. The calling thread writes each chunk's
  // changed lists as soon as the chunk is ready (ordered_parallel), so the single-threaded write
  // runs beside the computing instead of after it; all in one transaction, as before. The lists
  // themselves are dropped once encoded, and the text once written (freeing 860,000 lists at the
  // end cost a quarter of a second); what the report needs is counted on the way.
  const auto t2 = std::chrono::steady_clock::now();
  std::vector<EncodedList> encoded(static_cast<size_t>(catalog.size()));
  std::vector<std::uint64_t> output(static_cast<size_t>(catalog.size()), 0);
  std::atomic<std::int64_t> from_pairs{0}, from_neighbours{0};
  const int k = rec.options().per_product;
  std::vector<std::int32_t> rewrite;
  std::int64_t covered = 0, total = 0;
  double write_s = 0;
  // Every product id written was read from the catalog by this run, which holds the RunLock
  // (imports take it too): the per-row foreign-key checks would only repeat that, at more than
  // half of the insert's cost (docs/BENCHMARKS.md).
  store::ForeignKeyChecksOff no_fk_checks(db);
  store::Transaction tx(db);
  report.output_rows = 0;
  constexpr std::int64_t kChunk = 256;
  const auto chunks = (static_cast<std::int64_t>(todo.size()) + kChunk - 1) / kChunk;
  auto chunk_of = [&](std::int64_t c) {
    const auto b = static_cast<size_t>(c * kChunk);
    return std::span<const std::int32_t>(todo.data() + b, std::min(todo.size() - b, static_cast<size_t>(kChunk)));
  };
  auto compute = [&](std::int64_t c) {
    std::int64_t pairs = 0, neighbours = 0;
    for (const std::int32_t product : chunk_of(c)) {
      const auto p = static_cast<size_t>(product);
      const std::vector<Recommendation> list = rec.recommend(product, k);
      encoded[p] = encode_list(list, catalog, loaded->pairs.lookbook_ids);
      output[p] = hash_text(encoded[p].items);
      for (const auto& r : list) {
        pairs += r.source == "pairs";
        neighbours += r.source == "neighbours";
      }
    }
    from_pairs += pairs;
    from_neighbours += neighbours;
    return 0;
  };
  auto write = [&](std::int64_t c, int) {
    const auto w0 = std::chrono::steady_clock::now();
    std::vector<std::int32_t> changed;
    for (const std::int32_t p : chunk_of(c)) {
      const std::string out = hex(output[static_cast<size_t>(p)]);
      const std::string before = stored(catalog[p].id);
      if (before.size() != 33 || before.compare(17, 16, out) != 0) changed.push_back(p);
      digests[catalog[p].id] = input_hex[static_cast<size_t>(p)] + ":" + out;
    }
    report.output_rows += write_lists(db, catalog, encoded, changed, run_id);
    for (const std::int32_t p : chunk_of(c)) std::string().swap(encoded[static_cast<size_t>(p)].items);
    rewrite.insert(rewrite.end(), changed.begin(), changed.end());
    write_s += since(w0);
  };
  ordered_parallel(chunks, threads, 4 * static_cast<std::int64_t>(resolve_threads(threads)), compute, write);
  const double lists_s = since(t2) - write_s;

  const auto t3 = std::chrono::steady_clock::now();
  // Products no longer in the catalog (their lists went with them).
  for (auto it = digests.begin(); it != digests.end();) {
    it = catalog.find(it.key()) < 0 ? digests.erase(it) : std::next(it);
  }
  {
    if (rewrite.size() == static_cast<size_t>(catalog.size())) {
      // A whole rewrite also drops lists of products no longer in the catalog (their rows go with
      // the product when foreign keys are on; this covers a deletion made without them).
      db.exec("DELETE FROM recommendation_lists WHERE product_id NOT IN (SELECT id FROM products)");
    }
    // The reasons of empty lists, for the queries.
    auto clear = db.prepare("DELETE FROM stage_items WHERE stage = 'recommend' AND item_id = ?");
    auto empty = db.prepare(
        "INSERT INTO stage_items (stage, item_id, fingerprint, status, detail, run_id)"
        " VALUES ('recommend', ?, '', 'empty', ?, ?) ON CONFLICT(stage, item_id) DO UPDATE SET"
        " status = excluded.status, detail = excluded.detail, run_id = excluded.run_id");
    if (todo.size() == static_cast<size_t>(catalog.size())) {
      db.prepare("DELETE FROM stage_items WHERE stage = 'recommend' AND status = 'empty'").run();
    }
    for (const std::int32_t p : todo) {
      if (encoded[static_cast<size_t>(p)].n == 0) {
        empty.bind(1, catalog[p].id).bind(2, rec.empty_reason(p)).bind(3, run_id);
        empty.run();
      } else if (todo.size() != static_cast<size_t>(catalog.size())) {
        clear.bind(1, catalog[p].id);
        clear.run();
      }
    }
    const StoredCounts counts = stored_counts(db);  // one pass over the 60 MB table for both
    total = counts.recommendations;
    write_state(db, "recommend", kListDigestsItem, "",
                {{"stored_lists", counts.lists}, {"lists", std::move(digests)}}, run_id);
    tx.commit();
  }
  {
    auto st = db.prepare(
        "SELECT count(*) FROM stage_items s JOIN products p ON p.id = s.item_id"
        " WHERE s.stage = 'recommend' AND s.status = 'empty'");
    st.step();
    covered = catalog.size() - st.column_int(0);
  }
  report.stats["scoring"] = config.get_string("cooccur.scoring");
  report.stats["pairs"] = loaded->pairs.pairs.size();
  report.stats["products"] = catalog.size();
  report.stats["products_with_recommendations"] = covered;
  report.stats["coverage"] = catalog.size() > 0 ? static_cast<double>(covered) / catalog.size() : 0.0;
  report.stats["product_vectors"] = loaded->vectors;
  report.stats["vectors_model"] = loaded->vectors_model;
  report.stats["products_with_neighbours"] = rec.neighbours().products_with_neighbours();
  report.stats["recommendations"] = total;
  report.stats["lists_computed"] = todo.size();
  report.stats["lists_rewritten"] = rewrite.size();
  report.stats["computed_from_pairs"] = from_pairs.load();
  report.stats["computed_from_neighbours"] = from_neighbours.load();
  report.stats["feedback_through"] = loaded->feedback_through;
  report.stats["seconds_load"] = load_s - loaded->seconds_neighbours;
  report.stats["seconds_neighbours"] = loaded->seconds_neighbours;
  report.stats["seconds_inputs"] = inputs_s;
  report.stats["seconds_lists"] = lists_s;
  report.stats["seconds_write"] = write_s + since(t3);
  return report;
}

}  // namespace ensemble::recommend
