// SHA-256 digests (OpenSSL libcrypto underneath), as lowercase hex.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ensemble {

// Hex digest of a byte string.
std::string sha256_hex(std::string_view bytes);
// Hex digest of a file's contents, streamed. Throws Error(kNotFound/kIo).
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace ensemble
