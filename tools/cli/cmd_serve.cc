// `ensemble serve [--host 127.0.0.1] [--port 8080] [--web DIR] [--token T] ...`: the HTTP API and
// web UI (docs/API.md). SIGTERM / SIGINT stop it gracefully (requests in flight finish; exit 0).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli/cli_context.h"
#include "ensemble/server/server.h"
#include "ensemble/util/error.h"

namespace ensemble::cli {

namespace {

int signal_pipe[2] = {-1, -1};

void on_signal(int) {
  const char c = 's';
  [[maybe_unused]] const auto n = write(signal_pipe[1], &c, 1);
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

}  // namespace

void add_serve_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("serve", "serve the JSON API (docs/API.md) and the web UI over HTTP");
  static server::ServerOptions o;
  static std::string web, token;
  static double max_upload_mb = 20;
  static double timeout_s = 30;
  cmd->add_option("--host", o.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", o.port, "port (0: any free port, printed on start)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--web", web,
                  "web UI folder (default: $ENSEMBLE_WEB_ROOT, else the repository's web/)");
  cmd->add_option("--token", token,
                  "require Authorization: Bearer TOKEN for writes (default: $ENSEMBLE_TOKEN; none = open)");
  cmd->add_option("--threads", o.threads, "worker threads")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--max-upload-mb", max_upload_mb, "largest request body in MB (413 above)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1024.0));
  cmd->add_option("--timeout", timeout_s, "read and write timeout of a request, seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  cmd->add_option("--reload-interval", o.reload_interval_s,
                  "seconds between checks for a newer finished pipeline run")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 3600.0));
  cmd->callback([&ctx] {
    o.db = ctx.db_path();
    o.config = ctx.config();
    o.web_root = !web.empty() ? std::filesystem::path(web) : server::default_web_root();
    o.token = !token.empty() ? token : env_or("ENSEMBLE_TOKEN", "");
    o.max_upload_bytes = static_cast<std::size_t>(max_upload_mb * 1024 * 1024);
    o.read_timeout_s = o.write_timeout_s = timeout_s;

    // SIGINT/SIGTERM: the handler only writes a byte to a pipe (async-signal-safe, whichever thread
    // the signal lands on, OpenBLAS's included); a watcher thread reads it and stops the server,
    // which is not signal-safe. Closing the pipe's write end wakes the watcher when run() returns.
    if (pipe(signal_pipe) != 0) throw Error(ErrorCode::kIo, "cannot create a pipe");
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a client gone mid-response is an error return, not a dead server

    server::Server srv(o);
    const int port = srv.bind();
    std::thread watcher([&srv] {
      char c = 0;
      if (read(signal_pipe[0], &c, 1) == 1) srv.stop();
    });
    std::printf("ensemble serve: listening on http://%s:%d/ (database %s%s)\n", o.host.c_str(), port,
                o.db.c_str(), o.token.empty() ? "" : ", writes need the token");
    std::fflush(stdout);
    std::error_code ec;
    if (!std::filesystem::is_directory(o.web_root, ec)) {
      std::fprintf(stderr, "ensemble serve: no web UI (%s is not a folder; see --web); the API works\n",
                   o.web_root.c_str());
    }
    srv.run();
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    close(signal_pipe[1]);  // the watcher's read returns 0 if no signal came
    watcher.join();
    close(signal_pipe[0]);
    if (!ctx.global.quiet) std::fprintf(stderr, "ensemble serve: stopped\n");
  });
}

}  // namespace ensemble::cli
