// Reads an image's format and declared dimensions from its header bytes, without decoding pixels.
//
// This is how size limits are enforced before any pixel buffer is allocated: a 30-byte PNG that
// declares 100000x100000 pixels is refused here, never handed to a decoder.
// Supported: JPEG (SOFn markers), PNG (IHDR), WebP (VP8, VP8L, VP8X), BMP, GIF.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ensemble::image {

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp, kBmp, kGif };

std::string_view to_string(ImageFormat format);
// Canonical file extension with the dot (".jpg", ".png", ...); "" for kUnknown.
std::string_view extension_for(ImageFormat format);

struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  std::uint32_t width = 0;   // 0 when the header could not be read
  std::uint32_t height = 0;
};

// Never throws; returns format kUnknown (or zero dims) when the bytes are not a recognised header.
ImageHeader probe_image(std::string_view bytes);

}  // namespace ensemble::image
