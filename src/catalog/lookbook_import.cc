#include "ensemble/catalog/lookbook_import.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "catalog/image_intake.h"
#include "catalog/import_finish.h"
#include "ensemble/util/error.h"
#include "ensemble/util/fault.h"
#include "ensemble/util/progress.h"

namespace ensemble::catalog {

namespace fs = std::filesystem;

namespace {

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp";
}

}  // namespace

ImportReport import_lookbooks(store::Store& store, const std::vector<fs::path>& inputs,
                              const LookbookImportOptions& options, const config::Config& config) {
  const auto t0 = std::chrono::steady_clock::now();
  if (inputs.empty()) throw Error(ErrorCode::kInvalidArgument, "no lookbook files or folders given");
  // Collect files first, so a missing input fails before anything is written.
  std::vector<fs::path> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(in, ec)) {
        if (e.is_regular_file() && is_image_name(e.path())) found.push_back(e.path());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(in, ec)) {
      files.push_back(in);
    } else {
      throw Error(ErrorCode::kNotFound, "no such file or folder: " + in.string());
    }
  }
  if (options.id && files.size() != 1) {
    throw Error(ErrorCode::kInvalidArgument, "--id needs exactly one lookbook file");
  }

  store::RunLock lock = store::RunLock::acquire(store.path());
  const fault::Scope fault_scope("import-lookbooks");
  store.mark_interrupted_runs();
  store::Database& db = store.db();
  ImportReport report;
  nlohmann::json inputs_json = nlohmann::json::array();
  for (const auto& in : inputs) inputs_json.push_back(fs::absolute(in).string());
  report.run_id = store.begin_run(
      "import-lookbooks", config.hash(),
      nlohmann::json({{"inputs", inputs_json}, {"strict", options.strict},
                      {"import", config.section_json("import")}})
          .dump());

  Progress progress("lookbooks", files.size(), options.quiet);
  std::optional<store::Transaction> tx;
  tx.emplace(db);
  store::Statement select = db.prepare("SELECT image_sha FROM lookbooks WHERE id = ?");
  store::Statement insert = db.prepare(
      "INSERT INTO lookbooks (id, source, image_sha, image_ext, width, height, run_id,"
      " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)");
  store::Statement update = db.prepare(
      "UPDATE lookbooks SET source=?, image_sha=?, image_ext=?, width=?, height=?, run_id=?,"
      " updated_at=? WHERE id=?");
  std::map<std::string, fs::path> seen;
  std::int64_t since_commit = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    // Non-strict imports commit in batches: a kill keeps what was committed and the re-run skips
    // those files as unchanged.
    if (!options.strict && since_commit >= options.commit_every) {
      store.media().sync();
      tx->commit();
      tx.reset();
      tx.emplace(db);
      since_commit = 0;
    }
    const fs::path& f = files[i];
    ++report.seen;
    progress.update(i + 1);
    const std::string id = options.id ? *options.id : f.stem().string();
    auto problem = [&](const std::string& msg) { report.reject({f.string(), 0, id, msg}); };
    if (id.empty()) {
      problem("empty lookbook id");
      continue;
    }
    if (auto it = seen.find(id); it != seen.end()) {
      problem("duplicate lookbook id '" + id + "' (also " + it->second.string() + ")");
      continue;
    }
    seen.emplace(id, f);
    StoredImage img;
    try {
      img = intake_image(f, options.limits, store.media());
    } catch (const Error& e) {
      problem(e.what());
      continue;
    }
    const std::string now = store::utc_now();
    select.bind(1, id);
    if (select.step()) {
      const bool same = select.column_text(0) == img.sha;
      select.reset();
      if (same) {
        ++report.unchanged;
        continue;
      }
      update.bind(1, fs::absolute(f).lexically_normal().string()).bind(2, img.sha).bind(3, img.ext)
          .bind(4, img.width).bind(5, img.height).bind(6, report.run_id).bind(7, now).bind(8, id);
      update.run();
      ++report.updated;
      ++since_commit;
    } else {
      select.reset();
      insert.bind(1, id).bind(2, fs::absolute(f).lexically_normal().string()).bind(3, img.sha).bind(4, img.ext)
          .bind(5, img.width).bind(6, img.height).bind(7, report.run_id).bind(8, now).bind(9, now);
      insert.run();
      ++report.inserted;
      ++since_commit;
    }
  }
  progress.finish();
  finish_import(store, tx, options.strict, "file(s)", t0, SIZE_MAX, report);
  return report;
}

}  // namespace ensemble::catalog
