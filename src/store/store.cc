#include "ensemble/store/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <utility>

#include "ensemble/store/schema.h"
#include "ensemble/util/error.h"

namespace ensemble::store {

nlohmann::json RunRecord::to_json(bool with_config) const {
  const auto object_or_empty = [](const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
  };
  nlohmann::json j = {{"id", id},
                      {"stage", stage},
                      {"status", status},
                      {"started_at", started_at},
                      {"finished_at", finished_at},
                      {"config_hash", config_hash},
                      {"backend", backend},
                      {"model_id", model_id},
                      {"input_rows", input_rows},
                      {"output_rows", output_rows},
                      {"failed_rows", failed_rows},
                      {"stats", object_or_empty(stats_json)},
                      {"error", error}};
  if (with_config) j["config"] = object_or_empty(config_json);
  return j;
}

namespace fs = std::filesystem;

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

std::unique_ptr<Store> Store::open(const fs::path& db_path, const Options& options) {
  std::error_code ec;
  if (!fs::exists(db_path, ec)) {
    if (!options.create || options.read_only) {
      throw Error(ErrorCode::kNotFound, "database not found: " + db_path.string() +
                                            " (import a catalog first, or pass --db)");
    }
    if (!db_path.parent_path().empty()) fs::create_directories(db_path.parent_path(), ec);
  }
  Database::Options dbo;
  dbo.read_only = options.read_only;
  Database db = Database::open(db_path, dbo);
  if (options.read_only) {
    const int v = schema_version_readonly(db);
    if (v != latest_schema_version()) {
      throw Error(ErrorCode::kConflict,
                  db_path.string() + " has schema version " + std::to_string(v) + ", expected " +
                      std::to_string(latest_schema_version()) + ": open it once read-write to migrate");
    }
  } else {
    migrate(db);
  }
  MediaStore media(media_root_for(db_path));
  if (!options.read_only) fs::create_directories(media.root(), ec);
  return std::unique_ptr<Store>(new Store(std::move(db), db_path, std::move(media)));
}

std::int64_t Store::begin_run(const std::string& stage, const std::string& config_hash,
                              const std::string& config_json, const std::string& backend,
                              const std::string& model_id) {
  Transaction tx(db_);
  db_.prepare(
         "INSERT INTO runs (stage, status, started_at, config_hash, config_json, backend, model_id)"
         " VALUES (?, 'running', ?, ?, ?, ?, ?)")
      .bind(1, stage)
      .bind(2, utc_now())
      .bind(3, config_hash)
      .bind(4, config_json)
      .bind(5, backend)
      .bind(6, model_id)
      .run();
  const std::int64_t id = db_.last_insert_rowid();
  tx.commit();
  return id;
}

void Store::finish_run(std::int64_t run_id, const RunOutcome& o) {
  Transaction tx(db_);
  db_.prepare(
         "UPDATE runs SET status = ?, finished_at = ?, input_rows = ?, output_rows = ?,"
         " failed_rows = ?, stats_json = ?, error = ? WHERE id = ?")
      .bind(1, o.status)
      .bind(2, utc_now())
      .bind(3, o.input_rows)
      .bind(4, o.output_rows)
      .bind(5, o.failed_rows)
      .bind(6, o.stats_json)
      .bind(7, o.error.empty() ? std::optional<std::string>() : std::optional<std::string>(o.error))
      .bind(8, run_id)
      .run();
  tx.commit();
}

namespace {
RunRecord read_run(Statement& st) {
  RunRecord r;
  r.id = st.column_int(0);
  r.stage = st.column_text(1);
  r.status = st.column_text(2);
  r.started_at = st.column_text(3);
  r.finished_at = st.column_text(4);
  r.config_hash = st.column_text(5);
  r.config_json = st.column_text(6);
  r.backend = st.column_text(7);
  r.model_id = st.column_text(8);
  r.input_rows = st.column_int(9);
  r.output_rows = st.column_int(10);
  r.failed_rows = st.column_int(11);
  r.stats_json = st.column_text(12);
  r.error = st.column_text(13);
  return r;
}
constexpr const char* kRunColumns =
    "SELECT id, stage, status, started_at, coalesce(finished_at,''), config_hash, config_json,"
    " coalesce(backend,''), coalesce(model_id,''), input_rows, output_rows, failed_rows,"
    " stats_json, coalesce(error,'') FROM runs";
}  // namespace

std::vector<RunRecord> Store::runs(int limit) {
  Statement st = db_.prepare(std::string(kRunColumns) + " ORDER BY id DESC LIMIT ?");
  st.bind(1, limit);
  std::vector<RunRecord> out;
  while (st.step()) out.push_back(read_run(st));
  return out;
}

std::optional<RunRecord> Store::run(std::int64_t id) {
  Statement st = db_.prepare(std::string(kRunColumns) + " WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_run(st);
}

int Store::mark_interrupted_runs() {
  Transaction tx(db_);
  const int n = db_.prepare(
                       "UPDATE runs SET status = 'failed', finished_at = ?,"
                       " error = 'interrupted: the process ended before the run finished'"
                       " WHERE status = 'running'")
                    .bind(1, utc_now())
                    .run();
  tx.commit();
  // A killed run may have been writing a media file: its temporary file is garbage now. (Complete
  // files no committed row references are harmless: the same content reuses them.)
  if (n > 0) {
    media_.remove_temp_files();
    // The index files kept beside the database (vector_indexes.path) are written the same way.
    const fs::path index_dir = path_.parent_path() / (path_.stem().string() + ".index");
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(index_dir, ec)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file(ec) && name.size() > 1 && name[0] == '.' &&
          name.find(".tmp") != std::string::npos) {
        fs::remove(e.path(), ec);
      }
    }
  }
  return n;
}

std::map<std::string, std::int64_t> Store::table_counts() {
  std::map<std::string, std::int64_t> out;
  for (const char* t : {"products", "lookbooks", "regions", "embeddings", "matches", "pairs",
                        "recommendations", "feedback", "runs"}) {
    // recommendations is a view over one row per list (schema v5): count its entries cheaply.
    Statement st = db_.prepare(std::string(t) == "recommendations"
                                   ? std::string("SELECT coalesce(sum(n), 0) FROM recommendation_lists")
                                   : std::string("SELECT count(*) FROM ") + t);
    st.step();
    out[t] = st.column_int(0);
  }
  return out;
}

RunLock RunLock::acquire(const fs::path& db_path) {
  const fs::path lock_path = db_path.string() + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(ErrorCode::kIo, "cannot open lock file " + lock_path.string() + ": " +
                                    std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {0};
    const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    throw Error(ErrorCode::kConflict, "another ensemble process (pid " + holder +
                                          ") is running on " + db_path.string() +
                                          "; wait for it to finish");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const ssize_t w = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return RunLock(fd);
}

RunLock::RunLock(RunLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

RunLock::~RunLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace ensemble::store
