#include "ensemble/server/server.h"

#include <httplib.h>
#include <opencv2/core/utility.hpp>

#include <sys/socket.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ensemble/util/error.h"
#include "ensemble/util/parallel.h"
#include "server/routes.h"

namespace ensemble::server {

namespace {

time_t whole_seconds(double s) { return static_cast<time_t>(std::floor(s)); }
time_t micros(double s) { return static_cast<time_t>((s - std::floor(s)) * 1e6); }

std::unique_ptr<store::Store> open_existing(const std::filesystem::path& db) {
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    throw Error(ErrorCode::kNotFound, "no database at " + db.string() + " (import a catalog first)");
  }
  store::Store::Options o;
  o.create = false;
  return store::Store::open(db, o);
}

}  // namespace

std::filesystem::path default_web_root() {
  const char* env = std::getenv("ENSEMBLE_WEB_ROOT");
  if (env != nullptr && *env != '\0') return env;
  return ENSEMBLE_SOURCE_WEB_DIR;
}

struct Server::Impl {
  explicit Impl(ServerOptions o)
      : options(std::move(o)),
        store(open_existing(options.db)),
        snapshots(options.db, options.config, *store),
        workers(options.db, options.config, snapshots),
        files(options.web_root, store->media().root()),
        photo_slots(resolve_threads(0)),  // one photo at a time per core
        ctx{options, snapshots, workers, metrics, files, photo_slots},
        router(http, metrics) {}

  ServerOptions options;
  std::unique_ptr<store::Store> store;  // the opening connection (first snapshot); then unused
  SnapshotManager snapshots;
  WorkerPool workers;
  Metrics metrics;
  StaticFiles files;
  FifoSlots photo_slots;
  ServerContext ctx;
  httplib::Server http;
  Router router;
  int port = -1;
  std::atomic<bool> stop_requested{false};
};

Server::Server(ServerOptions options) {
  if (options.threads < 1 || options.threads > 256) {
    throw Error(ErrorCode::kInvalidArgument, "threads must be between 1 and 256");
  }
  if (options.port < 0 || options.port > 65535) {
    throw Error(ErrorCode::kInvalidArgument, "port must be between 0 and 65535");
  }
  if (options.max_upload_bytes == 0) {
    throw Error(ErrorCode::kInvalidArgument, "the upload limit must be positive");
  }
  // Requests are the server's parallelism: OpenCV's own thread pool under every photo's resize and
  // colour conversion only added hand-offs between the workers (measured on POST /api/search).
  cv::setNumThreads(1);
  impl_ = std::make_unique<Impl>(std::move(options));
  auto& i = *impl_;
  const auto& o = i.options;
  const int threads = o.threads;
  i.http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  i.http.set_payload_max_length(o.max_upload_bytes);
  i.http.set_read_timeout(whole_seconds(o.read_timeout_s), micros(o.read_timeout_s));
  i.http.set_write_timeout(whole_seconds(o.write_timeout_s), micros(o.write_timeout_s));
  i.http.set_keep_alive_timeout(2);  // idle connections hold a worker; short keeps shutdown quick
  // httplib closes a keep-alive connection after 5 requests by default, so a client reconnected
  // (accept, a new task on the pool) every fifth request: 1,000 as nginx does.
  i.http.set_keep_alive_max_count(1000);
  // httplib writes a response's headers and body in separate sends; with Nagle's algorithm on, the
  // body waits for the client's delayed ACK of the headers (~40 ms on Linux), which made every
  // keep-alive request take >= 40 ms whatever the work (p50 44 ms for a 4 ms photo search).
  i.http.set_tcp_nodelay(true);
  i.http.set_default_headers({{"X-Content-Type-Options", "nosniff"}});
  // httplib's default also sets SO_REUSEPORT, which lets a second server silently share the port:
  // keep SO_REUSEADDR only (a restart may rebind at once), so a port in use is an error.
  i.http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
  });
  add_search_routes(i.router, i.ctx);
  add_catalog_routes(i.router, i.ctx);
  add_ops_routes(i.router, i.ctx);
  add_static_routes(i.router, i.ctx);
  i.router.install_hooks();
}

Server::~Server() {
  if (!impl_) return;
  stop();
  impl_->snapshots.stop();
}

int Server::bind() {
  auto& i = *impl_;
  if (i.port >= 0) return i.port;
  if (i.options.port == 0) {
    i.port = i.http.bind_to_any_port(i.options.host);
  } else {
    i.port = i.http.bind_to_port(i.options.host, i.options.port) ? i.options.port : -1;
  }
  if (i.port < 0) {
    throw Error(ErrorCode::kConflict, "cannot listen on " + i.options.host + ":" +
                                    std::to_string(i.options.port) + " (in use, or not an address here)");
  }
  return i.port;
}

void Server::run() {
  auto& i = *impl_;
  bind();
  i.snapshots.start(i.options.reload_interval_s, [&i] {
    i.metrics.count_reload();
    i.workers.forget_snapshots();
  });
  if (!i.stop_requested) i.http.listen_after_bind();
  i.snapshots.stop();
}

void Server::stop() {
  if (!impl_) return;
  impl_->stop_requested = true;
  impl_->http.stop();
}

}  // namespace ensemble::server
