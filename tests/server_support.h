// Test support for the server end-to-end tests: run the CLI, start `ensemble serve` as a child
// process on a free port, read its memory use.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace ensemble::testing {

// A running `ensemble serve --port 0 ...` child; killed (SIGKILL) on destruction if still running.
class ServerProcess {
 public:
  // args: everything after `ensemble`, e.g. {"--db", "x.db", "serve", "--port", "0"}. Waits until
  // the server prints its URL (and returns with port() set), or fails the test when it exits.
  ServerProcess(const std::filesystem::path& cwd, const std::vector<std::string>& args);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // Sends sig and waits for the exit; returns the exit status (128+signal when killed).
  int stop(int sig);
  // VmRSS of the child in KiB (0 when unreadable).
  long rss_kib() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int out_fd_ = -1;
};

}  // namespace ensemble::testing
