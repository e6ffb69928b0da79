// Shared by the catalog and lookbook importers: read an image file under limits, verify it
// decodes, and put its bytes in the media folder.
#pragma once

#include <filesystem>
#include <string>

#include "ensemble/image/image_loader.h"
#include "ensemble/store/media_store.h"

namespace ensemble::catalog {

struct StoredImage {
  std::string sha;
  std::string ext;
  int width = 0;
  int height = 0;
};

// Throws ensemble::Error (kNotFound, kTooLarge, kBadInput) with a message naming the problem.
StoredImage intake_image(const std::filesystem::path& path, const image::ImageLimits& limits,
                         store::MediaStore& media);

}  // namespace ensemble::catalog
