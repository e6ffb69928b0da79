// Reader for Fashion-MNIST in its distributed form: gzipped IDX files.
//
// IDX: a big-endian header (magic 0x00000803 for uint8 images with three dimensions, 0x00000801
// for uint8 labels with one), the dimension sizes, then the raw bytes row-major. Images are 16
// header bytes, labels 8. Fashion-MNIST pixels are 0 for background and up to 255 for the item.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace ensemble::sample {

struct IdxImages {
  int count = 0;
  int rows = 0;
  int cols = 0;
  std::vector<std::uint8_t> pixels;  // count * rows * cols bytes, image-major, row-major

  const std::uint8_t* image(int i) const {
    return pixels.data() + static_cast<std::size_t>(i) * rows * cols;
  }
};

// Reads a gzipped (or plain: zlib passes it through) IDX image file.
// Throws Error(kNotFound) when missing, Error(kBadInput) when the header or size is wrong.
IdxImages read_idx_images(const std::filesystem::path& path);
// Reads a gzipped IDX label file. Same errors.
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path);

// The ten Fashion-MNIST classes, label order.
inline constexpr int kFashionMnistClasses = 10;
inline constexpr std::array<std::string_view, kFashionMnistClasses> kFashionMnistClassNames = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// The whole dataset, train (indices 0..59,999) then t10k (60,000..69,999).
struct FashionMnist {
  IdxImages images;
  std::vector<std::uint8_t> labels;  // one per image, 0..9
  int size() const { return images.count; }
};

// Loads {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz from dir. Throws Error(kNotFound) naming
// the Debian package dataset-fashion-mnist when a file is missing, Error(kBadInput) when corrupt.
FashionMnist load_fashion_mnist(const std::filesystem::path& dir);

}  // namespace ensemble::sample
