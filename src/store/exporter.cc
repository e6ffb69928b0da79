#include "ensemble/store/exporter.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ensemble/util/error.h"

namespace ensemble::store {

const std::vector<std::string>& exportable_tables() {
  static const std::vector<std::string> kTables = {
      "products", "lookbooks", "regions", "embeddings", "matches", "pairs", "recommendations",
      "feedback", "runs", "stage_items"};
  return kTables;
}

namespace {

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string base64(const unsigned char* p, size_t n) {
  static const char* kTab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    const unsigned v = (p[i] << 16) | ((i + 1 < n ? p[i + 1] : 0) << 8) | (i + 2 < n ? p[i + 2] : 0);
    out += kTab[(v >> 18) & 63];
    out += kTab[(v >> 12) & 63];
    out += i + 1 < n ? kTab[(v >> 6) & 63] : '=';
    out += i + 2 < n ? kTab[v & 63] : '=';
  }
  return out;
}

}  // namespace

std::int64_t export_table(Store& store, const std::string& table, const std::string& format,
                          std::ostream& out) {
  const auto& tables = exportable_tables();
  if (std::find(tables.begin(), tables.end(), table) == tables.end()) {
    std::string all;
    for (const auto& t : tables) all += (all.empty() ? "" : ", ") + t;
    throw Error(ErrorCode::kInvalidArgument, "cannot export '" + table + "' (tables: " + all + ")");
  }
  if (format != "csv" && format != "jsonl") {
    throw Error(ErrorCode::kInvalidArgument, "format must be csv or jsonl, not '" + format + "'");
  }
  // The table name is checked against a fixed list above, so it is safe to place in the SQL.
  Statement st = store.db().prepare("SELECT * FROM " + table);
  const int ncol = st.column_count();
  std::vector<std::string> names;
  for (int i = 0; i < ncol; ++i) names.push_back(st.column_name(i));

  if (format == "csv") {
    for (int i = 0; i < ncol; ++i) out << (i ? "," : "") << csv_escape(names[i]);
    out << "\n";
  }
  std::int64_t rows = 0;
  while (st.step()) {
    nlohmann::json obj = nlohmann::json::object();
    for (int i = 0; i < ncol; ++i) {
      std::string text;
      nlohmann::json value;
      if (st.column_is_null(i)) {
        value = nullptr;
      } else if (table == "embeddings" && names[i] == "vector") {
        int bytes = 0;
        const void* p = st.column_blob_ptr(i, &bytes);
        if (format == "jsonl") {
          std::vector<float> v(static_cast<size_t>(bytes) / sizeof(float));
          std::memcpy(v.data(), p, v.size() * sizeof(float));
          value = v;
        } else {
          text = base64(static_cast<const unsigned char*>(p), static_cast<size_t>(bytes));
        }
      } else if (names[i] == "mask_rle") {
        int bytes = 0;
        const void* p = st.column_blob_ptr(i, &bytes);
        text = base64(static_cast<const unsigned char*>(p), static_cast<size_t>(bytes));
        value = text;
      } else {
        text = st.column_text(i);
        switch (st.column_kind(i)) {
          case Statement::Kind::kInteger: value = st.column_int(i); break;
          case Statement::Kind::kReal: value = st.column_double(i); break;
          default: value = text;
        }
      }
      if (format == "csv") {
        out << (i ? "," : "") << csv_escape(text);
      } else {
        obj[names[i]] = value;
      }
    }
    if (format == "csv") {
      out << "\n";
    } else {
      out << obj.dump() << "\n";
    }
    ++rows;
  }
  return rows;
}

}  // namespace ensemble::store
