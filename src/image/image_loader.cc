#include "ensemble/image/image_loader.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <string>
#include <vector>

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"

namespace ensemble::image {

namespace {

// A JPEG must end its entropy-coded data with EOI (FF D9). Inside the coded data an FF is always
// followed by 00 or a restart marker, so an FF D9 after the first SOS is the real end. Without it
// the file is truncated: libjpeg would "decode" it anyway, padding the missing rows with grey and
// printing a warning, and the catalog would hold a half-grey product.
bool jpeg_is_truncated(std::string_view bytes) {
  const auto* d = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 2;
  while (i + 4 <= n) {
    if (d[i] != 0xFF) return false;  // not a marker stream we understand: let the decoder judge
    const unsigned char marker = d[i + 1];
    if (marker == 0xFF) {
      ++i;
      continue;
    }
    i += 2;
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD9) return false;
    const size_t len = (size_t{d[i]} << 8) | d[i + 1];
    if (marker == 0xDA) return bytes.find("\xFF\xD9", i + len) == std::string_view::npos;
    if (len < 2) return false;
    i += len;
  }
  return true;  // the header ends before any scan: nothing to decode
}

// OpenCV picks a decoder by asking each in turn whether it recognises the bytes; the probe has
// already decided the format from the first bytes, but when OpenCV's own check for that format
// fails (a WebP whose VP8 header does not parse; GIF, which OpenCV before 4.10 cannot read) the
// bytes fall through to the other decoders. All of them are anchored at the start of the file
// (so cannot match a RIFF/GIF/JPEG/PNG/BMP signature) except DICOM's, which looks for "DICM" at
// offset 128, and libgdcm aborts the whole process (assert) on a malformed file. Found by
// fuzz_image_load (fuzz/regressions/image/webp-falls-through-to-dicom-gdcm-abort).
bool looks_like_dicom(std::string_view bytes) {
  return bytes.size() >= 132 && bytes.substr(128, 4) == "DICM";
}

}  // namespace

ImageHeader check_image_header(std::string_view bytes, const ImageLimits& limits) {
  if (bytes.empty()) throw Error(ErrorCode::kBadInput, "empty file (0 bytes)");
  if (bytes.size() > limits.max_file_bytes) {
    throw Error(ErrorCode::kTooLarge, "file is " + std::to_string(bytes.size()) +
                                          " bytes, over the limit of " +
                                          std::to_string(limits.max_file_bytes));
  }
  const ImageHeader h = probe_image(bytes);
  if (h.format == ImageFormat::kUnknown) {
    throw Error(ErrorCode::kBadInput, "not a supported image (JPEG, PNG, WebP, BMP, GIF)");
  }
  if (h.width == 0 || h.height == 0) {
    throw Error(ErrorCode::kBadInput, std::string("corrupt or truncated ") +
                                          std::string(to_string(h.format)) + " header");
  }
  const std::uint64_t pixels = std::uint64_t{h.width} * h.height;
  if (pixels > limits.max_pixels || h.width > limits.max_side || h.height > limits.max_side) {
    throw Error(ErrorCode::kTooLarge,
                "image declares " + std::to_string(h.width) + "x" + std::to_string(h.height) +
                    " pixels, over the limit of " + std::to_string(limits.max_pixels) +
                    " pixels / " + std::to_string(limits.max_side) + " per side");
  }
  return h;
}

cv::Mat decode_image(std::string_view bytes, const ImageLimits& limits) {
  const ImageHeader h = check_image_header(bytes, limits);
  if (h.format == ImageFormat::kJpeg && jpeg_is_truncated(bytes)) {
    throw Error(ErrorCode::kBadInput, "cannot decode jpeg (truncated: no end-of-image marker)");
  }
#if CV_VERSION_MAJOR < 4 || (CV_VERSION_MAJOR == 4 && CV_VERSION_MINOR < 10)
  if (h.format == ImageFormat::kGif) {
    throw Error(ErrorCode::kBadInput,
                "cannot decode gif: this build's OpenCV (" CV_VERSION ") has no GIF decoder; "
                "convert the image to PNG");
  }
#endif
  if (h.format == ImageFormat::kWebp && looks_like_dicom(bytes)) {
    throw Error(ErrorCode::kBadInput, std::string("cannot decode ") + std::string(to_string(h.format)) +
                                          " (corrupt data: also carries a DICOM signature)");
  }
  const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8U,
                    const_cast<char*>(bytes.data()));  // read-only view, imdecode copies
  // JPEG: IMREAD_COLOR applies the EXIF orientation and converts grey/CMYK to BGR.
  // Others: IMREAD_UNCHANGED keeps alpha and 16-bit so they can be converted deliberately below.
  const int flags = h.format == ImageFormat::kJpeg ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED;
  cv::Mat img;
  try {
    img = cv::imdecode(buf, flags);
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::kBadInput, std::string("cannot decode ") +
                                          std::string(to_string(h.format)) + ": " + e.what());
  }
  if (img.empty()) {
    throw Error(ErrorCode::kBadInput,
                std::string("cannot decode ") + std::string(to_string(h.format)) +
                    " (truncated or corrupt data)");
  }
  if (static_cast<std::uint64_t>(img.total()) > limits.max_pixels) {
    throw Error(ErrorCode::kTooLarge, "decoded image over the pixel limit");
  }
  // Normalise depth to 8 bits.
  if (img.depth() == CV_16U) {
    img.convertTo(img, CV_8U, 1.0 / 257.0);
  } else if (img.depth() == CV_32F) {
    img.convertTo(img, CV_8U, 255.0);
  } else if (img.depth() != CV_8U) {
    img.convertTo(img, CV_8U);
  }
  cv::Mat bgr;
  switch (img.channels()) {
    case 1: cv::cvtColor(img, bgr, cv::COLOR_GRAY2BGR); break;
    case 3: bgr = img; break;
    case 4: {
      // Composite over white so transparent product cut-outs look like studio photos.
      std::vector<cv::Mat> ch;
      cv::split(img, ch);
      cv::Mat alpha;
      ch[3].convertTo(alpha, CV_32F, 1.0 / 255.0);
      cv::Mat out(img.size(), CV_8UC3);
      std::vector<cv::Mat> outc(3);
      for (int c = 0; c < 3; ++c) {
        cv::Mat f;
        ch[c].convertTo(f, CV_32F);
        cv::Mat blended = f.mul(alpha) + (1.0 - alpha) * 255.0;
        blended.convertTo(outc[c], CV_8U);
      }
      cv::merge(outc, bgr);
      break;
    }
    default:
      throw Error(ErrorCode::kBadInput, "unsupported channel count " + std::to_string(img.channels()));
  }
  return bgr;
}

cv::Mat load_image(const std::filesystem::path& path, const ImageLimits& limits) {
  std::string bytes;
  try {
    bytes = read_file(path, limits.max_file_bytes);
  } catch (const Error& e) {
    throw Error(e.code(), e.what());
  }
  try {
    return decode_image(bytes, limits);
  } catch (const Error& e) {
    throw Error(e.code(), path.string() + ": " + e.what());
  }
}

}  // namespace ensemble::image
