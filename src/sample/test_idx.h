// Test helpers: tiny Fashion-MNIST-format files (gzipped IDX) written by the tests themselves.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ensemble::sample::testing {

inline void put_be32(std::string& out, std::uint32_t v) {
  out += static_cast<char>(v >> 24);
  out += static_cast<char>(v >> 16);
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}

inline void write_gz(const std::filesystem::path& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

inline std::string image_file(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, int seed = 0) {
  std::string s;
  put_be32(s, 0x803);
  put_be32(s, count);
  put_be32(s, rows);
  put_be32(s, cols);
  for (std::uint32_t i = 0; i < count * rows * cols; ++i) s += static_cast<char>((i * 7 + seed) & 0xff);
  return s;
}

inline std::string label_file(const std::vector<std::uint8_t>& labels) {
  std::string s;
  put_be32(s, 0x801);
  put_be32(s, static_cast<std::uint32_t>(labels.size()));
  for (auto l : labels) s += static_cast<char>(l);
  return s;
}

// count 28 x 28 images of a bright filled rectangle ("a garment") whose size varies with the index.
inline std::string shape_image_file(std::uint32_t count) {
  std::string s;
  put_be32(s, 0x803);
  put_be32(s, count);
  put_be32(s, 28);
  put_be32(s, 28);
  for (std::uint32_t i = 0; i < count; ++i) {
    const int m = 3 + static_cast<int>(i % 5);  // margin 3..7 px
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) s += static_cast<char>(y >= m && y < 28 - m && x >= m + 2 && x < 26 - m ? 200 : 0);
  }
  return s;
}

}  // namespace ensemble::sample::testing
