#include "ensemble/util/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "ensemble/util/error.h"

namespace ensemble {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path, std::uint64_t max_bytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw Error(ErrorCode::kNotFound, "cannot read " + path.string() + ": " + ec.message());
  if (size > max_bytes) {
    throw Error(ErrorCode::kTooLarge, path.string() + " is " + std::to_string(size) +
                                          " bytes, over the limit of " + std::to_string(max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, "cannot open " + path.string());
  std::string data(size, '\0');
  in.read(data.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uint64_t>(in.gcount()) != size) {
    throw Error(ErrorCode::kIo, "short read on " + path.string());
  }
  return data;
}

void write_file_atomic(const fs::path& path, std::string_view bytes, bool durable) {
  std::random_device rd;
  const fs::path tmp = path.parent_path() /
                       ("." + path.filename().string() + ".tmp" + std::to_string(rd()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(ErrorCode::kIo, "cannot create " + tmp.string() + ": " + std::strerror(errno));
  }
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(ErrorCode::kIo, "write failed on " + tmp.string() + ": " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  if ((durable && ::fsync(fd) != 0) || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error(ErrorCode::kIo, "cannot flush " + tmp.string());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw Error(ErrorCode::kIo, "cannot rename into " + path.string() + ": " + std::strerror(err));
  }
}

void sync_filesystem(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorCode::kIo, "cannot open " + path.string() + ": " + std::strerror(errno));
  const int rc = ::syncfs(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw Error(ErrorCode::kIo, "syncfs failed on " + path.string() + ": " + std::strerror(err));
}

bool path_is_within(const fs::path& root, const fs::path& child) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(root, ec);
  if (ec) r = fs::absolute(root).lexically_normal();
  fs::path c = fs::weakly_canonical(child, ec);
  if (ec) c = fs::absolute(child).lexically_normal();
  auto rit = r.begin();
  auto cit = c.begin();
  for (; rit != r.end(); ++rit, ++cit) {
    if (rit->empty()) continue;  // trailing separator
    if (cit == c.end() || *rit != *cit) return false;
  }
  return true;
}

}  // namespace ensemble
