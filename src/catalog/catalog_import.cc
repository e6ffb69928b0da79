#include "ensemble/catalog/catalog_import.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "catalog/image_intake.h"
#include "catalog/import_finish.h"
#include "ensemble/catalog/csv_reader.h"
#include "ensemble/util/error.h"
#include "ensemble/util/fault.h"
#include "ensemble/util/fs.h"
#include "ensemble/util/progress.h"

namespace ensemble::catalog {

namespace fs = std::filesystem;

image::ImageLimits limits_from_config(const config::Config& config) {
  image::ImageLimits l;
  l.max_pixels = static_cast<std::uint64_t>(config.get_double("import.max_megapixels") * 1e6);
  l.max_file_bytes =
      static_cast<std::uint64_t>(config.get_double("import.max_file_mb") * 1024.0 * 1024.0);
  return l;
}

namespace {

std::string lower_trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::uintmax_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

}  // namespace

ImportReport import_catalog(store::Store& store, const fs::path& csv,
                            const CatalogImportOptions& options, const config::Config& config) {
  const auto t0 = std::chrono::steady_clock::now();
  std::ifstream in(csv, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, "cannot open catalog " + csv.string());
  const fs::path root = options.images_root.empty() ? fs::absolute(csv).parent_path()
                                                    : fs::absolute(options.images_root);

  CsvReader reader(in, options.max_field_bytes);
  CsvRow header;
  if (!reader.next(header)) throw Error(ErrorCode::kBadInput, csv.string() + ": empty file");
  if (!header.error.empty()) {
    throw Error(ErrorCode::kBadInput, csv.string() + ":1: header: " + header.error);
  }
  {
    // A UTF-16/32 export (Excel's "Unicode text") reads as NUL bytes or a foreign byte-order mark.
    const std::string& first = header.fields.empty() ? std::string() : header.fields[0];
    bool has_nul = false;
    for (const auto& f : header.fields) has_nul = has_nul || f.find('\0') != std::string::npos;
    if (has_nul || first.rfind("\xFF\xFE", 0) == 0 || first.rfind("\xFE\xFF", 0) == 0) {
      throw Error(ErrorCode::kBadInput, csv.string() +
                                            ":1: the file looks like UTF-16 or UTF-32 text; save "
                                            "the CSV as UTF-8");
    }
  }
  std::unordered_map<std::string, size_t> col;
  std::vector<std::string> names;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const std::string name = lower_trim(header.fields[i]);
    if (!is_valid_utf8(name)) {
      throw Error(ErrorCode::kBadInput, csv.string() + ":1: header is not valid UTF-8");
    }
    if (name.empty()) {
      throw Error(ErrorCode::kBadInput,
                  csv.string() + ":1: column " + std::to_string(i + 1) + " has no name");
    }
    if (col.count(name) != 0) {
      throw Error(ErrorCode::kBadInput, csv.string() + ":1: duplicate column '" + name + "'");
    }
    col[name] = i;
    names.push_back(name);
  }
  std::string missing;
  for (const char* req : {"id", "title", "category", "image"}) {
    if (col.count(req) == 0) missing += std::string(missing.empty() ? "" : ", ") + req;
  }
  if (!missing.empty()) {
    throw Error(ErrorCode::kBadInput, csv.string() + ":1: missing required column(s): " + missing +
                                          " (required: id,title,category,image)");
  }

  const image::ImageLimits limits = options.limits;
  store::RunLock lock = store::RunLock::acquire(store.path());
  const fault::Scope fault_scope("import-catalog");
  store.mark_interrupted_runs();
  store::Database& db = store.db();
  ImportReport report;
  nlohmann::json run_cfg = {{"file", fs::absolute(csv).string()},
                            {"images_root", root.string()},
                            {"strict", options.strict},
                            {"import", config.section_json("import")}};
  report.run_id = store.begin_run("import-catalog", config.hash(), run_cfg.dump());

  Progress progress("catalog", file_size_or_zero(csv), options.quiet);
  auto problem = [&](std::int64_t line, const std::string& id, const std::string& msg) {
    report.reject({csv.string(), line, id, msg});
  };

  std::optional<store::Transaction> tx;
  tx.emplace(db);
  store::Statement select = db.prepare(
      "SELECT title, category, image_sha, image_ext, width, height, attributes FROM products "
      "WHERE id = ?");
  store::Statement insert = db.prepare(
      "INSERT INTO products (id, title, category, image_sha, image_ext, width, height, attributes,"
      " run_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  store::Statement update = db.prepare(
      "UPDATE products SET title=?, category=?, image_sha=?, image_ext=?, width=?, height=?,"
      " attributes=?, run_id=?, updated_at=? WHERE id=?");

  std::unordered_set<std::string> seen_ids;
  std::unordered_map<std::string, StoredImage> image_cache;  // same path referenced twice
  CsvRow row;
  std::int64_t since_commit = 0;
  while (reader.next(row)) {
    ++report.seen;
    if ((report.seen & 63) == 0) progress.update(static_cast<std::uint64_t>(in.tellg()));
    if (!row.error.empty()) {
      problem(row.line, "", row.error);
      continue;
    }
    if (row.fields.size() != names.size()) {
      problem(row.line, row.fields.empty() ? "" : trim(row.fields[0]),
              "expected " + std::to_string(names.size()) + " fields, found " +
                  std::to_string(row.fields.size()));
      continue;
    }
    bool utf8_ok = true;
    for (const auto& f : row.fields) utf8_ok = utf8_ok && is_valid_utf8(f);
    if (!utf8_ok) {
      problem(row.line, "", "not valid UTF-8 (save the CSV as UTF-8)");
      continue;
    }
    const std::string id = trim(row.fields[col["id"]]);
    const std::string title = trim(row.fields[col["title"]]);
    const std::string category = lower_trim(row.fields[col["category"]]);
    const std::string image_rel = trim(row.fields[col["image"]]);
    if (id.empty() || title.empty() || category.empty() || image_rel.empty()) {
      std::string which;
      if (id.empty()) which += "id ";
      if (title.empty()) which += "title ";
      if (category.empty()) which += "category ";
      if (image_rel.empty()) which += "image ";
      which.pop_back();
      problem(row.line, id, "empty required field(s): " + which);
      continue;
    }
    if (!seen_ids.insert(id).second) {
      problem(row.line, id, "duplicate id '" + id + "' (first occurrence kept)");
      continue;
    }
    const fs::path image_path = fs::path(image_rel).is_absolute() ? fs::path(image_rel)
                                                                  : root / image_rel;
    if (!path_is_within(root, image_path)) {
      problem(row.line, id, "image path '" + image_rel + "' escapes the images root " +
                                root.string());
      continue;
    }
    StoredImage img;
    try {
      const std::string key = image_path.lexically_normal().string();
      auto it = image_cache.find(key);
      if (it != image_cache.end()) {
        img = it->second;
      } else {
        img = intake_image(image_path, limits, store.media());
        if (image_cache.size() < 100000) image_cache.emplace(key, img);
      }
    } catch (const Error& e) {
      problem(row.line, id, std::string("image: ") + e.what());
      continue;
    }
    nlohmann::json attrs = nlohmann::json::object();
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string& n = names[i];
      if (n == "id" || n == "title" || n == "category" || n == "image") continue;
      const std::string v = trim(row.fields[i]);
      if (!v.empty()) attrs[n] = v;
    }
    const std::string attrs_text = attrs.dump();
    const std::string now = store::utc_now();

    select.bind(1, id);
    if (select.step()) {
      const bool same = select.column_text(0) == title && select.column_text(1) == category &&
                        select.column_text(2) == img.sha && select.column_text(3) == img.ext &&
                        select.column_text(6) == attrs_text;
      select.reset();
      if (same) {
        ++report.unchanged;
      } else {
        update.bind(1, title).bind(2, category).bind(3, img.sha).bind(4, img.ext)
            .bind(5, img.width).bind(6, img.height).bind(7, attrs_text).bind(8, report.run_id)
            .bind(9, now).bind(10, id);
        update.run();
        ++report.updated;
      }
    } else {
      select.reset();
      insert.bind(1, id).bind(2, title).bind(3, category).bind(4, img.sha).bind(5, img.ext)
          .bind(6, img.width).bind(7, img.height).bind(8, attrs_text).bind(9, report.run_id)
          .bind(10, now).bind(11, now);
      insert.run();
      ++report.inserted;
    }
    if (!options.strict && ++since_commit >= options.commit_every) {
      store.media().sync();
      tx->commit();
      tx.reset();
      tx.emplace(db);
      since_commit = 0;
    }
  }
  progress.finish();

  finish_import(store, tx, options.strict, "row(s)", t0, 100, report);
  return report;
}

}  // namespace ensemble::catalog
