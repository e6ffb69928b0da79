#include "ensemble/store/database.h"

#include <sqlite3.h>

#include <mutex>
#include <unordered_map>
#include <utility>

#include "ensemble/util/error.h"
#include "ensemble/util/fault.h"

namespace ensemble::store {
namespace {

ErrorCode code_for(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::kConflict;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ErrorCode::kBadInput;
    case SQLITE_CANTOPEN: return ErrorCode::kNotFound;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM: return ErrorCode::kIo;
    case SQLITE_CONSTRAINT: return ErrorCode::kBadInput;
    default: return ErrorCode::kInternal;
  }
}

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  std::string msg = "SQLite: " + std::string(what) + ": " +
                    (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if ((rc & 0xFF) == SQLITE_BUSY) msg += " (another process is writing to the database)";
  throw Error(code_for(rc), msg);
}

}  // namespace

namespace detail {

// Idle compiled statements of one connection, by SQL text. Used by one thread at a time (the
// connection's), like the connection itself.
struct StatementCache {
  static constexpr std::size_t kMaxIdle = 64;
  bool closed = false;
  std::unordered_multimap<std::string, sqlite3_stmt*> idle;

  sqlite3_stmt* take(const std::string& sql) {
    auto it = idle.find(sql);
    if (it == idle.end()) return nullptr;
    sqlite3_stmt* s = it->second;
    idle.erase(it);
    return s;
  }
  void put(std::string sql, sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (closed || idle.size() >= kMaxIdle) {
      sqlite3_finalize(stmt);
      return;
    }
    idle.emplace(std::move(sql), stmt);
  }
  void clear() {
    for (auto& [sql, stmt] : idle) sqlite3_finalize(stmt);
    idle.clear();
  }
};

}  // namespace detail

Database::Database(sqlite3* db, std::filesystem::path path)
    : db_(db), path_(std::move(path)), cache_(std::make_shared<detail::StatementCache>()) {}

void Database::close() {
  if (read_cache_) read_cache_->clear();
  if (cache_) {
    cache_->clear();
    cache_->closed = true;
    cache_.reset();
  }
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Database Database::open(const std::filesystem::path& path, const Options& options) {
  // SQLite counts every allocation in global statistics behind one process-wide mutex unless told
  // otherwise before it initialises (the first open); the library never reads them, and with many
  // connections on many threads (the server) that mutex was the main contention of a read.
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* raw = nullptr;
  const int flags = (options.read_only ? SQLITE_OPEN_READONLY
                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw, path);
  if (rc != SQLITE_OK) {
    const std::string msg = "cannot open database " + path.string() + ": " +
                            (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    throw Error(code_for(rc), msg);
  }
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  // Reading the schema catches "file is not a database" here, with a clear message.
  try {
    if (!options.read_only) db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;");
    db.exec("SELECT count(*) FROM sqlite_master");
  } catch (const Error& e) {
    throw Error(e.code(), path.string() + ": " + e.what());
  }
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      cache_(std::move(other.cache_)),
      read_cache_(std::move(other.read_cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    cache_ = std::move(other.cache_);
    read_cache_ = std::move(other.read_cache_);
  }
  return *this;
}

Database::~Database() { close(); }

void Database::exec(std::string_view sql) {
  const std::string s(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw Error(code_for(rc), "SQLite: " + msg);
  }
}

Statement Database::prepare(std::string_view sql) {
  std::string key(sql);
  if (sqlite3_stmt* cached = cache_->take(key)) return Statement(db_, cached, cache_, std::move(key));
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "prepare");
  return Statement(db_, stmt, cache_, std::move(key));
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Statement::Statement(Statement&& o) noexcept
    : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)), cache_(std::move(o.cache_)), sql_(std::move(o.sql_)) {}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    release();
    db_ = o.db_;
    stmt_ = std::exchange(o.stmt_, nullptr);
    cache_ = std::move(o.cache_);
    sql_ = std::move(o.sql_);
  }
  return *this;
}

Statement::~Statement() { release(); }

void Statement::release() {
  sqlite3_stmt* s = std::exchange(stmt_, nullptr);
  if (s == nullptr) return;
  if (cache_) {
    cache_->put(std::move(sql_), s);
  } else {
    sqlite3_finalize(s);
  }
  cache_.reset();
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}
Statement& Statement::bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}
Statement& Statement::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                     SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}
Statement& Statement::bind_blob(int index, const void* data, size_t bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, data, bytes, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}
Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, "step");
}

int Statement::run() {
  while (step()) {
  }
  const int n = sqlite3_changes(db_);
  reset();
  fault::maybe_kill("sql");  // crash-safety tests: a kill after any write, mid-transaction too
  return n;
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::column_double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::column_text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}
std::vector<unsigned char> Statement::column_blob(int col) const {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::vector<unsigned char>() : std::vector<unsigned char>(p, p + n);
}
const void* Statement::column_blob_ptr(int col, int* bytes) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  *bytes = sqlite3_column_bytes(stmt_, col);
  return p;
}
bool Statement::column_is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Statement::Kind Statement::column_kind(int col) const {
  switch (sqlite3_column_type(stmt_, col)) {
    case SQLITE_INTEGER: return Kind::kInteger;
    case SQLITE_FLOAT: return Kind::kReal;
    case SQLITE_TEXT: return Kind::kText;
    case SQLITE_BLOB: return Kind::kBlob;
    default: return Kind::kNull;
  }
}
int Statement::column_count() const { return sqlite3_column_count(stmt_); }
std::string Statement::column_name(int col) const { return sqlite3_column_name(stmt_, col); }

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // Rollback after a failed statement can itself fail when SQLite already rolled back.
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
  fault::maybe_kill("commit");
}

ReadSnapshot::ReadSnapshot(Database& db) : db_(db) {
  if (sqlite3_get_autocommit(db_.handle()) == 0) return;  // inside a transaction already
  db_.prepare("BEGIN").run();
  began_ = true;
}

ReadSnapshot::~ReadSnapshot() {
  if (!began_ || sqlite3_get_autocommit(db_.handle()) != 0) return;
  try {
    db_.prepare("COMMIT").run();
  } catch (...) {
    // A read-only COMMIT has nothing to fail on; should it fail, end the transaction anyway.
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
    }
  }
}

ForeignKeyChecksOff::ForeignKeyChecksOff(Database& db) : db_(db) {
  if (sqlite3_get_autocommit(db_.handle()) == 0) {
    throw Error(ErrorCode::kInternal, "foreign-key checks cannot be switched inside a transaction");
  }
  db_.exec("PRAGMA foreign_keys=OFF");
}

ForeignKeyChecksOff::~ForeignKeyChecksOff() {
  try {
    db_.exec("PRAGMA foreign_keys=ON");
  } catch (...) {
    // Only fails inside a transaction, which the guard's user must have closed by now.
  }
}

}  // namespace ensemble::store
