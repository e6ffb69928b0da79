#include "ensemble/image/image_loader.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <string>
#include <vector>

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"

namespace ensemble::image {

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
