// The `embed` stage: products and regions -> vectors in one space, stored in `embeddings`.
//
// With the classic embedder, a PCA projection is fitted on the catalog the first time (or with
// embed.refit), stored in the media folder and registered in `models` as active; later runs reuse
// it, so adding products only embeds the new ones. A product is re-embedded when its image changes
// (source_sha), a region when its lookbook was re-segmented. Rows of other models are removed once
// the current model has embedded everything, so `embeddings` holds one consistent space.
//
// State in stage_items (stage 'embed'), so that a run where little or nothing changed does not read
// every stored vector row (each row holds a 2 KB vector; reading source_sha means reading them all):
//   'products' / 'regions': after a run with no failed input, a fingerprint of the model, of the
//       inputs (products: id and image sha; regions: id, segment run, lookbook image and mask), and
//       of how many vectors of that kind the table holds. When it still matches, every input of
//       that kind has its vector and the kind is skipped without a per-item check; when both
//       match, the clean-up of other models' rows and orphans (done in that run) is skipped too,
//       and so is opening the stored projection (its models row names the model).
//   'product-vectors': a token replaced, in the same transaction, whenever this stage writes or
//       deletes product vectors. The index stage compares it to decide that the product vectors are
//       unchanged without reading them (other writers of product vectors must replace it too).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <unordered_map>
#include <memory>
#include <nlohmann/json.hpp>

#include "ensemble/embed/classic_embedder.h"
#include "ensemble/embed/embedder.h"
#include "ensemble/pipeline/stage.h"
#include "ensemble/search/embedder_registry.h"
#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"
#include "ensemble/util/progress.h"
#include "ensemble/util/sha256.h"
#include "pipeline/stage_util.h"
#include "pipeline/stages.h"

namespace ensemble::pipeline {

namespace {

struct Item {
  std::string owner_id;
  std::string source;     // what is embedded: image sha (product) / region fingerprint
  std::string image_sha, image_ext;
  std::string mask_blob;  // regions only
};

// Raw (unprojected) descriptors of the products the projection was fitted on, by image sha, so the
// embed pass that follows projects them instead of decoding and describing them a second time
// (the fit sample is 20,000 of the reference catalog's 44,000 products: ~30% of the stage's work).
struct FitCache {
  std::unordered_map<std::string, std::int64_t> row_of;
  std::vector<float> raw;
  int dim = 0;
};

// Cache at most this many bytes of fit descriptors (20,000 × 2,495 floats = 200 MB).
constexpr std::size_t kFitCacheBytes = std::size_t{512} << 20;

// The per-kind input signatures recorded in stage_items (see the top of the file). `rows` gets the
// number of inputs. Both read small columns only (no vector rows), straight from SQLite's buffers:
// about 15 ms each for the reference data (44,000 products; 6,700 regions, 8 MB of masks).
std::string product_inputs(store::Database& db, std::int64_t* rows) {
  std::string joined;
  joined.reserve(std::size_t{4} << 20);
  auto st = db.prepare("SELECT id, image_sha FROM products");
  while (st.step()) {
    append_column(joined, st, 0);
    append_column(joined, st, 1);
    ++*rows;
  }
  return sha256_hex(joined);
}

std::string region_inputs(store::Database& db, std::int64_t* rows) {
  std::string joined;
  joined.reserve(std::size_t{16} << 20);
  auto st = db.prepare(
      "SELECT r.id, r.run_id, l.image_sha, r.mask_rle FROM regions r JOIN lookbooks l"
      " ON l.id = r.lookbook_id");
  while (st.step()) {
    const std::int64_t numbers[2] = {st.column_int(0), st.column_int(1)};
    joined.append(reinterpret_cast<const char*>(numbers), sizeof numbers);
    append_column(joined, st, 2);
    append_column(joined, st, 3);
    ++*rows;
  }
  return sha256_hex(joined);
}

// The id of the embedder that make_embedder_impl would open from the stored projection without
// fitting (classic backend, no embed.refit, an active projection whose file is there); "" otherwise.
// Reads the models row only: whether the file loads is left to the run that needs it.
std::string stored_projection_model(store::Store& store, const config::Config& config) {
  if (config.get_string("embed.backend") != "classic" || config.get_bool("embed.refit")) return "";
  auto st = store.db().prepare(
      "SELECT id, file_sha, file_ext FROM models WHERE kind = 'projection' AND active = 1");
  if (!st.step()) return "";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(store.media().path_for(st.column_text(1), st.column_text(2)), ec)) {
    return "";
  }
  return st.column_text(0);
}

// Vectors of one kind, of any model: counted over the primary-key index, without the vector rows.
std::int64_t vector_count(store::Database& db, const char* kind) {
  auto st = db.prepare("SELECT count(*) FROM embeddings WHERE owner_kind = ?");
  st.bind(1, kind);
  return st.step() ? st.column_int(0) : 0;
}

std::unique_ptr<embed::Embedder> make_embedder_impl(store::Store& store, const config::Config& config,
                                                    bool allow_fit, std::int64_t run_id, bool quiet,
                                                    nlohmann::json* stats, FitCache* cache);

}  // namespace

std::unique_ptr<embed::Embedder> make_stage_embedder(store::Store& store,
                                                     const config::Config& config,
                                                     bool allow_fit, std::int64_t run_id,
                                                     bool quiet, nlohmann::json* stats) {
  return make_embedder_impl(store, config, allow_fit, run_id, quiet, stats, nullptr);
}

namespace {

std::unique_ptr<embed::Embedder> make_embedder_impl(store::Store& store, const config::Config& config,
                                                    bool allow_fit, std::int64_t run_id, bool quiet,
                                                    nlohmann::json* stats, FitCache* cache) {
  const std::string spec = config.get_string("embed.backend");
  const embed::EmbedderOptions opts = search::embedder_options(config);
  if (spec != "classic") return embed::make_embedder(spec, opts);
  if (!config.get_bool("embed.refit")) {
    auto stored = search::open_embedder(store, config);
    const auto* classic = dynamic_cast<const embed::ClassicEmbedder*>(stored.get());
    if (!allow_fit || (classic != nullptr && classic->fitted())) return stored;
  } else if (!allow_fit) {
    return search::open_embedder(store, config);
  }
  std::shared_ptr<const embed::Projection> projection;
  {
    // Fit on an even spread of the catalog (every k-th product by id), streamed in batches.
    std::vector<std::pair<std::string, std::string>> images;
    {
      auto st = store.db().prepare("SELECT image_sha, image_ext FROM products ORDER BY id");
      while (st.step()) images.emplace_back(st.column_text(0), st.column_text(1));
    }
    if (images.size() < 2) {
      throw Error(ErrorCode::kBadInput, "the classic embedder fits its projection on the catalog: "
                                        "import at least 2 products first");
    }
    const auto want = std::min<std::int64_t>(config.get_int("embed.fit_samples"),
                                             static_cast<std::int64_t>(images.size()));
    const double step = static_cast<double>(images.size()) / static_cast<double>(want);
    const embed::ClassicEmbedder describer(opts.threads);
    embed::ProjectionFitter fitter(embed::ClassicEmbedder::descriptor_id(),
                                   embed::ClassicEmbedder::raw_dim());
    Progress progress("fit", static_cast<std::uint64_t>(want), quiet);
    const std::int64_t batch = 256;
    const int raw_dim = embed::ClassicEmbedder::raw_dim();
    if (cache != nullptr &&
        static_cast<std::size_t>(want) * static_cast<std::size_t>(raw_dim) * sizeof(float) > kFitCacheBytes) {
      cache = nullptr;
    }
    if (cache != nullptr) {
      cache->dim = raw_dim;
      cache->raw.reserve(static_cast<std::size_t>(want) * static_cast<std::size_t>(raw_dim));
    }
    for (std::int64_t b = 0; b < want; b += batch) {
      const std::int64_t n = std::min(batch, want - b);
      std::vector<cv::Mat> mats(static_cast<size_t>(n));
      parallel_for(n, opts.threads, [&](std::int64_t i) {
        const auto& [sha, ext] = images[static_cast<size_t>(static_cast<double>(b + i) * step)];
        mats[static_cast<size_t>(i)] = load_media_image(store, sha, ext);
      });
      const embed::Embeddings raw = describer.describe(mats);
      fitter.add(raw.values.data(), raw.rows);
      if (cache != nullptr) {
        for (std::int64_t i = 0; i < n; ++i) {
          const auto& sha = images[static_cast<size_t>(static_cast<double>(b + i) * step)].first;
          if (cache->row_of.emplace(sha, static_cast<std::int64_t>(cache->raw.size() / raw_dim)).second) {
            cache->raw.insert(cache->raw.end(), raw.row(i), raw.row(i) + raw_dim);
          }
        }
      }
      progress.update(static_cast<std::uint64_t>(b + n));
    }
    progress.finish();
    projection = std::make_shared<const embed::Projection>(fitter.finish());
    // Store the projection file content-addressed and make it the active one.
    const auto tmp = store.media().root() / ".projection.tmp";
    projection->save(tmp);
    const std::string bytes = read_file(tmp);
    std::filesystem::remove(tmp);
    const std::string sha = store.media().put(bytes, ".proj");
    store.media().sync();
    const embed::ClassicEmbedder probe(opts.threads, projection);
    store::Transaction tx(store.db());
    store.db().exec("UPDATE models SET active = 0 WHERE kind = 'projection'");
    store.db()
        .prepare("INSERT INTO models (id, kind, file_sha, file_ext, active, samples, run_id,"
                 " created_at) VALUES (?, 'projection', ?, '.proj', 1, ?, ?, ?)"
                 " ON CONFLICT(id) DO UPDATE SET active = 1")
        .bind(1, probe.id())
        .bind(2, sha)
        .bind(3, projection->samples())
        .bind(4, run_id)
        .bind(5, store::utc_now())
        .run();
    tx.commit();
    if (stats != nullptr) (*stats)["fitted_projection"] = {{"samples", projection->samples()},
                                                            {"id", probe.id()}};
  }
  return std::make_unique<embed::ClassicEmbedder>(opts.threads, projection);
}

class EmbedStage : public Stage {
 public:
  std::string name() const override { return "embed"; }
  std::string backend(const config::Config& c) const override {
    return c.get_string("embed.backend");
  }
  std::string model_id() const override { return model_id_; }

  StageResult run(StageContext& ctx) override {
    StageResult result;
    auto& db = ctx.store.db();
    // Inputs unchanged since the last clean run (see the top of the file) need no per-item check.
    // The signatures are taken before any work: inputs added meanwhile change them, so the next
    // run checks those items one by one.
    std::int64_t n_products = 0, n_regions = 0;
    const std::string product_sig = product_inputs(db, &n_products);
    const std::string region_sig = region_inputs(db, &n_regions);
    const std::int64_t product_vectors = vector_count(db, "product");
    const std::int64_t region_vectors = vector_count(db, "region");
    // The descriptor id: a build whose classic descriptor differs refits (open_embedder ignores a
    // projection fitted for another descriptor), so its records must not match older ones.
    auto state_of = [&](const std::string& model, const std::string& inputs, std::int64_t vectors) {
      return fingerprint({model, embed::ClassicEmbedder::descriptor_id(), inputs,
                          std::to_string(vectors)});
    };
    const auto product_record = item_state(db, "embed", "products");
    const auto region_record = item_state(db, "embed", "regions");
    auto current = [&](const std::optional<ItemState>& record, const std::string& model,
                       const std::string& inputs, std::int64_t vectors) {
      return record && record->fingerprint == state_of(model, inputs, vectors);
    };
    // Nothing changed under the stored projection: done, without loading it (what
    // make_embedder_impl would return is the embedder that projection's models row names).
    if (const std::string stored = stored_projection_model(ctx.store, ctx.config);
        !stored.empty() && current(product_record, stored, product_sig, product_vectors) &&
        current(region_record, stored, region_sig, region_vectors)) {
      model_id_ = stored;
      result.stats["model"] = model_id_;
      result.stats["products_unchanged"] = true;
      result.stats["regions_unchanged"] = true;
      result.input_rows = result.skipped_rows = n_products + n_regions;
      return result;
    }

    FitCache fit_cache;
    const auto embedder =
        make_embedder_impl(ctx.store, ctx.config, true, ctx.run_id, ctx.quiet, &result.stats, &fit_cache);
    const auto* classic = dynamic_cast<const embed::ClassicEmbedder*>(embedder.get());
    model_id_ = embedder->id();
    result.stats["model"] = model_id_;
    const bool products_current = current(product_record, model_id_, product_sig, product_vectors);
    const bool regions_current = current(region_record, model_id_, region_sig, region_vectors);
    result.stats["products_unchanged"] = products_current;
    result.stats["regions_unchanged"] = regions_current;
    std::string vectors_token = [&] {
      const auto t = item_state(db, "embed", "product-vectors");
      return t ? t->fingerprint : std::string();
    }();
    std::int64_t vector_writes = 0;
    auto replace_vectors_token = [&] {
      vectors_token = fingerprint({vectors_token, std::to_string(ctx.run_id),
                                   std::to_string(++vector_writes)});
      set_item_state(db, "embed", "product-vectors", vectors_token, "ok", "", ctx.run_id);
    };

    std::vector<Item> products, regions;
    if (products_current) {
      result.input_rows += n_products;
      result.skipped_rows += n_products;
    } else {
      auto st = db.prepare(
          "SELECT p.id, p.image_sha, p.image_ext, e.source_sha FROM products p LEFT JOIN embeddings e"
          " ON e.owner_kind = 'product' AND e.owner_id = p.id AND e.model_id = ? ORDER BY p.id");
      st.bind(1, model_id_);
      while (st.step()) {
        ++result.input_rows;
        if (!st.column_is_null(3) && st.column_text(3) == st.column_text(1)) {
          ++result.skipped_rows;
          continue;
        }
        products.push_back({st.column_text(0), st.column_text(1), st.column_text(1),
                            st.column_text(2), {}});
      }
    }
    if (regions_current) {
      result.input_rows += n_regions;
      result.skipped_rows += n_regions;
    } else {
      auto st = db.prepare(
          "SELECT r.id, l.image_sha, l.image_ext, r.mask_rle, r.run_id, e.source_sha"
          " FROM regions r JOIN lookbooks l ON l.id = r.lookbook_id LEFT JOIN embeddings e"
          " ON e.owner_kind = 'region' AND e.owner_id = CAST(r.id AS TEXT) AND e.model_id = ?"
          " ORDER BY l.id, r.idx");
      st.bind(1, model_id_);
      while (st.step()) {
        ++result.input_rows;
        int bytes = 0;
        const void* p = st.column_blob_ptr(3, &bytes);
        std::string blob(static_cast<const char*>(p), static_cast<size_t>(bytes));
        const std::string source =
            fingerprint({st.column_text(1), std::to_string(st.column_int(4)), blob});
        if (!st.column_is_null(5) && st.column_text(5) == source) {
          ++result.skipped_rows;
          continue;
        }
        regions.push_back({std::to_string(st.column_int(0)), source, st.column_text(1),
                           st.column_text(2), std::move(blob)});
      }
    }

    const int threads = worker_threads(ctx.config);
    const auto batch = static_cast<size_t>(ctx.config.get_int("pipeline.batch_size"));
    Progress progress("embed", products.size() + regions.size(), ctx.quiet);
    std::uint64_t done = 0;
    auto insert_rows = [&](const std::vector<Item>& items, const std::vector<size_t>& which,
                           const embed::Embeddings& vecs, const char* kind) {
      store::Transaction tx(db);
      auto ins = db.prepare(
          "INSERT INTO embeddings (owner_kind, owner_id, model_id, dim, vector, source_sha,"
          " run_id) VALUES (?,?,?,?,?,?,?) ON CONFLICT(owner_kind, owner_id, model_id) DO"
          " UPDATE SET dim = excluded.dim, vector = excluded.vector,"
          " source_sha = excluded.source_sha, run_id = excluded.run_id");
      for (size_t j = 0; j < which.size(); ++j) {
        const Item& it = items[which[j]];
        ins.bind(1, kind).bind(2, it.owner_id).bind(3, model_id_).bind(4, vecs.dim)
            .bind_blob(5, vecs.row(static_cast<std::int64_t>(j)),
                       static_cast<size_t>(vecs.dim) * sizeof(float))
            .bind(6, it.source)
            .bind(7, ctx.run_id);
        ins.run();
      }
      if (std::strcmp(kind, "product") == 0) replace_vectors_token();
      tx.commit();
      result.output_rows += static_cast<std::int64_t>(which.size());
    };
    // Products described during the fit: project their cached descriptors.
    std::int64_t from_fit_cache = 0;
    if (classic != nullptr && !fit_cache.row_of.empty()) {
      std::vector<Item> rest;
      std::vector<size_t> hit;
      for (size_t i = 0; i < products.size(); ++i) {
        if (fit_cache.row_of.count(products[i].image_sha) != 0) hit.push_back(i);
      }
      for (size_t b = 0; b < hit.size(); b += 4 * batch) {
        const size_t n = std::min(4 * batch, hit.size() - b);
        std::vector<size_t> which(hit.begin() + static_cast<std::ptrdiff_t>(b),
                                  hit.begin() + static_cast<std::ptrdiff_t>(b + n));
        embed::Embeddings raw(static_cast<std::int64_t>(n), fit_cache.dim);
        for (size_t j = 0; j < n; ++j) {
          const std::int64_t r = fit_cache.row_of.at(products[which[j]].image_sha);
          std::memcpy(raw.row(static_cast<std::int64_t>(j)),
                      fit_cache.raw.data() + static_cast<size_t>(r) * static_cast<size_t>(fit_cache.dim),
                      sizeof(float) * static_cast<size_t>(fit_cache.dim));
        }
        insert_rows(products, which, classic->project(raw), "product");
        done += n;
        progress.update(done);
      }
      from_fit_cache = static_cast<std::int64_t>(hit.size());
      size_t next = 0;
      for (size_t i = 0; i < products.size(); ++i) {
        if (next < hit.size() && hit[next] == i) {
          ++next;
          continue;
        }
        rest.push_back(std::move(products[i]));
      }
      products = std::move(rest);
      fit_cache = FitCache{};  // free the descriptors before the rest of the stage
    }
    auto run_batches = [&](const std::vector<Item>& items, const char* kind) {
      for (size_t b = 0; b < items.size(); b += batch) {
        const size_t n = std::min(batch, items.size() - b);
        std::vector<cv::Mat> images(n), masks;
        if (!items[b].mask_blob.empty()) masks.resize(n);
        std::vector<std::string> errors(n);
        // Regions of one lookbook share its image: decode each distinct image once per batch.
        std::vector<std::pair<std::string, std::string>> unique;
        std::map<std::string, size_t> slot_of;
        for (size_t i = 0; i < n; ++i) {
          const Item& it = items[b + i];
          if (slot_of.emplace(it.image_sha, unique.size()).second) {
            unique.emplace_back(it.image_sha, it.image_ext);
          }
        }
        std::vector<cv::Mat> decoded(unique.size());
        std::vector<std::string> decode_errors(unique.size());
        parallel_for(static_cast<std::int64_t>(unique.size()), threads, [&](std::int64_t u) {
          try {
            decoded[static_cast<size_t>(u)] = load_media_image(
                ctx.store, unique[static_cast<size_t>(u)].first, unique[static_cast<size_t>(u)].second);
          } catch (const Error& e) {
            decode_errors[static_cast<size_t>(u)] = e.what();
          }
        });
        parallel_for(static_cast<std::int64_t>(n), threads, [&](std::int64_t i) {
          const Item& it = items[b + static_cast<size_t>(i)];
          const size_t u = slot_of.at(it.image_sha);
          if (!decode_errors[u].empty()) {
            errors[static_cast<size_t>(i)] = decode_errors[u];
            return;
          }
          images[static_cast<size_t>(i)] = decoded[u];
          try {
            if (!it.mask_blob.empty()) {
              masks[static_cast<size_t>(i)] =
                  mask_from_blob(it.mask_blob.data(), static_cast<int>(it.mask_blob.size()));
            }
          } catch (const Error& e) {
            errors[static_cast<size_t>(i)] = e.what();
          }
        });
        // Items whose image failed to load are recorded and left out of the batch.
        std::vector<size_t> ok;
        for (size_t i = 0; i < n; ++i) {
          if (errors[i].empty()) {
            ok.push_back(i);
          } else {
            ++result.failed_rows;
            if (result.problems.size() < 20) {
              result.problems.push_back(std::string(kind) + " " + items[b + i].owner_id + ": " +
                                        errors[i]);
            }
          }
        }
        std::vector<cv::Mat> ok_images, ok_masks;
        for (size_t i : ok) {
          ok_images.push_back(images[i]);
          if (!masks.empty()) ok_masks.push_back(masks[i]);
        }
        if (!ok_images.empty()) {
          const embed::Embeddings vecs = embedder->embed(ok_images, ok_masks);
          std::vector<size_t> which(ok.size());
          for (size_t j = 0; j < ok.size(); ++j) which[j] = b + ok[j];
          insert_rows(items, which, vecs, kind);
        }
        done += n;
        progress.update(done);
      }
    };
    run_batches(products, "product");
    run_batches(regions, "region");
    progress.finish();

    // One consistent space: drop vectors of other models and of owners that no longer exist, then
    // record the inputs as done. Not needed when both kinds were unchanged since the last clean
    // run: that run did both, and a new orphan or another model's row would change a fingerprint.
    if (result.failed_rows == 0 && !(products_current && regions_current)) {
      store::Transaction tx(db);
      auto del = db.prepare("DELETE FROM embeddings WHERE model_id <> ?");
      del.bind(1, model_id_);
      const int removed_other_model = del.run();
      const int removed_orphans =
          db.prepare("DELETE FROM embeddings WHERE owner_kind = 'product' AND owner_id NOT IN"
                     " (SELECT id FROM products)")
              .run() +
          db.prepare("DELETE FROM embeddings WHERE owner_kind = 'region' AND owner_id NOT IN"
                     " (SELECT CAST(id AS TEXT) FROM regions)")
              .run();
      if (removed_other_model + removed_orphans > 0) replace_vectors_token();
      set_item_state(db, "embed", "products",
                     state_of(model_id_, product_sig, vector_count(db, "product")), "ok", "", ctx.run_id);
      set_item_state(db, "embed", "regions",
                     state_of(model_id_, region_sig, vector_count(db, "region")), "ok", "", ctx.run_id);
      tx.commit();
      result.stats["removed_other_model"] = removed_other_model;
      result.stats["removed_orphans"] = removed_orphans;
    }
    result.stats["products_embedded"] = static_cast<std::int64_t>(products.size()) + from_fit_cache;
    result.stats["products_from_fit_descriptors"] = from_fit_cache;
    result.stats["regions_embedded"] = regions.size();
    return result;
  }

 private:
  std::string model_id_;
};

}  // namespace

std::unique_ptr<Stage> make_embed_stage() { return std::make_unique<EmbedStage>(); }

}  // namespace ensemble::pipeline
