// Replays the fuzzers' seed corpus and every input kept in fuzz/regressions/ (crashes found by
// `make fuzz`, fixed, and kept so they stay fixed) through the same entry points the fuzzers use,
// in the normal suite and without clang. A crash or an uncaught exception fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_targets.h"

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs(const std::string& kind) {
  std::vector<fs::path> out;
  for (const char* set : {"corpus", "regressions"}) {
    const fs::path d = fs::path(ENSEMBLE_FUZZ_DIR) / set / kind;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(FuzzRegressions, ImageInputs) {
  const auto files = inputs("image");
  EXPECT_GE(files.size(), 5u) << "the seed corpus is missing: " << ENSEMBLE_FUZZ_DIR;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    const std::string b = read(f);
    ensemble::fuzz::image_load(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
  }
}

TEST(FuzzRegressions, CsvInputs) {
  const auto files = inputs("csv");
  EXPECT_GE(files.size(), 3u) << "the seed corpus is missing: " << ENSEMBLE_FUZZ_DIR;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    const std::string b = read(f);
    ensemble::fuzz::csv_reader(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
  }
}

}  // namespace
