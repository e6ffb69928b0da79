// Files the server hands out as they are: the web UI under the web root, and product/lookbook
// images from the content-addressed media folder. Every path is checked before a file is opened:
// web paths are canonicalised and must stay inside the web root (util's path_is_within: "..",
// encoded dots and symlinks out are refused), media names must be "<64 hex>.<known ext>".
// Thread-safe (no mutable state).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace ensemble::server {

struct StaticFile {
  std::string body;
  std::string content_type;
};

class StaticFiles {
 public:
  StaticFiles(std::filesystem::path web_root, std::filesystem::path media_root);

  // The web file for a URL path ("/" -> index.html), or nullopt (missing, a folder, outside).
  std::optional<StaticFile> web(const std::string& url_path) const;
  // A media file by name ("<sha>.<ext>"), or nullopt.
  std::optional<StaticFile> media(const std::string& name) const;
  bool has_web_root() const { return !web_root_.empty(); }

 private:
  std::filesystem::path web_root_;  // canonical; empty = no UI
  std::filesystem::path media_root_;
};

// The content type for a file extension (".html" -> "text/html; charset=utf-8").
std::string content_type_for(const std::filesystem::path& file);

}  // namespace ensemble::server
