// The `index` stage: keeps the products' vector index for search (index.backend, beside the
// database) in step with the product embeddings of the current model — nothing when its content
// hash matches, an incremental add/remove when the stored index has the same model and backend,
// else a rebuild (search::sync_product_index). Search, the server and `complete --image` read this
// file; the match stage does not need it (it scores regions × products exactly), so building the
// graph is this stage's cost alone and shows as its own row in lineage and benchmarks.
//
// Checking the content hash reads every product vector row (2 KB each) and loading the index reads
// the whole file, so the stage first compares a fingerprint of cheap inputs with the one it
// recorded in stage_items ('index' / 'products', the model in detail) after its last sync:
//   - the embed stage's 'product-vectors' token, replaced whenever it writes or deletes product
//     vectors (a re-embedded product, a new model: see embed_stage.cc);
//   - the count and the largest rowid of product vector rows (rows added or removed by any writer);
//     these two are store::product_vectors_stamp, which the recommend stage uses too;
//   - products' rowids and ids (index ids are products.rowid; a deleted product leaves the index);
//   - index.backend, the vector_indexes row, and the size and mtime of the index files.
// When it matches, the index holds what a sync would leave there and the stage skips the sync.
// A writer of product vectors other than the embed stage that updates rows in place must replace
// the token too (or run search::sync_product_index itself, which always checks the content).
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ensemble/index/vector_index.h"
#include "ensemble/pipeline/stage.h"
#include "ensemble/search/product_index.h"
#include "ensemble/store/product_model.h"
#include "ensemble/util/sha256.h"
#include "pipeline/stage_util.h"
#include "pipeline/stages.h"

namespace ensemble::pipeline {

namespace {

namespace fs = std::filesystem;

std::string file_stamp(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return "-";
  const auto mtime = fs::last_write_time(path, ec);
  if (ec) return "-";
  return std::to_string(size) + "@" + std::to_string(mtime.time_since_epoch().count());
}

// The fingerprint described at the top of the file. Reads small columns and primary-key indexes
// only (about 10 ms for the reference catalog's 44,000 products).
std::string index_inputs(store::Store& store, const config::Config& config) {
  auto& db = store.db();
  std::string products;
  {
    std::string joined;
    auto st = db.prepare("SELECT rowid, id FROM products");
    while (st.step()) {
      const std::int64_t rowid = st.column_int(0);
      joined.append(reinterpret_cast<const char*>(&rowid), sizeof rowid);
      append_column(joined, st, 1);
    }
    products = sha256_hex(joined);
  }
  std::string row = "-";
  {
    auto st = db.prepare(
        "SELECT model_id, backend, path, vectors, content_hash FROM vector_indexes"
        " WHERE name = 'products'");
    if (st.step()) {
      row = st.column_text(0) + "|" + st.column_text(1) + "|" + st.column_text(2) + "|" +
            std::to_string(st.column_int(3)) + "|" + st.column_text(4);
    }
  }
  const fs::path path = search::product_index_path(store);
  return fingerprint({index::canonical_index_spec(config.get_string("index.backend")),
                      store::product_vectors_stamp(db), products, row, file_stamp(path),
                      file_stamp(fs::path(path.string() + ".hnsw"))});
}

class IndexStage : public Stage {
 public:
  std::string name() const override { return "index"; }
  std::string backend(const config::Config& c) const override { return c.get_string("index.backend"); }
  std::string model_id() const override { return model_; }

  StageResult run(StageContext& ctx) override {
    StageResult result;
    auto& db = ctx.store.db();
    if (const auto record = item_state(db, "index", "products");
        record && record->fingerprint == index_inputs(ctx.store, ctx.config)) {
      auto st = db.prepare("SELECT model_id, vectors FROM vector_indexes WHERE name = 'products'");
      if (st.step()) {
        model_ = st.column_text(0);
        const std::int64_t size = st.column_int(1);
        result.input_rows = size;
        result.skipped_rows = size;
        result.stats = {{"action", "unchanged"}, {"added", 0}, {"removed", 0}, {"size", size},
                        {"model", model_}, {"checked", "fingerprint"}};
        return result;
      }
    }
    model_ = store::current_product_model(db);
    if (model_.empty()) {
      result.stats["note"] = "no product embeddings yet: run the embed stage";
      return result;
    }
    search::IndexSyncReport sync;
    search::sync_product_index(ctx.store, ctx.config, model_, ctx.run_id, &sync);
    set_item_state(db, "index", "products", index_inputs(ctx.store, ctx.config), "ok", model_,
                   ctx.run_id);
    result.input_rows = sync.size;
    result.output_rows = sync.action == "built" ? sync.size : sync.added;
    result.skipped_rows = sync.action == "unchanged" ? sync.size : 0;
    result.stats = {{"action", sync.action}, {"added", sync.added},     {"removed", sync.removed},
                    {"size", sync.size},     {"seconds", sync.seconds}, {"model", model_},
                    {"checked", "content"}};
    return result;
  }

 private:
  std::string model_;
};

}  // namespace

std::unique_ptr<Stage> make_index_stage() { return std::make_unique<IndexStage>(); }

}  // namespace ensemble::pipeline
