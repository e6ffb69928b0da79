#include "server/workers.h"

namespace ensemble::server {

const search::Searcher& Worker::searcher() {
  if (!searcher_) searcher_.emplace(*store_, snapshot_->require_model());
  return *searcher_;
}

const look::PhotoLook& Worker::look() {
  // PhotoLook borrows a Searcher that queries through its Store: one per worker, never shared.
  if (!look_) look_ = std::make_unique<look::PhotoLook>(config_, searcher());
  return *look_;
}

void Worker::bind(std::shared_ptr<const Snapshot> snapshot) {
  if (snapshot_ && snapshot && snapshot_->generation == snapshot->generation) return;
  release_snapshot();
  snapshot_ = std::move(snapshot);
}

void Worker::release_snapshot() {
  look_.reset();  // borrows searcher_
  searcher_.reset();
  snapshot_.reset();
}

WorkerPool::Lease WorkerPool::acquire() {
  std::unique_ptr<Worker> w;
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      w = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!w) {
    store::Store::Options o;
    o.create = false;
    auto store = store::Store::open(db_, o);
    // A worker's reads map the first 256 MiB of the file instead of copying each page through
    // pread and the connection's 2 MB page cache (about +7 % requests/s, docs/BENCHMARKS.md). Only
    // here: mapped pages count in a process's RSS, which the batch jobs' memory bounds measure.
    store->db().exec("PRAGMA mmap_size=268435456");
    w = std::make_unique<Worker>(std::move(store), config_);
  }
  w->bind(snapshots_.current());
  return Lease(*this, std::move(w));
}

void WorkerPool::give_back(std::unique_ptr<Worker> w) {
  const auto current = snapshots_.current();
  if (w->snapshot_ && w->snapshot_->generation != current->generation) w->release_snapshot();
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(w));
}

void WorkerPool::forget_snapshots() {
  const auto current = snapshots_.current();
  std::lock_guard lock(mu_);
  for (auto& w : idle_) {
    if (w->snapshot_ && w->snapshot_->generation != current->generation) w->release_snapshot();
  }
}

}  // namespace ensemble::server
