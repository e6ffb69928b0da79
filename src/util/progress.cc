#include "ensemble/util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace ensemble {

Progress::Progress(std::string label, std::uint64_t total, bool quiet)
    : label_(std::move(label)),
      total_(total),
      active_(!quiet && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_() {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done) {
  if (!active_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(200) && done != total_) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  if (total_ > 0) {
    std::fprintf(stderr, "\r%-10s %llu/%llu  %5.1f%%  %.0f/s   ", label_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 100.0 * static_cast<double>(done) / static_cast<double>(total_), rate);
  } else {
    std::fprintf(stderr, "\r%-10s %llu  %.0f/s   ", label_.c_str(),
                 static_cast<unsigned long long>(done), rate);
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (!active_ || finished_) return;
  finished_ = true;
  std::fprintf(stderr, "\r%*s\r", 60, "");
  std::fflush(stderr);
}

}  // namespace ensemble
