// Standard base64 (RFC 4648, with padding) for the remote embedder's JSON payloads.
#pragma once

#include <string>
#include <string_view>

namespace ensemble::embed::detail {

std::string base64_encode(std::string_view bytes);
// Throws Error(kBadInput) on characters outside the alphabet or a bad length.
std::string base64_decode(std::string_view text);

}  // namespace ensemble::embed::detail
