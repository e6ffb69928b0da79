#include "server_support.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace ensemble::testing {

ServerProcess::ServerProcess(const std::filesystem::path& cwd, const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed or aborted test binary
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(ENSEMBLE_CLI_PATH));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(ENSEMBLE_CLI_PATH, argv.data());
    _exit(127);
  }
  close(fds[1]);
  // The first line: "ensemble serve: listening on http://HOST:PORT/ ...".
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  out_fd_ = fds[0];  // kept open: a later write to stdout must not meet a closed pipe (SIGPIPE)
  const auto at = line.find("http://");
  if (at != std::string::npos) {
    const auto colon = line.find(':', at + 7);
    if (colon != std::string::npos) port_ = std::atoi(line.c_str() + colon + 1);
  }
  if (port_ <= 0) {
    stop(SIGKILL);
    throw std::runtime_error("ensemble serve did not start: '" + line + "'");
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop(SIGKILL);
  if (out_fd_ >= 0) close(out_fd_);
}

int ServerProcess::stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

long ServerProcess::rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long v = 0;
      in >> v;
      return v;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return 0;
}

}  // namespace ensemble::testing
