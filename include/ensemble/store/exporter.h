// Exports a table as CSV (RFC 4180, header row) or JSON Lines, streaming row by row.
// Vectors (embeddings.vector) are written as JSON arrays of floats in JSONL and as base64 in CSV.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "ensemble/store/store.h"

namespace ensemble::store {

// Tables that can be exported.
const std::vector<std::string>& exportable_tables();

// format: "csv" or "jsonl". Throws Error(kInvalidArgument) for an unknown table or format.
// Returns the number of rows written.
std::int64_t export_table(Store& store, const std::string& table, const std::string& format,
                          std::ostream& out);

}  // namespace ensemble::store
