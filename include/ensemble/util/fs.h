// Small filesystem helpers shared by the store, the importers and the sample generator.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace ensemble {

// Reads a whole file. Throws Error(kNotFound) if missing, Error(kTooLarge) if larger than max_bytes.
std::string read_file(const std::filesystem::path& path, std::uint64_t max_bytes = UINT64_MAX);

// Writes bytes to path atomically: a temporary file in the same directory, then rename, so a reader
// never sees a torn file under the final name. With durable (the default) the data is fsync'ed
// before the rename; bulk writers pass durable=false and call sync_filesystem() once per batch
// before committing rows that reference the files. Throws Error(kIo).
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes,
                       bool durable = true);

// Flushes every pending write of the filesystem holding `path` to disk (syncfs). Throws Error(kIo).
void sync_filesystem(const std::filesystem::path& path);

// True when `child` (after lexical normalisation, symlinks resolved where they exist) lies inside
// `root`. Used to refuse catalog paths such as ../../etc/passwd.
bool path_is_within(const std::filesystem::path& root, const std::filesystem::path& child);

}  // namespace ensemble
