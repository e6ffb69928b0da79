#include "catalog/image_intake.h"

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"
#include "ensemble/util/sha256.h"

namespace ensemble::catalog {

StoredImage intake_image(const std::filesystem::path& path, const image::ImageLimits& limits,
                         store::MediaStore& media) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw Error(ErrorCode::kNotFound, "image not found: " + path.string());
  }
  const std::string bytes = read_file(path, limits.max_file_bytes);
  const image::ImageHeader header = image::check_image_header(bytes, limits);
  const cv::Mat decoded = image::decode_image(bytes, limits);  // proves the pixels are readable
  StoredImage out;
  out.ext = std::string(image::extension_for(header.format));
  out.sha = sha256_hex(bytes);
  out.width = decoded.cols;
  out.height = decoded.rows;
  media.put_with_sha(out.sha, bytes, out.ext);
  return out;
}

}  // namespace ensemble::catalog
