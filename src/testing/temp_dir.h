// Test support: a temporary directory removed on destruction.
#pragma once

#include <filesystem>
#include <string>

namespace ensemble::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes text to a file, creating parent directories.
void write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace ensemble::testing
