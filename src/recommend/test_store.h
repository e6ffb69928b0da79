// Test support: a small store built row by row (products, lookbooks, regions, matches, product
// vectors), as the match stage would leave it, so recommender tests need no images.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/store/store.h"
#include "testing/temp_dir.h"

namespace ensemble::recommend::testing {

class TestStore {
 public:
  TestStore() : store_(store::Store::open(dir_ / "e.db")) {
    run_ = store_->begin_run("test", "", "{}");
  }
  store::Store& store() { return *store_; }
  store::Database& db() { return store_->db(); }
  std::int64_t run() const { return run_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  void product(const std::string& id, const std::string& category,
               const nlohmann::json& attributes = nlohmann::json::object()) {
    db().prepare("INSERT INTO products (id, title, category, image_sha, image_ext, width, height,"
                 " attributes, run_id, created_at, updated_at) VALUES (?,?,?,'0','.jpg',1,1,?,?,'t','t')")
        .bind(1, id).bind(2, id).bind(3, category).bind(4, attributes.dump()).bind(5, run_)
        .run();
  }
  void lookbook(const std::string& id) {
    db().prepare("INSERT INTO lookbooks (id, source, image_sha, image_ext, width, height, run_id,"
                 " created_at, updated_at) VALUES (?,'t','0','.jpg',100,100,?,'t','t')")
        .bind(1, id).bind(2, run_).run();
  }
  // Returns the region id.
  std::int64_t region(const std::string& lookbook, int context, int x, int y, int w, int h) {
    db().prepare("INSERT INTO regions (lookbook_id, idx, context_id, x, y, w, h, area, confidence,"
                 " stability, mask_rle, segmenter_id, run_id) VALUES (?,?,?,?,?,?,?,?,0.9,0.9,x'00',"
                 "'test',?)")
        .bind(1, lookbook).bind(2, next_idx_++).bind(3, context).bind(4, x).bind(5, y).bind(6, w)
        .bind(7, h).bind(8, w * h).bind(9, run_).run();
    return db().last_insert_rowid();
  }
  void match(std::int64_t region, const std::string& product, int rank, double score,
             const std::string& direction = "region_to_product") {
    db().prepare("INSERT INTO matches (direction, region_id, product_id, rank, score, run_id)"
                 " VALUES (?,?,?,?,?,?)")
        .bind(1, direction).bind(2, region).bind(3, product).bind(4, rank).bind(5, score)
        .bind(6, run_).run();
  }
  void vector(const std::string& product, std::vector<float> v) {
    db().prepare("INSERT INTO embeddings (owner_kind, owner_id, model_id, dim, vector, source_sha,"
                 " run_id) VALUES ('product', ?, 'test#v1', ?, ?, '0', ?)")
        .bind(1, product).bind(2, static_cast<int>(v.size()))
        .bind_blob(3, v.data(), v.size() * sizeof(float)).bind(4, run_).run();
  }

 private:
  ensemble::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::int64_t run_ = 0;
  int next_idx_ = 0;
};

}  // namespace ensemble::recommend::testing
