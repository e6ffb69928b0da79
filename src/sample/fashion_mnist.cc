#include "sample/fashion_mnist.h"

#include <zlib.h>

#include <memory>
#include <string>

#include "ensemble/util/error.h"

namespace ensemble::sample {

namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kImagesMagic = 0x00000803;
constexpr std::uint32_t kLabelsMagic = 0x00000801;
// Far above Fashion-MNIST's 60,000; guards against allocating for a corrupt header.
constexpr std::uint64_t kMaxBytes = 1ULL << 30;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

class GzReader {
 public:
  explicit GzReader(const fs::path& path) : path_(path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      throw Error(ErrorCode::kNotFound, "missing IDX file " + path.string());
    }
    file_.reset(gzopen(path.c_str(), "rb"));
    if (!file_) throw Error(ErrorCode::kIo, "cannot open " + path.string());
    gzbuffer(file_.get(), 1 << 17);
  }

  void read(void* dst, std::size_t n) {
    auto* out = static_cast<unsigned char*>(dst);
    while (n > 0) {
      const unsigned chunk = n > (1u << 30) ? (1u << 30) : static_cast<unsigned>(n);
      const int got = gzread(file_.get(), out, chunk);
      if (got <= 0) {
        int err = Z_OK;
        const char* msg = gzerror(file_.get(), &err);
        throw Error(ErrorCode::kBadInput,
                    path_.string() + " is truncated or corrupt" +
                        (err != Z_OK && msg != nullptr ? std::string(": ") + msg : std::string()));
      }
      out += got;
      n -= static_cast<std::size_t>(got);
    }
  }

  std::uint32_t read_be32() {
    unsigned char b[4];
    read(b, 4);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
  }

 private:
  fs::path path_;
  GzHandle file_;
};

}  // namespace

IdxImages read_idx_images(const fs::path& path) {
  GzReader in(path);
  const std::uint32_t magic = in.read_be32();
  if (magic != kImagesMagic) {
    throw Error(ErrorCode::kBadInput, path.string() + " is not an IDX uint8 image file (magic " +
                                          std::to_string(magic) + ")");
  }
  const std::uint32_t count = in.read_be32();
  const std::uint32_t rows = in.read_be32();
  const std::uint32_t cols = in.read_be32();
  const std::uint64_t bytes = std::uint64_t{count} * rows * cols;
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096 || bytes > kMaxBytes) {
    throw Error(ErrorCode::kBadInput, path.string() + " has an implausible IDX header");
  }
  IdxImages images;
  images.count = static_cast<int>(count);
  images.rows = static_cast<int>(rows);
  images.cols = static_cast<int>(cols);
  images.pixels.resize(bytes);
  in.read(images.pixels.data(), bytes);
  return images;
}

std::vector<std::uint8_t> read_idx_labels(const fs::path& path) {
  GzReader in(path);
  const std::uint32_t magic = in.read_be32();
  if (magic != kLabelsMagic) {
    throw Error(ErrorCode::kBadInput, path.string() + " is not an IDX uint8 label file (magic " +
                                          std::to_string(magic) + ")");
  }
  const std::uint32_t count = in.read_be32();
  if (count > kMaxBytes) throw Error(ErrorCode::kBadInput, path.string() + " has an implausible count");
  std::vector<std::uint8_t> labels(count);
  in.read(labels.data(), labels.size());
  return labels;
}

FashionMnist load_fashion_mnist(const fs::path& dir) {
  static constexpr const char* kSplits[] = {"train", "t10k"};
  for (const char* split : kSplits) {
    for (const char* kind : {"-images-idx3-ubyte.gz", "-labels-idx1-ubyte.gz"}) {
      const fs::path p = dir / (std::string(split) + kind);
      std::error_code ec;
      if (!fs::is_regular_file(p, ec)) {
        throw Error(ErrorCode::kNotFound,
                    "Fashion-MNIST not found: " + p.string() +
                        " is missing (install the Debian package dataset-fashion-mnist, or point "
                        "the sample generator at a folder holding the four .gz files)");
      }
    }
  }
  FashionMnist data;
  for (const char* split : kSplits) {
    IdxImages images = read_idx_images(dir / (std::string(split) + "-images-idx3-ubyte.gz"));
    std::vector<std::uint8_t> labels = read_idx_labels(dir / (std::string(split) + "-labels-idx1-ubyte.gz"));
    if (static_cast<int>(labels.size()) != images.count) {
      throw Error(ErrorCode::kBadInput, std::string("Fashion-MNIST ") + split + ": " +
                                            std::to_string(images.count) + " images but " +
                                            std::to_string(labels.size()) + " labels");
    }
    for (std::uint8_t l : labels) {
      if (l >= kFashionMnistClasses) {
        throw Error(ErrorCode::kBadInput, std::string("Fashion-MNIST ") + split +
                                              ": label " + std::to_string(l) + " out of range");
      }
    }
    if (data.images.count == 0) {
      data.images = std::move(images);
      data.labels = std::move(labels);
    } else {
      if (images.rows != data.images.rows || images.cols != data.images.cols) {
        throw Error(ErrorCode::kBadInput, "Fashion-MNIST splits disagree on image size");
      }
      data.images.pixels.insert(data.images.pixels.end(), images.pixels.begin(), images.pixels.end());
      data.images.count += images.count;
      data.labels.insert(data.labels.end(), labels.begin(), labels.end());
    }
  }
  return data;
}

}  // namespace ensemble::sample
