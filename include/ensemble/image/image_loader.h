// Decoding untrusted image bytes into a BGR cv::Mat, with limits checked before pixels are decoded.
//
// The contract every stage relies on: decode_image() returns an 8-bit, 3-channel BGR image with the
// EXIF orientation applied, or throws ensemble::Error with a message that names the problem:
//   kBadInput  unknown format, truncated or corrupt data (a JPEG without its end-of-image marker
//              included), zero dimensions, GIF (no decoder in OpenCV before 4.10)
//   kTooLarge  file bytes over max_file_bytes, or declared pixels over max_pixels
// Grayscale, CMYK, 16-bit and alpha images are converted (alpha composited over white). The EXIF
// orientation is applied to JPEGs only (the header's width/height are those of the stored frame;
// the returned Mat's are those displayed). Only the decoder of the probed format ever sees the
// bytes (see image_loader.cc: OpenCV's fall-through to other decoders is closed off).
// Thread-safe (no shared state).
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "ensemble/image/image_probe.h"

namespace ensemble::image {

struct ImageLimits {
  std::uint64_t max_pixels = 40'000'000;        // Default: 40 megapixels
  std::uint64_t max_file_bytes = 64ull << 20;   // Default: 64 MiB
  std::uint32_t max_side = 30'000;              // refuse 1x100000 strips and similar
};

// Checks header-declared dimensions against the limits without decoding. Returns the header.
ImageHeader check_image_header(std::string_view bytes, const ImageLimits& limits);

cv::Mat decode_image(std::string_view bytes, const ImageLimits& limits = {});

// Reads the file (refusing files over limits.max_file_bytes before reading) and decodes it.
cv::Mat load_image(const std::filesystem::path& path, const ImageLimits& limits = {});

}  // namespace ensemble::image
