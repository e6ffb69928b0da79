#include "ensemble/sample/sample_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"
#include "ensemble/util/sha256.h"
#include "sample/test_csv.h"
#include "sample/test_idx.h"
#include "testing/temp_dir.h"

namespace ensemble::sample {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const fs::path kFashionMnist = "/usr/share/datasets/fashion-mnist";

bool have_dataset() { return fs::exists(kFashionMnist / "train-images-idx3-ubyte.gz"); }

// Every file under dir, relative path -> SHA-256.
std::map<std::string, std::string> hashes(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = sha256_file_hex(e.path());
  }
  return out;
}

// One --small sample shared by the content tests: generating it takes a couple of seconds.
class SampleGeneratorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_dataset()) return;
    dir_ = std::make_unique<ensemble::testing::TempDir>();
    SampleOptions o = SampleOptions::small(dir_->path());
    summary_ = generate_sample(o, [](std::uint64_t done, std::uint64_t total) {
      EXPECT_LE(done, total);
      EXPECT_GE(done, last_done_);
      last_done_ = done;
      last_total_ = total;
      ++progress_calls_;
    });
    csv_ = testing::parse_csv(read_file(summary_.catalog_csv));
    truth_ = Json::parse(read_file(summary_.ground_truth));
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override {
    if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }

  static std::unique_ptr<ensemble::testing::TempDir> dir_;
  static SampleSummary summary_;
  static std::vector<std::vector<std::string>> csv_;
  static Json truth_;
  static std::uint64_t last_done_, last_total_;
  static int progress_calls_;
};
std::unique_ptr<ensemble::testing::TempDir> SampleGeneratorTest::dir_;
SampleSummary SampleGeneratorTest::summary_;
std::vector<std::vector<std::string>> SampleGeneratorTest::csv_;
Json SampleGeneratorTest::truth_;
std::uint64_t SampleGeneratorTest::last_done_ = 0;
std::uint64_t SampleGeneratorTest::last_total_ = 0;
int SampleGeneratorTest::progress_calls_ = 0;

TEST_F(SampleGeneratorTest, SummaryMatchesTheSmallPreset) {
  EXPECT_EQ(summary_.products, 400);
  EXPECT_EQ(summary_.accessories, 12);
  EXPECT_EQ(summary_.lookbooks, 12);
  EXPECT_EQ(summary_.multi_outfit_lookbooks, 4);  // round(0.3 * 12)
  EXPECT_EQ(summary_.outfits, 16);
  EXPECT_EQ(summary_.held_out_outfits, 10);
  EXPECT_EQ(summary_.catalog_csv, dir_->path() / "catalog.csv");
  EXPECT_GT(progress_calls_, 2);
  EXPECT_EQ(last_done_, last_total_);
}

TEST_F(SampleGeneratorTest, CatalogHasTheDocumentedColumnsAndEveryImageDecodes) {
  ASSERT_EQ(csv_.size(), 401u);
  EXPECT_EQ(csv_[0], (std::vector<std::string>{"id", "title", "category", "image", "gender", "colour",
                                               "pattern", "price", "style"}));
  static const std::set<std::string> kCategories = {
      "t-shirt", "trousers", "pullover", "dress", "coat", "sandals", "shirt",
      "sneakers", "bag", "ankle boots", "watch", "belt", "sunglasses", "hat"};
  std::map<std::string, int> per_category;
  int commas = 0;
  std::set<std::string> ids;
  for (std::size_t r = 1; r < csv_.size(); ++r) {
    const auto& row = csv_[r];
    ASSERT_EQ(row.size(), 9u) << r;
    EXPECT_TRUE(ids.insert(row[0]).second);
    EXPECT_EQ(row[0].size(), 7u);
    EXPECT_EQ(row[0][0], 'p');
    EXPECT_TRUE(kCategories.count(row[2])) << row[2];
    ++per_category[row[2]];
    commas += row[1].find(',') != std::string::npos;
    EXPECT_EQ(row[3], "products/" + row[0] + ".jpg");
    EXPECT_GT(std::stod(row[7]), 0.0);
    const cv::Mat img = cv::imread((dir_->path() / row[3]).string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(img.empty()) << row[3];
    EXPECT_EQ(img.size(), cv::Size(160, 160));
  }
  EXPECT_EQ(per_category.size(), 14u);  // every class, and all four accessories
  EXPECT_EQ(per_category["watch"] + per_category["belt"] + per_category["sunglasses"] + per_category["hat"], 12);
  EXPECT_GT(commas, 10);  // importers meet quoted titles
}

TEST_F(SampleGeneratorTest, GroundTruthDescribesEveryLookbook) {
  EXPECT_EQ(truth_["format"], "ensemble-sample-ground-truth");
  EXPECT_EQ(truth_["version"], 1);
  std::set<std::string> ids;
  for (std::size_t r = 1; r < csv_.size(); ++r) ids.insert(csv_[r][0]);
  const auto& lookbooks = truth_["lookbooks"];
  ASSERT_EQ(lookbooks.size(), 12u);
  int two = 0;
  for (const auto& lb : lookbooks) {
    const cv::Mat img = cv::imread((dir_->path() / lb["image"].get<std::string>()).string());
    ASSERT_FALSE(img.empty()) << lb["id"];
    EXPECT_EQ(img.cols, lb["width"].get<int>());
    EXPECT_EQ(img.rows, lb["height"].get<int>());
    const auto& outfits = lb["outfits"];
    ASSERT_GE(outfits.size(), 1u);
    ASSERT_LE(outfits.size(), 2u);
    two += outfits.size() == 2;
    for (const auto& o : outfits) {
      EXPECT_GE(o["items"].size(), 2u);
      for (const auto& it : o["items"]) {
        EXPECT_TRUE(ids.count(it["product_id"].get<std::string>())) << it["product_id"];
        for (const char* key : {"box", "full_box"}) {
          const auto& b = it[key];
          ASSERT_EQ(b.size(), 4u);
          const int x = b[0], y = b[1], w = b[2], h = b[3];
          EXPECT_GE(x, 0);
          EXPECT_GE(y, 0);
          EXPECT_GT(w, 0);
          EXPECT_GT(h, 0);
          EXPECT_LE(x + w, img.cols);
          EXPECT_LE(y + h, img.rows);
        }
        const double vf = it["visible_fraction"];
        EXPECT_GE(vf, 0.0);
        EXPECT_LE(vf, 1.0);
        for (const auto& poly : it["polygons"]) {
          EXPECT_GE(poly.size(), 3u);
          for (const auto& p : poly) {
            EXPECT_GE(p[0].get<int>(), 0);
            EXPECT_LT(p[0].get<int>(), img.cols);
            EXPECT_LT(p[1].get<int>(), img.rows);
          }
        }
      }
    }
  }
  EXPECT_EQ(two, 4);
  EXPECT_EQ(truth_["style_model"]["styles"].size(), 12u);
  EXPECT_EQ(truth_["style_model"]["hubs"].size(), 5u);
}

TEST_F(SampleGeneratorTest, HeldOutOutfitsAreInNoLookbook) {
  std::vector<std::set<std::string>> shown;
  for (const auto& lb : truth_["lookbooks"]) {
    std::set<std::string> s;
    for (const auto& o : lb["outfits"]) {
      for (const auto& it : o["items"]) s.insert(it["product_id"].get<std::string>());
    }
    shown.push_back(std::move(s));
  }
  const auto& held = truth_["held_out_outfits"];
  ASSERT_EQ(held.size(), 10u);
  for (const auto& o : held) {
    std::set<std::string> ids;
    for (const auto& it : o["items"]) ids.insert(it["product_id"].get<std::string>());
    EXPECT_GE(ids.size(), 2u);
    for (const auto& s : shown) EXPECT_FALSE(std::includes(s.begin(), s.end(), ids.begin(), ids.end()));
  }
}

TEST(SampleGeneratorDeterminismTest, SameSeedSameBytesOtherSeedOtherBytes) {
  if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  ensemble::testing::TempDir a, b, c;
  auto options = [](const fs::path& dir, std::uint64_t seed, int threads) {
    SampleOptions o = SampleOptions::small(dir);
    o.products = 120;
    o.lookbooks = 4;
    o.held_out_outfits = 3;
    o.seed = seed;
    o.threads = threads;
    return o;
  };
  generate_sample(options(a.path(), 7, 2));
  generate_sample(options(b.path(), 7, 1));  // the thread count does not change the output
  generate_sample(options(c.path(), 8, 2));
  const auto ha = hashes(a.path()), hb = hashes(b.path()), hc = hashes(c.path());
  EXPECT_EQ(ha.size(), 120u + 4u + 2u);
  EXPECT_EQ(ha, hb);
  EXPECT_EQ(read_file(a / "catalog.csv"), read_file(b / "catalog.csv"));
  EXPECT_NE(ha.at("catalog.csv"), hc.at("catalog.csv"));
  EXPECT_NE(ha.at("ground_truth.json"), hc.at("ground_truth.json"));
  EXPECT_NE(ha.at("lookbooks/lb0000.jpg"), hc.at("lookbooks/lb0000.jpg"));
  int same_images = 0;
  for (const auto& [name, hash] : ha) same_images += hc.count(name) && hc.at(name) == hash;
  EXPECT_LT(same_images, 5);
}

ErrorCode code_of(const SampleOptions& o) {
  try {
    generate_sample(o);
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::kInternal;
}

// A catalog larger than the dataset: the garments come back as other colourways, never as copies.
TEST(SampleGeneratorVariantsTest, MoreProductsThanGarmentsAreColourwaysNotCopies) {
  ensemble::testing::TempDir data, out;
  testing::write_gz(data / "train-images-idx3-ubyte.gz", testing::shape_image_file(20));
  testing::write_gz(data / "train-labels-idx1-ubyte.gz",
                    testing::label_file({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  testing::write_gz(data / "t10k-images-idx3-ubyte.gz", testing::shape_image_file(0));
  testing::write_gz(data / "t10k-labels-idx1-ubyte.gz", testing::label_file({}));
  SampleOptions o = SampleOptions::small(out.path());
  o.fashion_mnist_dir = data.path();
  o.products = 72;  // 12 accessories + 60 garments from 20 images: each image three times
  o.lookbooks = 0;
  o.held_out_outfits = 0;
  const SampleSummary summary = generate_sample(o);
  const auto rows = testing::parse_csv(read_file(summary.catalog_csv));
  ASSERT_EQ(rows.size(), 73u);  // header + 72 products
  std::set<std::string> photos;
  for (const auto& e : fs::directory_iterator(summary.product_dir)) photos.insert(sha256_file_hex(e.path()));
  EXPECT_EQ(photos.size(), 72u) << "a product photo is a byte copy of another";
}

TEST(SampleGeneratorErrorsTest, RejectsImpossibleOptions) {
  ensemble::testing::TempDir dir;
  SampleOptions o = SampleOptions::small(dir.path());
  o.products = 1000001;
  try {
    generate_sample(o);
    FAIL() << "expected kInvalidArgument";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("1,000,000"), std::string::npos) << e.what();
  }
  o = SampleOptions::small(dir.path());
  o.products = 10;
  EXPECT_EQ(code_of(o), ErrorCode::kInvalidArgument);
  o = SampleOptions::small(dir.path());
  o.two_outfit_fraction = 1.5;
  EXPECT_EQ(code_of(o), ErrorCode::kInvalidArgument);
  o = SampleOptions::small(fs::path());
  EXPECT_EQ(code_of(o), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "catalog.csv"));
}

TEST(SampleGeneratorErrorsTest, MissingDatasetIsNotFoundAndNamesThePackage) {
  ensemble::testing::TempDir dir;
  SampleOptions o = SampleOptions::small(dir / "out");
  o.fashion_mnist_dir = dir / "no-such-dataset";
  try {
    generate_sample(o);
    FAIL() << "expected kNotFound";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("dataset-fashion-mnist"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir / "out" / "catalog.csv"));
}

}  // namespace
}  // namespace ensemble::sample
