// The route groups of the API (docs/API.md) and what they share. Each add_*_routes registers its
// handlers on the Router; handlers lease a Worker per request (its own SQLite connection). A
// handler that only reads and runs more than one query reads in a store::ReadSnapshot: its answer
// comes from one state of the database, whatever a pipeline run commits meanwhile.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ensemble/server/server.h"
#include "ensemble/store/store.h"
#include "server/fifo_slots.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/snapshot.h"
#include "server/static_files.h"
#include "server/workers.h"

namespace ensemble::server {

struct ServerContext {
  const ServerOptions& options;
  SnapshotManager& snapshots;
  WorkerPool& workers;
  Metrics& metrics;
  const StaticFiles& files;
  // Photo work (decode, segment, embed) is CPU-bound: at most this many at once (the cores), the
  // others wait their turn (first come, first served) instead of multiplying memory and
  // thrashing the cores.
  FifoSlots& photo_slots;
};

void add_search_routes(Router& router, ServerContext& ctx);   // routes_search.cc
void add_catalog_routes(Router& router, ServerContext& ctx);  // routes_catalog.cc
void add_ops_routes(Router& router, ServerContext& ctx);      // routes_ops.cc
void add_static_routes(Router& router, ServerContext& ctx);   // routes_static.cc (register last)

// Adds title/category/image (URL) to every object with a "product" member in arr (an array).
void add_product_briefs(store::Store& store, nlohmann::json& arr);

}  // namespace ensemble::server
