#include "ensemble/store/product_model.h"

#include <gtest/gtest.h>

#include "ensemble/store/store.h"
#include "testing/temp_dir.h"

namespace ensemble::store {
namespace {

using ensemble::testing::TempDir;

void add_vector(Store& s, const std::string& kind, const std::string& owner,
                const std::string& model, std::int64_t run) {
  const float v[2] = {1, 0};
  s.db().prepare(
          "INSERT INTO embeddings (owner_kind, owner_id, model_id, dim, vector, source_sha, run_id)"
          " VALUES (?, ?, ?, 2, ?, '', ?)")
      .bind(1, kind).bind(2, owner).bind(3, model).bind_blob(4, v, sizeof v).bind(5, run).run();
}

TEST(ProductModel, TheModelWithMostProductVectorsAndTheNewestOnATie) {
  TempDir dir;
  auto s = Store::open(dir / "e.db");
  EXPECT_EQ(current_product_model(s->db()), "");
  const auto r1 = s->begin_run("embed", "", "{}");
  const auto r2 = s->begin_run("embed", "", "{}");
  add_vector(*s, "product", "p1", "old", r1);
  EXPECT_EQ(current_product_model(s->db()), "old");
  // Region vectors do not count.
  for (const char* id : {"1", "2", "3"}) add_vector(*s, "region", id, "regions-only", r2);
  EXPECT_EQ(current_product_model(s->db()), "old");
  // A tie goes to the newer run, whatever the names' order.
  add_vector(*s, "product", "p1", "a-new", r2);
  EXPECT_EQ(current_product_model(s->db()), "a-new");
  add_vector(*s, "product", "p2", "old", r1);
  EXPECT_EQ(current_product_model(s->db()), "old");
}

}  // namespace
}  // namespace ensemble::store
