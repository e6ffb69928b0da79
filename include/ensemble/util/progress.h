// Progress reporting for long work (imports, stages, sample generation).
//
// A Progress prints a single self-overwriting line on a terminal ("import  1200/44000  2.7%  830/s"),
// throttled to a few updates per second, and stays silent when stderr is not a TTY or when quiet.
// Not thread-safe: call update() from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ensemble {

class Progress {
 public:
  // total may be 0 when unknown.
  Progress(std::string label, std::uint64_t total, bool quiet = false);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(std::uint64_t done);
  void finish();  // clears the line; idempotent

  // True when progress lines would be drawn (stderr is a terminal and not quiet).
  bool active() const { return active_; }

 private:
  std::string label_;
  std::uint64_t total_;
  bool active_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace ensemble
