// Test support for the end-to-end tests: run the real `ensemble` binary (ENSEMBLE_CLI_PATH, defined
// by each test target) with --quiet in a folder and capture what it printed.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace ensemble::testing {

struct CliResult {
  int code;         // exit status; -1 when the process did not exit normally
  std::string out;  // stdout and stderr together
};

// Runs `ensemble --quiet ARGS` in cwd through the shell (ARGS is a shell word list).
inline CliResult run_cli(const std::filesystem::path& cwd, const std::string& args) {
  const std::string cmd =
      "cd '" + cwd.string() + "' && '" ENSEMBLE_CLI_PATH "' --quiet " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace ensemble::testing
