// Per-request resources: a store::Store connection (SQLite connections are never shared between
// threads), and the Searcher / PhotoLook bound to that connection for the current snapshot.
//
// A request leases one Worker for its whole length; a Worker is used by one request at a time and
// goes back to the pool afterwards, so connections are reused, never shared. There are never more
// Workers than requests that ran at once (<= the server's threads). Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "ensemble/look/photo_look.h"
#include "ensemble/search/searcher.h"
#include "ensemble/store/store.h"
#include "server/snapshot.h"

namespace ensemble::server {

class Worker {
 public:
  Worker(std::unique_ptr<store::Store> store, const config::Config& config)
      : store_(std::move(store)), config_(config) {}
  store::Store& store() { return *store_; }
  // The snapshot this request answers from (taken when the lease began).
  const Snapshot& snapshot() const { return *snapshot_; }
  // A Searcher over this worker's connection and the snapshot's model. Throws the snapshot's
  // Error when search is unavailable (no index yet, stale).
  const search::Searcher& searcher();
  // The photo look over searcher() (created on first use per snapshot).
  const look::PhotoLook& look();

 private:
  friend class WorkerPool;
  void bind(std::shared_ptr<const Snapshot> snapshot);
  void release_snapshot();

  std::unique_ptr<store::Store> store_;
  const config::Config& config_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::optional<search::Searcher> searcher_;
  std::unique_ptr<look::PhotoLook> look_;
};

class WorkerPool {
 public:
  WorkerPool(std::filesystem::path db, const config::Config& config, const SnapshotManager& snapshots)
      : db_(std::move(db)), config_(config), snapshots_(snapshots) {}

  class Lease {
   public:
    Lease(WorkerPool& pool, std::unique_ptr<Worker> w) : pool_(&pool), w_(std::move(w)) {}
    Lease(Lease&&) = default;
    ~Lease() { if (w_) pool_->give_back(std::move(w_)); }
    Worker* operator->() { return w_.get(); }
    Worker& operator*() { return *w_; }

   private:
    WorkerPool* pool_;
    std::unique_ptr<Worker> w_;
  };

  // A worker bound to the current snapshot (opens a new connection when none is free).
  // Throws like store::Store::open.
  Lease acquire();
  // Drops idle workers' references to old snapshots (called after a swap, so an old index is freed
  // as soon as the requests using it finish).
  void forget_snapshots();

 private:
  void give_back(std::unique_ptr<Worker> w);
  std::filesystem::path db_;
  const config::Config& config_;
  const SnapshotManager& snapshots_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Worker>> idle_;
};

}  // namespace ensemble::server
