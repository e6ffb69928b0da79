// The immutable search state the server answers from, and the thread that replaces it when a
// pipeline run finishes (docs/API.md, "Snapshot reload").
//
// A Snapshot is never changed after it is published: readers take a std::shared_ptr to it for the
// length of a request, so a swap never pulls anything from under a request in flight; the old one
// is freed when its last reader lets go.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "ensemble/config/config.h"
#include "ensemble/search/searcher.h"
#include "ensemble/store/store.h"
#include "ensemble/util/error.h"

namespace ensemble::server {

struct Snapshot {
  std::uint64_t generation = 0;   // 1 for the first, +1 per swap
  std::int64_t run_id = 0;        // newest finished run when it was loaded
  std::string loaded_at;          // UTC ISO 8601
  std::optional<search::SearchModel> model;  // empty: searches are unavailable, see below
  ErrorCode unavailable_code = ErrorCode::kNotFound;
  std::string unavailable_reason;
  // The vector_indexes row the model was loaded for (model_id|backend|content_hash); a newer run
  // that left it unchanged does not reload the index.
  std::string index_key;

  // The model, or throws Error(unavailable_code, unavailable_reason).
  const search::SearchModel& require_model() const;
};

// Publishes snapshots and runs the reload thread. Thread-safe.
class SnapshotManager {
 public:
  // Loads the first snapshot through `store` (the caller's connection, used only here).
  SnapshotManager(std::filesystem::path db, const config::Config& config, store::Store& store);
  ~SnapshotManager();  // stops the reload thread

  std::shared_ptr<const Snapshot> current() const;
  // Starts polling every interval_s; on_swap runs after each swap (from the reload thread).
  void start(double interval_s, std::function<void()> on_swap);
  void stop();
  // One poll now (what the thread does each interval). Returns true when it swapped.
  bool poll(store::Store& store);

 private:
  std::shared_ptr<const Snapshot> load(store::Store& store, std::int64_t run_id,
                                       const Snapshot* previous) const;
  void loop(double interval_s, std::function<void()> on_swap);

  std::filesystem::path db_;
  const config::Config& config_;
  mutable std::mutex mu_;  // guards current_ (and the wake-up below)
  std::shared_ptr<const Snapshot> current_;
  std::int64_t attempted_run_id_ = 0;  // only the reload thread touches it after start()
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ensemble::server
