// The on-disk container shared by the index kinds (format in docs/INDEX.md).
//
//   magic "ENSVIDX\0" | u32 format version | u32 kind | u32 dim | u32 reserved | i64 count
//   | u32 spec length | spec | u32 metadata length | metadata | kind-specific payload
//   | u64 checksum of everything before it
// Little-endian, as written by x86-64 and AArch64.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

namespace ensemble::index::detail {

inline constexpr char kIndexMagic[8] = {'E', 'N', 'S', 'V', 'I', 'D', 'X', '\0'};
inline constexpr std::uint32_t kIndexFormatVersion = 1;
enum class IndexKind : std::uint32_t { kExact = 1, kHnsw = 2 };

// A fast 64-bit checksum (not cryptographic) to catch torn and corrupted files.
std::uint64_t checksum64(const void* data, std::size_t n, std::uint64_t seed = 0);

struct IndexHeader {
  IndexKind kind = IndexKind::kExact;
  std::uint32_t dim = 0;
  std::int64_t count = 0;
  std::string spec;
  std::string metadata;
};

class FileWriter {
 public:
  explicit FileWriter(const IndexHeader& header);
  template <typename T>
  void put(T v) {
    bytes_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put_bytes(const void* data, std::size_t n) { bytes_.append(static_cast<const char*>(data), n); }
  // Appends the checksum and writes the file atomically. Throws Error(kIo).
  void commit(const std::filesystem::path& path);
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

class FileReader {
 public:
  // Reads the whole file, verifies magic, version and checksum, parses the header.
  // Throws Error(kNotFound) when missing, Error(kBadInput) otherwise.
  explicit FileReader(const std::filesystem::path& path);
  const IndexHeader& header() const { return header_; }

  template <typename T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  const char* take(std::size_t n);
  std::size_t remaining() const { return end_ - pos_; }
  // Error(kBadInput) naming the file.
  [[noreturn]] void fail(const std::string& why) const;

 private:
  std::filesystem::path path_;
  std::string data_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;  // before the checksum
  IndexHeader header_;
};

}  // namespace ensemble::index::detail
