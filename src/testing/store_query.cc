#include "testing/store_query.h"

namespace ensemble::testing {

std::int64_t query_int(store::Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  st.step();
  return st.column_int(0);
}

}  // namespace ensemble::testing
