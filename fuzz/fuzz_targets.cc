#include "fuzz_targets.h"

#include <opencv2/core.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>

#include "ensemble/catalog/csv_reader.h"
#include "ensemble/image/image_loader.h"
#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"

namespace ensemble::fuzz {

namespace {
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}
}  // namespace

void image_load(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    cv::setNumThreads(1);
    return true;
  }();
  (void)quiet;
  image::ImageLimits limits;
  limits.max_pixels = 4'000'000;
  limits.max_file_bytes = 16u << 20;
  limits.max_side = 8192;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const image::ImageHeader h = image::probe_image(bytes);
  if (h.format == image::ImageFormat::kUnknown && (h.width != 0 || h.height != 0)) {
    fail("unknown format with dimensions");
  }
  try {
    const cv::Mat m = image::decode_image(bytes, limits);
    if (m.empty() || m.type() != CV_8UC3) fail("decoded image is not 8-bit BGR");
    if (static_cast<std::uint64_t>(m.total()) > limits.max_pixels) fail("decoded over the pixel limit");
  } catch (const Error& e) {
    if (std::string_view(e.what()).empty()) fail("error without a message");
  }
}

void csv_reader(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kMaxField = 64;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  catalog::CsvReader reader(in, kMaxField);
  catalog::CsvRow row;
  std::int64_t last_line = 0;
  std::size_t rows = 0;
  static const std::filesystem::path root = "/fuzz-root/images";
  while (reader.next(row)) {
    if (++rows > size + 1) fail("more rows than input bytes");
    if (row.line < last_line || row.line < 1) fail("line numbers go backwards");
    last_line = row.line;
    if (row.fields.empty()) fail("a row without fields");
    for (size_t i = 0; i < row.fields.size(); ++i) {
      const std::string& f = row.fields[i];
      if (f.size() > kMaxField) fail("a field over the limit");
      (void)catalog::is_valid_utf8(f);
      // The image column (4th, as in the documented header) goes through the root check, which
      // touches the file system: once per row keeps the fuzzer fast.
      if (i == 3 && !f.empty() && f.find('\0') == std::string::npos) {
        const std::filesystem::path p = std::filesystem::path(f).is_absolute() ? std::filesystem::path(f)
                                                                                : root / f;
        (void)path_is_within(root, p);
      }
    }
  }
}

}  // namespace ensemble::fuzz
