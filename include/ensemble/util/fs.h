// Small filesystem helpers shared by the store, the importers and the sample generator.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ensemble {

// Reads a whole file. Throws Error(kNotFound) if missing, Error(kTooLarge) if larger than max_bytes.
std::string read_file(const std::filesystem::path& path, std::uint64_t max_bytes = UINT64_MAX);

// Writes bytes to path atomically: a temporary file in the same directory, fsync, rename.
// A crash leaves either the old file or the new one, never a torn one. Throws Error(kIo).
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// True when `child` (after lexical normalisation, symlinks resolved where they exist) lies inside
// `root`. Used to refuse catalog paths such as ../../etc/passwd.
bool path_is_within(const std::filesystem::path& root, const std::filesystem::path& child);

}  // namespace ensemble
