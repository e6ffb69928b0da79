#include "ensemble/segment/rle.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <random>

#include "ensemble/util/error.h"

namespace ensemble::segment {
namespace {

TEST(Rle, ColumnMajorCountsStartWithOutside) {
  // 3×2 mask (rows × cols):
  //   1 0
  //   1 1
  //   0 1
  // Column-major: 1 1 0 | 0 1 1  -> runs: 0 outside, 2 inside, 2 outside, 2 inside.
  cv::Mat m = (cv::Mat_<uchar>(3, 2) << 255, 0, 255, 255, 0, 255);
  const Rle r = rle_encode(m);
  EXPECT_EQ(r.height, 3);
  EXPECT_EQ(r.width, 2);
  EXPECT_EQ(r.counts, (std::vector<std::uint32_t>{0, 2, 2, 2}));
  EXPECT_EQ(r.area(), 4);
  EXPECT_EQ(rle_to_json(r), R"({"size":[3,2],"counts":[0,2,2,2]})");
  EXPECT_EQ(cv::countNonZero(rle_decode(r) != m), 0);
}

TEST(Rle, EdgeCases) {
  EXPECT_EQ(rle_encode(cv::Mat::zeros(2, 3, CV_8UC1)).counts, (std::vector<std::uint32_t>{6}));
  EXPECT_EQ(rle_encode(cv::Mat(2, 3, CV_8UC1, cv::Scalar(1))).counts,
            (std::vector<std::uint32_t>{0, 6}));
  const Rle empty = rle_encode(cv::Mat(0, 0, CV_8UC1));
  EXPECT_EQ(rle_decode(empty).total(), 0u);
  EXPECT_THROW(rle_encode(cv::Mat(2, 2, CV_32F)), Error);
}

TEST(Rle, RandomRoundTrips) {
  std::mt19937 rng(7);
  for (int t = 0; t < 50; ++t) {
    const int h = 1 + static_cast<int>(rng() % 40), w = 1 + static_cast<int>(rng() % 40);
    cv::Mat m(h, w, CV_8UC1);
    cv::randu(m, 0, 2);
    if (t % 3 == 1) {
      m.setTo(0);
      m(cv::Rect(0, 0, w / 2 + 1, h / 2 + 1)).setTo(7);
    }
    const Rle r = rle_encode(m);
    EXPECT_EQ(r.area(), cv::countNonZero(m));
    const cv::Mat back = rle_decode(rle_from_json(rle_to_json(r)));
    EXPECT_EQ(cv::countNonZero((back != 0) != (m != 0)), 0);
    EXPECT_EQ(rle_from_json(rle_to_json(r)), r);
  }
}

// The counts by definition: walk the columns, count each run.
std::vector<std::uint32_t> reference_counts(const cv::Mat& m) {
  std::vector<std::uint32_t> counts;
  bool inside = false;
  std::uint32_t run = 0;
  for (int x = 0; x < m.cols; ++x) {
    for (int y = 0; y < m.rows; ++y) {
      if ((m.at<uchar>(y, x) != 0) != inside) {
        counts.push_back(run);
        run = 0;
        inside = !inside;
      }
      ++run;
    }
  }
  counts.push_back(run);
  return counts;
}

TEST(Rle, CountsEqualTheColumnWalkForLargeMasksAndViews) {
  std::mt19937 rng(11);
  for (int t = 0; t < 40; ++t) {
    const int h = 1 + static_cast<int>(rng() % 300), w = 1 + static_cast<int>(rng() % 300);
    cv::Mat m = cv::Mat::zeros(h, w, CV_8UC1);
    // Long runs of any non-zero value (blobs), single pixels, and runs ending at a column's end.
    for (int b = 0; b < 1 + t % 5; ++b) {
      const int x = static_cast<int>(rng() % static_cast<unsigned>(w));
      const int y = static_cast<int>(rng() % static_cast<unsigned>(h));
      cv::ellipse(m, {x, y}, {1 + static_cast<int>(rng() % 60), 1 + static_cast<int>(rng() % 90)}, 0, 0, 360,
                  cv::Scalar(1 + static_cast<int>(rng() % 255)), cv::FILLED);
    }
    for (int s = 0; s < 20; ++s) {
      m.at<uchar>(static_cast<int>(rng() % static_cast<unsigned>(h)),
                  static_cast<int>(rng() % static_cast<unsigned>(w))) ^= 0x80;
    }
    if (t % 4 == 0) m.row(h - 1).setTo(255);
    EXPECT_EQ(rle_encode(m).counts, reference_counts(m)) << h << "x" << w;
    if (h > 4 && w > 4) {
      const cv::Mat view = m(cv::Rect(1, 2, w - 3, h - 4));  // not continuous
      EXPECT_EQ(rle_encode(view).counts, reference_counts(view));
    }
  }
  cv::Mat full(123, 77, CV_8UC1, cv::Scalar(3));
  EXPECT_EQ(rle_encode(full).counts, (std::vector<std::uint32_t>{0, 123 * 77}));
}

TEST(Rle, RejectsBadCountsAndJson) {
  Rle bad{2, 2, {1, 2}};
  EXPECT_THROW(rle_decode(bad), Error);
  for (const char* j : {"", "[]", R"({"size":[2,2]})", R"({"size":[2,2],"counts":[1,2]})",
                        R"({"size":[2,2],"counts":[-1,5]})", R"({"size":[2],"counts":[4]})",
                        R"({"size":[2,2],"counts":["4"]})"}) {
    try {
      rle_from_json(j);
      ADD_FAILURE() << j;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput) << j;
    }
  }
}

}  // namespace
}  // namespace ensemble::segment
