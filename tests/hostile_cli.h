// Test support for the reliability tests: run the real `ensemble` binary as a child process with
// extra environment variables, and wait for it, get its resource use, or kill it.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ensemble::testing {

struct ChildResult {
  bool exited = false;  // false: ended by a signal
  int code = -1;        // exit code, when exited
  int signal = 0;       // the signal, when not exited
  long max_rss_kb = 0;  // peak resident set size of the child (getrusage via wait4)
  std::string out;      // stdout and stderr together
};

class CliProcess {
 public:
  // Starts `ensemble --quiet ARGS...` in cwd with the extra environment variables.
  CliProcess(const std::filesystem::path& cwd, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env = {})
      : out_path_(cwd / (".cli-out-" + std::to_string(counter()++))) {
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::chdir(cwd.c_str()) != 0) ::_exit(126);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      const int fd = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      std::vector<std::string> all = {ENSEMBLE_CLI_PATH, "--quiet"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(ENSEMBLE_CLI_PATH, argv.data());
      ::_exit(127);
    }
  }
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;
  ~CliProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::kill(pid_, SIGCONT);
      wait();
    }
  }

  pid_t pid() const { return pid_; }

  // Waits until the child stops (SIGSTOP) or ends; true when it is stopped.
  bool wait_stopped() {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WUNTRACED);
    if (r == pid_ && WIFSTOPPED(status)) return true;
    if (r == pid_) {
      reaped_ = true;
      early_status_ = status;
    }
    return false;
  }

  ChildResult wait() {
    ChildResult res;
    int status = early_status_;
    if (!reaped_) {
      rusage ru{};
      while (::wait4(pid_, &status, 0, &ru) < 0 && errno == EINTR) {
      }
      res.max_rss_kb = ru.ru_maxrss;
      reaped_ = true;
    }
    res.exited = WIFEXITED(status);
    res.code = res.exited ? WEXITSTATUS(status) : -1;
    res.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    std::ifstream in(out_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    res.out = ss.str();
    std::error_code ec;
    std::filesystem::remove(out_path_, ec);
    return res;
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path out_path_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int early_status_ = 0;
};

// Runs the CLI to completion.
inline ChildResult run_cli(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env = {}) {
  CliProcess p(cwd, args, env);
  return p.wait();
}

}  // namespace ensemble::testing
