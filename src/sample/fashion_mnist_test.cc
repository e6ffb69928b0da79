#include "sample/fashion_mnist.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "ensemble/util/error.h"
#include "sample/test_idx.h"
#include "testing/temp_dir.h"

namespace ensemble::sample {
namespace {

namespace fs = std::filesystem;
using testing::image_file;
using testing::label_file;
using testing::put_be32;
using testing::write_gz;

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no ensemble::Error thrown";
  return ErrorCode::kInternal;
}

TEST(FashionMnistTest, ReadsATinyGzippedIdxFile) {
  ensemble::testing::TempDir dir;
  write_gz(dir / "img.gz", image_file(3, 2, 4));
  write_gz(dir / "lab.gz", label_file({9, 0, 4}));
  const IdxImages images = read_idx_images(dir / "img.gz");
  EXPECT_EQ(images.count, 3);
  EXPECT_EQ(images.rows, 2);
  EXPECT_EQ(images.cols, 4);
  ASSERT_EQ(images.pixels.size(), 24u);
  // Row-major, image-major: the second image starts at byte 8.
  EXPECT_EQ(images.image(1)[0], static_cast<std::uint8_t>(8 * 7));
  EXPECT_EQ(images.image(2)[7], static_cast<std::uint8_t>((23 * 7) & 0xff));
  EXPECT_EQ(read_idx_labels(dir / "lab.gz"), (std::vector<std::uint8_t>{9, 0, 4}));
}

TEST(FashionMnistTest, RejectsBadMagicTruncationAndMissingFiles) {
  ensemble::testing::TempDir dir;
  write_gz(dir / "labels-as-images.gz", label_file({1, 2}));
  EXPECT_EQ(code_of([&] { read_idx_images(dir / "labels-as-images.gz"); }), ErrorCode::kBadInput);
  std::string cut = image_file(4, 3, 3);
  cut.resize(cut.size() - 5);
  write_gz(dir / "cut.gz", cut);
  EXPECT_EQ(code_of([&] { read_idx_images(dir / "cut.gz"); }), ErrorCode::kBadInput);
  std::string huge;
  put_be32(huge, 0x803);
  put_be32(huge, 0xffffffff);
  put_be32(huge, 4096);
  put_be32(huge, 4096);
  write_gz(dir / "huge.gz", huge);
  EXPECT_EQ(code_of([&] { read_idx_images(dir / "huge.gz"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { read_idx_labels(dir / "absent.gz"); }), ErrorCode::kNotFound);
}

TEST(FashionMnistTest, LoadsBothSplitsInOrder) {
  ensemble::testing::TempDir dir;
  write_gz(dir / "train-images-idx3-ubyte.gz", image_file(2, 28, 28, 1));
  write_gz(dir / "train-labels-idx1-ubyte.gz", label_file({3, 5}));
  write_gz(dir / "t10k-images-idx3-ubyte.gz", image_file(1, 28, 28, 2));
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", label_file({8}));
  const FashionMnist data = load_fashion_mnist(dir.path());
  EXPECT_EQ(data.size(), 3);
  EXPECT_EQ(data.labels, (std::vector<std::uint8_t>{3, 5, 8}));
  EXPECT_EQ(data.images.image(2)[0], 2);  // the t10k image follows the train ones
}

TEST(FashionMnistTest, MissingDatasetNamesTheDebianPackage) {
  ensemble::testing::TempDir dir;
  try {
    load_fashion_mnist(dir / "nowhere");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("dataset-fashion-mnist"), std::string::npos) << e.what();
  }
}

TEST(FashionMnistTest, LabelOutOfRangeIsBadInput) {
  ensemble::testing::TempDir dir;
  write_gz(dir / "train-images-idx3-ubyte.gz", image_file(1, 28, 28));
  write_gz(dir / "train-labels-idx1-ubyte.gz", label_file({10}));
  write_gz(dir / "t10k-images-idx3-ubyte.gz", image_file(1, 28, 28));
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", label_file({0}));
  EXPECT_EQ(code_of([&] { load_fashion_mnist(dir.path()); }), ErrorCode::kBadInput);
}

TEST(FashionMnistTest, RealDatasetWhenInstalled) {
  const fs::path dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir / "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const FashionMnist data = load_fashion_mnist(dir);
  ASSERT_EQ(data.size(), 70000);
  EXPECT_EQ(data.images.rows, 28);
  EXPECT_EQ(data.images.cols, 28);
  std::array<int, kFashionMnistClasses> counts{};
  for (auto l : data.labels) ++counts[l];
  for (int c : counts) EXPECT_EQ(c, 7000);
  // Items are bright on a black background: corners dark, the centre mostly lit.
  long corner = 0, centre = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::uint8_t* im = data.images.image(i);
    corner += im[0];
    centre += im[14 * 28 + 14];
  }
  EXPECT_LT(corner / 1000, 5);
  EXPECT_GT(centre / 1000, 60);
}

}  // namespace
}  // namespace ensemble::sample
