#include "server/static_files.h"

#include <regex>

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"

namespace ensemble::server {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxStaticBytes = 64ull << 20;

std::optional<StaticFile> read_regular(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  try {
    return StaticFile{read_file(p, kMaxStaticBytes), content_type_for(p)};
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

std::string content_type_for(const fs::path& file) {
  std::string ext = file.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".webp") return "image/webp";
  if (ext == ".gif") return "image/gif";
  if (ext == ".bmp") return "image/bmp";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

StaticFiles::StaticFiles(fs::path web_root, fs::path media_root) : media_root_(std::move(media_root)) {
  std::error_code ec;
  if (!web_root.empty() && fs::is_directory(web_root, ec)) web_root_ = fs::canonical(web_root, ec);
}

std::optional<StaticFile> StaticFiles::web(const std::string& url_path) const {
  if (web_root_.empty()) return std::nullopt;
  if (url_path.empty() || url_path[0] != '/' || url_path.find('\0') != std::string::npos ||
      url_path.find('\\') != std::string::npos) {
    return std::nullopt;
  }
  std::string rel = url_path.substr(1);
  if (rel.empty() || rel.back() == '/') rel += "index.html";
  const fs::path candidate = web_root_ / fs::path(rel);
  // Lexical check first (no filesystem access for "../.."), then the resolved one (symlinks).
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(candidate, ec);
  if (ec || !path_is_within(web_root_, candidate) || !path_is_within(web_root_, resolved)) {
    return std::nullopt;
  }
  return read_regular(resolved);
}

std::optional<StaticFile> StaticFiles::media(const std::string& name) const {
  static const std::regex kName("[0-9a-f]{64}\\.(jpg|png|webp|bmp|gif)");
  if (!std::regex_match(name, kName)) return std::nullopt;
  return read_regular(media_root_ / name.substr(0, 2) / name);
}

}  // namespace ensemble::server
