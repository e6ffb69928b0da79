// The content-addressed media folder next to the database: every image is stored once, under its
// SHA-256, as <root>/<sha[0:2]>/<sha><ext>. Writes are atomic (temp file + rename), so a crash never
// leaves a torn file under a final name. put() does not fsync each file (that made bulk imports
// 10x slower): writers call sync() once before committing the rows that reference new files, so a
// committed row never points at a file that a power cut could lose. A file put but never referenced
// by a committed row (a crash between put and commit) is a harmless orphan. Thread-safe: put() of the same content from two threads is
// harmless (same bytes, same name).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ensemble::store {

class MediaStore {
 public:
  explicit MediaStore(std::filesystem::path root);

  // Stores bytes (if not already present) and returns their SHA-256 hex. ext like ".jpg".
  std::string put(std::string_view bytes, std::string_view ext);
  // Stores under a digest the caller already computed.
  void put_with_sha(const std::string& sha, std::string_view bytes, std::string_view ext);
  std::filesystem::path path_for(const std::string& sha, std::string_view ext) const;
  bool contains(const std::string& sha, std::string_view ext) const;
  // Makes every file put so far durable (one syncfs for the whole batch).
  void sync();
  // Removes temporary files a killed writer left behind (".<name>.tmp<n>" from an interrupted
  // atomic write, ".projection.tmp"). Returns how many. REQUIRES: the RunLock is held, so no
  // writer is using them.
  int remove_temp_files();
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// Media folder for a database file: "<dir>/<stem>.media" (ensemble.db -> ensemble.media).
std::filesystem::path media_root_for(const std::filesystem::path& db_path);

}  // namespace ensemble::store
