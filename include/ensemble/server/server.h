// The HTTP face of libensemble: `ensemble serve`. The JSON API, /media images, /metrics and the
// static web UI are documented in docs/API.md; this header is the embedding contract.
//
// One process, one database. Requests run on a pool of `threads` worker threads; each request leases
// a per-worker store::Store (SQLite connections are never shared between threads) and reads the
// search state (embedder + product index) from an immutable snapshot held by std::shared_ptr. A
// background thread polls the `runs` table every `reload_interval_s` and, when a newer run has
// finished, loads a new snapshot and swaps it in atomically: requests in flight keep the one they
// started with, so none is dropped or answered from a half-loaded state.
//
// Errors: library errors (ensemble::Error) become HTTP statuses only here, through
// http_status_for(); every error body is {"error": {"code", "message"}}.
//
// Thread safety: construct, bind() and run() from one thread; stop() may be called from any thread
// (not from a signal handler: forward signals to a thread, as tools/cli/cmd_serve.cc does).
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "ensemble/config/config.h"

namespace ensemble::server {

struct ServerOptions {
  std::filesystem::path db;          // REQUIRES: an existing database (Error(kNotFound) otherwise)
  config::Config config;             // the pipeline config (embedder, limits, recommend settings)
  std::string host = "127.0.0.1";    // Default: loopback only
  int port = 8080;                   // 0 = any free port (see Server::bind())
  std::filesystem::path web_root;    // static UI; empty = no UI (only the API)
  std::string token;                 // non-empty: writes need "Authorization: Bearer <token>"
  int threads = 64;                  // worker threads (1..256); an idle keep-alive connection holds one
  std::size_t max_upload_bytes = 20u << 20;  // request bodies over this get 413 unread
  double read_timeout_s = 30;        // per request, socket read
  double write_timeout_s = 30;       // per request, socket write
  double reload_interval_s = 2;      // polling of the runs table for a newer finished run
};

// The web root when none is given: $ENSEMBLE_WEB_ROOT when set, else the repository's web/ folder
// (compiled in from the source tree).
std::filesystem::path default_web_root();

class Server {
 public:
  // Opens the database and loads the first snapshot. A store without a product index yet is
  // accepted (searches answer 409 "run the pipeline" until a run finishes). Throws Error(kNotFound)
  // for a missing database, Error(kInvalidArgument) for bad options.
  explicit Server(ServerOptions options);
  ~Server();  // stops and joins everything
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port and returns the bound port (the chosen one when port is 0). Throws
  // Error(kConflict) when the address cannot be bound (in use, or not an address of this host).
  int bind();
  // Serves until stop(); returns once the requests in flight have finished. Calls bind() first
  // when it was not called.
  void run();
  // Stops accepting connections and makes run() return after the requests in flight. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ensemble::server
