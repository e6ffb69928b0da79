#include "server/snapshot.h"

#include <chrono>
#include <cstdio>
#include <functional>

namespace ensemble::server {

namespace {

std::int64_t newest_finished_run(store::Store& store) {
  auto st = store.db().prepare("SELECT COALESCE(MAX(id), 0) FROM runs WHERE status <> 'running'");
  return st.step() ? st.column_int(0) : 0;
}

std::string index_key(store::Store& store) {
  auto st = store.db().prepare(
      "SELECT model_id || '|' || backend || '|' || content_hash FROM vector_indexes"
      " WHERE name = 'products'");
  return st.step() ? st.column_text(0) : std::string();
}

}  // namespace

const search::SearchModel& Snapshot::require_model() const {
  if (!model) throw Error(unavailable_code, unavailable_reason);
  return *model;
}

SnapshotManager::SnapshotManager(std::filesystem::path db, const config::Config& config,
                                 store::Store& store)
    : db_(std::move(db)), config_(config) {
  attempted_run_id_ = newest_finished_run(store);
  current_ = load(store, attempted_run_id_, nullptr);
}

SnapshotManager::~SnapshotManager() { stop(); }

std::shared_ptr<const Snapshot> SnapshotManager::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::shared_ptr<const Snapshot> SnapshotManager::load(store::Store& store, std::int64_t run_id,
                                                      const Snapshot* previous) const {
  auto s = std::make_shared<Snapshot>();
  s->generation = previous ? previous->generation + 1 : 1;
  s->run_id = run_id;
  s->loaded_at = store::utc_now();
  s->index_key = index_key(store);
  if (previous && previous->model && previous->index_key == s->index_key) {
    s->model = previous->model;  // same vectors, same embedder: share the loaded index
    return s;
  }
  try {
    s->model = search::open_search_model(store, config_);
  } catch (const Error& e) {
    s->model.reset();
    s->unavailable_code = e.code();
    s->unavailable_reason = e.what();
  }
  return s;
}

bool SnapshotManager::poll(store::Store& store) {
  const std::int64_t newest = newest_finished_run(store);
  if (newest <= attempted_run_id_) return false;
  attempted_run_id_ = newest;
  const auto prev = current();
  auto next = load(store, newest, prev.get());
  // A model that cannot be loaded now (a stale index between the embed and match stages of a run
  // in progress) never replaces a working one: keep answering from the old state until a later
  // run finishes with an index that loads.
  if (!next->model && prev->model) return false;
  if (next->model && prev->model && next->model->index == prev->model->index &&
      next->model->embedder == prev->model->embedder) {
    return false;  // nothing that searches see changed
  }
  {
    std::lock_guard lock(mu_);
    current_ = std::move(next);
  }
  return true;
}

void SnapshotManager::start(double interval_s, std::function<void()> on_swap) {
  if (thread_.joinable()) return;
  thread_ = std::thread([this, interval_s, on_swap = std::move(on_swap)] { loop(interval_s, on_swap); });
}

void SnapshotManager::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SnapshotManager::loop(double interval_s, std::function<void()> on_swap) {
  std::unique_ptr<store::Store> store;
  const auto interval = std::chrono::duration<double>(interval_s > 0 ? interval_s : 2.0);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, interval, [this] { return stopping_; })) return;
    }
    try {
      if (!store) {
        store::Store::Options o;
        o.create = false;
        store = store::Store::open(db_, o);
      }
      if (poll(*store) && on_swap) on_swap();
    } catch (const std::exception& e) {
      // A busy or briefly unreadable database: try again next interval with a fresh connection.
      std::fprintf(stderr, "ensemble serve: snapshot reload failed: %s\n", e.what());
      store.reset();
    }
  }
}

}  // namespace ensemble::server
