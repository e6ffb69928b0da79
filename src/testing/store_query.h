// Test support: the first column of the first row of a query, as an integer (counts, ids).
#pragma once

#include <cstdint>
#include <string>

#include "ensemble/store/store.h"

namespace ensemble::testing {

std::int64_t query_int(store::Database& db, const std::string& sql);
inline std::int64_t query_int(store::Store& s, const std::string& sql) { return query_int(s.db(), sql); }

}  // namespace ensemble::testing
