#include "index/index_file.h"

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"

namespace ensemble::index::detail {
namespace {

constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ull, kP2 = 0xC2B2AE3D27D4EB4Full, kP3 = 0x165667B19E3779F9ull;

inline std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline std::uint64_t round(std::uint64_t acc, std::uint64_t v) { return rotl(acc + v * kP2, 31) * kP1; }

}  // namespace

std::uint64_t checksum64(const void* data, std::size_t n, std::uint64_t seed) {
  // Four independent lanes over 32-byte stripes (xxHash64-like mixing), then a tail.
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t a = seed + kP1 + kP2, b = seed + kP2, c = seed, d = seed - kP1;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    std::uint64_t w[4];
    std::memcpy(w, p + i, 32);
    a = round(a, w[0]);
    b = round(b, w[1]);
    c = round(c, w[2]);
    d = round(d, w[3]);
  }
  std::uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + n;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = rotl(h ^ round(0, w), 27) * kP1 + kP3;
  }
  for (; i < n; ++i) h = rotl(h ^ (p[i] * kP1), 11) * kP2;
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  return h;
}

FileWriter::FileWriter(const IndexHeader& h) {
  put_bytes(kIndexMagic, sizeof kIndexMagic);
  put<std::uint32_t>(kIndexFormatVersion);
  put<std::uint32_t>(static_cast<std::uint32_t>(h.kind));
  put<std::uint32_t>(h.dim);
  put<std::uint32_t>(0);
  put<std::int64_t>(h.count);
  put<std::uint32_t>(static_cast<std::uint32_t>(h.spec.size()));
  put_bytes(h.spec.data(), h.spec.size());
  put<std::uint32_t>(static_cast<std::uint32_t>(h.metadata.size()));
  put_bytes(h.metadata.data(), h.metadata.size());
}

void FileWriter::commit(const std::filesystem::path& path) {
  put<std::uint64_t>(checksum64(bytes_.data(), bytes_.size()));
  write_file_atomic(path, bytes_);
}

FileReader::FileReader(const std::filesystem::path& path) : path_(path) {
  data_ = read_file(path);
  if (data_.size() < sizeof kIndexMagic + 8 || std::memcmp(data_.data(), kIndexMagic, sizeof kIndexMagic) != 0) {
    fail("not an Ensemble vector index file");
  }
  end_ = data_.size() - sizeof(std::uint64_t);
  pos_ = sizeof kIndexMagic;
  auto version = get<std::uint32_t>();
  if (version != kIndexFormatVersion) {
    fail("format version " + std::to_string(version) + " is not supported (this build reads version " +
         std::to_string(kIndexFormatVersion) + "); rebuild the index");
  }
  std::uint64_t stored;
  std::memcpy(&stored, data_.data() + end_, sizeof stored);
  if (checksum64(data_.data(), end_) != stored) fail("checksum mismatch (truncated or corrupt); rebuild the index");
  auto kind = get<std::uint32_t>();
  if (kind != static_cast<std::uint32_t>(IndexKind::kExact) && kind != static_cast<std::uint32_t>(IndexKind::kHnsw)) {
    fail("unknown index kind " + std::to_string(kind));
  }
  header_.kind = static_cast<IndexKind>(kind);
  header_.dim = get<std::uint32_t>();
  get<std::uint32_t>();
  header_.count = get<std::int64_t>();
  if (header_.dim == 0 || header_.dim > 65536 || header_.count < 0) fail("corrupt header (dim or count)");
  auto spec_len = get<std::uint32_t>();
  header_.spec.assign(take(spec_len), spec_len);
  auto meta_len = get<std::uint32_t>();
  header_.metadata.assign(take(meta_len), meta_len);
}

const char* FileReader::take(std::size_t n) {
  if (end_ - pos_ < n) fail("truncated");
  const char* p = data_.data() + pos_;
  pos_ += n;
  return p;
}

void FileReader::fail(const std::string& why) const {
  throw Error(ErrorCode::kBadInput, "vector index " + path_.string() + ": " + why);
}

}  // namespace ensemble::index::detail
