#include "ensemble/image/image_probe.h"

#include <cstring>

namespace ensemble::image {
namespace {

std::uint32_t be16(const unsigned char* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
std::uint32_t le16(const unsigned char* p) { return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8); }
std::uint32_t le24(const unsigned char* p) { return le16(p) | (std::uint32_t{p[2]} << 16); }
std::uint32_t le32(const unsigned char* p) { return le24(p) | (std::uint32_t{p[3]} << 24); }

ImageHeader probe_jpeg(const unsigned char* d, size_t n) {
  ImageHeader h{ImageFormat::kJpeg, 0, 0};
  size_t i = 2;
  while (i + 4 <= n) {
    if (d[i] != 0xFF) return h;  // corrupt marker stream
    unsigned char marker = d[i + 1];
    if (marker == 0xFF) { ++i; continue; }  // fill byte
    i += 2;
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD9 || marker == 0xDA) return h;  // EOI / SOS before any SOF
    if (i + 2 > n) return h;
    const std::uint32_t len = be16(d + i);
    if (len < 2) return h;
    const bool sof = (marker >= 0xC0 && marker <= 0xCF) && marker != 0xC4 && marker != 0xC8 &&
                     marker != 0xCC;
    if (sof) {
      if (i + 7 > n) return h;
      h.height = be16(d + i + 3);
      h.width = be16(d + i + 5);
      return h;
    }
    i += len;
  }
  return h;
}

}  // namespace

std::string_view to_string(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kBmp: return "bmp";
    case ImageFormat::kGif: return "gif";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

std::string_view extension_for(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return ".jpg";
    case ImageFormat::kPng: return ".png";
    case ImageFormat::kWebp: return ".webp";
    case ImageFormat::kBmp: return ".bmp";
    case ImageFormat::kGif: return ".gif";
    case ImageFormat::kUnknown: break;
  }
  return "";
}

ImageHeader probe_image(std::string_view bytes) {
  const auto* d = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return probe_jpeg(d, n);
  if (n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) {
    ImageHeader h{ImageFormat::kPng, 0, 0};
    if (n >= 24 && std::memcmp(d + 12, "IHDR", 4) == 0) {
      h.width = be32(d + 16);
      h.height = be32(d + 20);
    }
    return h;
  }
  if (n >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) {
    ImageHeader h{ImageFormat::kWebp, 0, 0};
    if (n >= 30 && std::memcmp(d + 12, "VP8 ", 4) == 0) {
      h.width = le16(d + 26) & 0x3FFF;
      h.height = le16(d + 28) & 0x3FFF;
    } else if (n >= 25 && std::memcmp(d + 12, "VP8L", 4) == 0 && d[20] == 0x2F) {
      const std::uint32_t bits = le32(d + 21);
      h.width = (bits & 0x3FFF) + 1;
      h.height = ((bits >> 14) & 0x3FFF) + 1;
    } else if (n >= 30 && std::memcmp(d + 12, "VP8X", 4) == 0) {
      h.width = le24(d + 24) + 1;
      h.height = le24(d + 27) + 1;
    }
    return h;
  }
  if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
    const std::int32_t w = static_cast<std::int32_t>(le32(d + 18));
    const std::int32_t hh = static_cast<std::int32_t>(le32(d + 22));
    return {ImageFormat::kBmp, static_cast<std::uint32_t>(w < 0 ? -static_cast<std::int64_t>(w) : w),
            static_cast<std::uint32_t>(hh < 0 ? -static_cast<std::int64_t>(hh) : hh)};
  }
  if (n >= 10 && (std::memcmp(d, "GIF87a", 6) == 0 || std::memcmp(d, "GIF89a", 6) == 0)) {
    return {ImageFormat::kGif, le16(d + 6), le16(d + 8)};
  }
  return {};
}

}  // namespace ensemble::image
