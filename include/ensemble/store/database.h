// A thin RAII layer over SQLite: Database owns a connection, Statement a prepared statement,
// Transaction a BEGIN IMMEDIATE ... COMMIT scope that rolls back unless committed,
// ForeignKeyChecksOff a scope without foreign-key checks for bulk writes.
//
// All SQL goes through prepared statements with bound parameters (never string concatenation of
// values). SQLite errors become ensemble::Error: SQLITE_BUSY/LOCKED -> kConflict, SQLITE_CORRUPT and
// SQLITE_NOTADB -> kBadInput, SQLITE_CANTOPEN -> kNotFound, SQLITE_FULL/IOERR -> kIo, others
// kInternal. A Database is not thread-safe: use one per thread (SQLite WAL allows many readers and
// one writer across connections).
//
// prepare() keeps a small cache of compiled statements per connection: a Statement, when it goes
// out of scope, is reset (bindings cleared, no read transaction left open) and kept for the next
// prepare() of the same SQL text, so a hot read path (a server request) does not compile the
// same SQL again each time. Statements should still not outlive their Database; if one does, it
// is finalized instead of cached.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ensemble/store/read_cache.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ensemble::store {

class Statement;
namespace detail {
struct StatementCache;
}

class Database {
 public:
  struct Options {
    bool read_only = false;
    int busy_timeout_ms = 5000;  // Default: wait up to 5 s for another writer
  };
  // Opens (creating if needed, unless read_only) with WAL, foreign keys and synchronous=NORMAL.
  static Database open(const std::filesystem::path& path, const Options& options);
  static Database open(const std::filesystem::path& path) { return open(path, Options{}); }

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  // Runs one or more statements without parameters (DDL, PRAGMA).
  void exec(std::string_view sql);
  // Compiles one statement (or takes it from the cache). Throws on a syntax error.
  Statement prepare(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;  // rows changed by the last statement
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() { return db_; }
  // Values decoded from this connection's store, for later readers in the same process
  // (read_cache.h). Cleared when the connection closes.
  ReadCache& read_cache() {
    if (!read_cache_) read_cache_ = std::make_unique<ReadCache>();
    return *read_cache_;
  }

 private:
  Database(sqlite3* db, std::filesystem::path path);
  void close();
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  std::shared_ptr<detail::StatementCache> cache_;
  std::unique_ptr<ReadCache> read_cache_;
};

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Parameters are 1-based, as in SQLite. Each returns *this for chaining.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind_blob(int index, const void* data, size_t bytes);
  Statement& bind_null(int index);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& v) {
    return v ? bind(index, *v) : bind_null(index);
  }

  // Advances; true while a row is available, false when done. Throws on error.
  bool step();
  // Runs to completion (for INSERT/UPDATE/DELETE). Returns sqlite3_changes().
  int run();
  void reset();  // rewinds and clears bindings, ready to bind again

  std::int64_t column_int(int col) const;
  double column_double(int col) const;
  std::string column_text(int col) const;
  std::vector<unsigned char> column_blob(int col) const;
  const void* column_blob_ptr(int col, int* bytes) const;
  bool column_is_null(int col) const;
  enum class Kind { kInteger, kReal, kText, kBlob, kNull };
  Kind column_kind(int col) const;
  int column_count() const;
  std::string column_name(int col) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::shared_ptr<detail::StatementCache> cache, std::string sql)
      : db_(db), stmt_(stmt), cache_(std::move(cache)), sql_(std::move(sql)) {}
  void release();  // back to the cache, or finalized
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::shared_ptr<detail::StatementCache> cache_;
  std::string sql_;
};

// BEGIN IMMEDIATE on construction (takes the write lock now, so a busy database fails early);
// ROLLBACK on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

// One read transaction over a group of reads (a request's queries): BEGIN (deferred) on
// construction, ended on destruction. The reads that follow see one state of the database (SQLite
// takes the snapshot at the first read), and the WAL read lock is taken once instead of once per
// statement. For reads only: a write inside would have to upgrade the lock and fails with
// SQLITE_BUSY when another connection wrote since the snapshot began. Nested in an open
// transaction it does nothing.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Database& db);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  Database& db_;
  bool began_ = false;
};

// Turns SQLite's foreign-key enforcement off on this connection for the guard's lifetime, and on
// again after. For bulk writes whose references the writer has just read itself while holding the
// RunLock (nothing else can delete the rows they point to): the checks cost more than half of such
// an insert. Rows written meanwhile still cascade later (ON DELETE CASCADE is enforced whenever a
// parent row is deleted with the checks on). SQLite ignores the pragma inside a transaction, so
// construction throws Error(kInternal) when one is open; begin the Transaction after the guard.
class ForeignKeyChecksOff {
 public:
  explicit ForeignKeyChecksOff(Database& db);
  ~ForeignKeyChecksOff();
  ForeignKeyChecksOff(const ForeignKeyChecksOff&) = delete;
  ForeignKeyChecksOff& operator=(const ForeignKeyChecksOff&) = delete;

 private:
  Database& db_;
};

}  // namespace ensemble::store
