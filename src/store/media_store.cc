#include "ensemble/store/media_store.h"

#include "ensemble/util/error.h"
#include "ensemble/util/fault.h"
#include "ensemble/util/fs.h"
#include "ensemble/util/sha256.h"

namespace ensemble::store {

namespace fs = std::filesystem;

MediaStore::MediaStore(fs::path root) : root_(std::move(root)) {}

fs::path MediaStore::path_for(const std::string& sha, std::string_view ext) const {
  return root_ / sha.substr(0, 2) / (sha + std::string(ext));
}

bool MediaStore::contains(const std::string& sha, std::string_view ext) const {
  std::error_code ec;
  return fs::exists(path_for(sha, ext), ec);
}

std::string MediaStore::put(std::string_view bytes, std::string_view ext) {
  std::string sha = sha256_hex(bytes);
  put_with_sha(sha, bytes, ext);
  return sha;
}

void MediaStore::put_with_sha(const std::string& sha, std::string_view bytes, std::string_view ext) {
  if (contains(sha, ext)) return;
  const fs::path p = path_for(sha, ext);
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  if (ec) throw Error(ErrorCode::kIo, "cannot create " + p.parent_path().string() + ": " + ec.message());
  write_file_atomic(p, bytes, /*durable=*/false);
  fault::maybe_kill("media");  // a file no committed row references yet
}

void MediaStore::sync() {
  std::error_code ec;
  if (fs::exists(root_, ec)) sync_filesystem(root_);
}

namespace {
bool is_temp_name(const std::string& name) {
  return name.size() > 1 && name[0] == '.' && name.find(".tmp") != std::string::npos;
}
}  // namespace

int MediaStore::remove_temp_files() {
  int removed = 0;
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return 0;
  // Two levels only: <root>/<sha[0:2]>/<file> (and the root itself).
  for (const auto& top : fs::directory_iterator(root_, ec)) {
    const std::string name = top.path().filename().string();
    if (top.is_regular_file(ec) && is_temp_name(name)) {
      removed += fs::remove(top.path(), ec) ? 1 : 0;
    } else if (top.is_directory(ec) && name.size() == 2) {
      for (const auto& f : fs::directory_iterator(top.path(), ec)) {
        if (f.is_regular_file(ec) && is_temp_name(f.path().filename().string())) {
          removed += fs::remove(f.path(), ec) ? 1 : 0;
        }
      }
    }
  }
  return removed;
}

fs::path media_root_for(const fs::path& db_path) {
  return db_path.parent_path() / (db_path.stem().string() + ".media");
}

}  // namespace ensemble::store
