// The Store: one SQLite database (schema migrated on open) plus its media folder, and the lineage
// records (runs) that every import and pipeline stage writes.
//
// Ownership: a Store owns its connection; one Store per thread. Writers that change the store in
// bulk (imports, pipeline stages) hold a RunLock first, so two runs on one database never
// interleave: the second is refused with a clear message naming the holder's pid.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/store/database.h"
#include "ensemble/store/media_store.h"

namespace ensemble::store {

struct RunRecord {
  std::int64_t id = 0;
  std::string stage;
  std::string status;  // running | ok | failed | partial
  std::string started_at;
  std::string finished_at;
  std::string config_hash;
  std::string config_json;
  std::string backend;
  std::string model_id;
  std::int64_t input_rows = 0;
  std::int64_t output_rows = 0;
  std::int64_t failed_rows = 0;
  std::string stats_json;
  std::string error;

  // {"id", "stage", "status", "started_at", "finished_at", "config_hash", "backend", "model_id",
  //  "input_rows", "output_rows", "failed_rows", "stats": {...}, "error"[, "config": {...}]}: the
  // shape of `ensemble runs --json` and GET /api/runs. Unparsable stored JSON becomes {}.
  nlohmann::json to_json(bool with_config) const;
};

struct RunOutcome {
  std::string status = "ok";  // ok | failed | partial (some inputs rejected)
  std::int64_t input_rows = 0;
  std::int64_t output_rows = 0;
  std::int64_t failed_rows = 0;
  std::string stats_json = "{}";
  std::string error;
};

class Store {
 public:
  struct Options {
    bool read_only = false;
    bool create = true;  // false: a missing database is Error(kNotFound)
  };
  // Opens or creates the database, migrates it to the latest schema (unless read-only; a read-only
  // open of an outdated database is Error(kConflict)), and sets up the media folder.
  static std::unique_ptr<Store> open(const std::filesystem::path& db_path, const Options& options);
  static std::unique_ptr<Store> open(const std::filesystem::path& db_path) {
    return open(db_path, Options{});
  }

  Database& db() { return db_; }
  MediaStore& media() { return media_; }
  const std::filesystem::path& path() const { return path_; }

  // Lineage. begin_run inserts a 'running' row (in its own transaction) and returns its id.
  std::int64_t begin_run(const std::string& stage, const std::string& config_hash,
                         const std::string& config_json, const std::string& backend = "",
                         const std::string& model_id = "");
  void finish_run(std::int64_t run_id, const RunOutcome& outcome);
  std::vector<RunRecord> runs(int limit = 100);
  std::optional<RunRecord> run(std::int64_t id);
  // Marks runs left 'running' by a killed process as failed, and then removes the temporary media
  // files such a process may have left. Call only while holding the RunLock.
  int mark_interrupted_runs();

  // Row counts of the main tables, for `ensemble stats`.
  std::map<std::string, std::int64_t> table_counts();

 private:
  Store(Database db, std::filesystem::path path, MediaStore media)
      : db_(std::move(db)), path_(std::move(path)), media_(std::move(media)) {}
  Database db_;
  std::filesystem::path path_;
  MediaStore media_;
};

// An exclusive advisory lock (flock) on "<db>.lock", released on destruction or process death
// (kill -9 included), so a crashed run never blocks the next one.
class RunLock {
 public:
  // Throws Error(kConflict) "another ensemble process (pid N) is running on DB" when held.
  static RunLock acquire(const std::filesystem::path& db_path);
  RunLock(RunLock&&) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Current UTC time as ISO 8601 with milliseconds, as stored in the database.
std::string utc_now();

}  // namespace ensemble::store
