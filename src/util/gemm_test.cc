#include "ensemble/util/gemm.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ensemble/util/error.h"

namespace ensemble::gemm {
namespace {

std::vector<float> random_matrix(std::int64_t rows, std::int64_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> m(static_cast<std::size_t>(rows * cols));
  for (auto& v : m) v = u(rng);
  return m;
}

// Restores the process-wide backend after each test.
class GemmTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    before_ = std::string(selected());
    select(GetParam());
  }
  void TearDown() override { select(before_); }
  std::string before_;
};

TEST_P(GemmTest, NtMatchesTheDefinitionWithPaddedStridesAndBeta) {
  const std::int64_t m = 37, n = 53, k = 70, lda = 75, ldb = 71, ldc = 60;
  auto a = random_matrix(m, lda, 1), b = random_matrix(n, ldb, 2), c = random_matrix(m, ldc, 3);
  const std::vector<float> c0 = c;
  nt(m, n, k, a.data(), lda, b.data(), ldb, -0.5f, c.data(), ldc, 2);
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < ldc; ++j) {
      if (j >= n) {
        EXPECT_EQ(c[i * ldc + j], c0[i * ldc + j]) << "padding column " << j << " was written";
        continue;
      }
      double want = -0.5 * c0[i * ldc + j];
      for (std::int64_t p = 0; p < k; ++p) want += static_cast<double>(a[i * lda + p]) * b[j * ldb + p];
      EXPECT_NEAR(c[i * ldc + j], want, 1e-4) << i << "," << j;
    }
  }
}

TEST_P(GemmTest, NtGivesTheSameResultOnOneThreadAndOnAll) {
  const std::int64_t m = 300, n = 500, k = 512;
  auto a = random_matrix(m, k, 4), b = random_matrix(n, k, 5);
  std::vector<float> one(m * n), all(m * n);
  nt(m, n, k, a.data(), k, b.data(), k, 0.0f, one.data(), n, 1);
  nt(m, n, k, a.data(), k, b.data(), k, 0.0f, all.data(), n, 0);
  for (std::size_t i = 0; i < one.size(); ++i) ASSERT_NEAR(one[i], all[i], 1e-4) << i;
}

TEST_P(GemmTest, SyrkFillsTheUpperTriangleAndLeavesTheLowerAlone) {
  const std::int64_t n = 41, rows = 90, lda = 45;
  auto a = random_matrix(rows, lda, 6);
  std::vector<float> c(n * n, 7.0f);
  syrk_upper_tn(n, rows, a.data(), lda, c.data(), n, 2);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      if (j < i) {
        EXPECT_EQ(c[i * n + j], 7.0f) << "lower " << i << "," << j;
        continue;
      }
      double want = 0;
      for (std::int64_t r = 0; r < rows; ++r) want += static_cast<double>(a[r * lda + i]) * a[r * lda + j];
      EXPECT_NEAR(c[i * n + j], want, 1e-3) << i << "," << j;
    }
  }
}

TEST_P(GemmTest, MvMatchesTheDefinition) {
  const std::int64_t m = 33, n = 29, lda = 31;
  auto a = random_matrix(m, lda, 8), x = random_matrix(1, n, 9);
  std::vector<float> y(m, 123.0f);
  mv(m, n, a.data(), lda, x.data(), y.data());
  for (std::int64_t i = 0; i < m; ++i) {
    double want = 0;
    for (std::int64_t j = 0; j < n; ++j) want += static_cast<double>(a[i * lda + j]) * x[j];
    EXPECT_NEAR(y[i], want, 1e-4) << i;
  }
}

TEST_P(GemmTest, EmptyProductsWriteNothing) {
  std::vector<float> c(4, 5.0f);
  nt(0, 2, 3, nullptr, 3, nullptr, 3, 0.0f, c.data(), 2);
  nt(2, 0, 3, nullptr, 3, nullptr, 3, 0.0f, c.data(), 2);
  EXPECT_EQ(c, std::vector<float>(4, 5.0f));
}

TEST_P(GemmTest, ConcurrentCallersGetTheirOwnResults) {
  const std::int64_t m = 64, n = 200, k = 128;
  auto b = random_matrix(n, k, 10);
  std::vector<std::vector<float>> as, outs(4), want(4);
  for (int t = 0; t < 4; ++t) {
    as.push_back(random_matrix(m, k, 20 + t));
    want[t].resize(m * n);
    nt(m, n, k, as[t].data(), k, b.data(), k, 0.0f, want[t].data(), n, 1);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      outs[t].resize(m * n);
      for (int rep = 0; rep < 20; ++rep) nt(m, n, k, as[t].data(), k, b.data(), k, 0.0f, outs[t].data(), n, 2);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    for (std::size_t i = 0; i < want[t].size(); ++i) ASSERT_NEAR(outs[t][i], want[t][i], 1e-4) << "caller " << t;
  }
}

TEST_P(GemmTest, DescribeNamesTheBackend) {
  EXPECT_EQ(describe().rfind(GetParam(), 0), 0u) << describe();
  EXPECT_EQ(selected(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Backends, GemmTest, ::testing::Values("blis", "openblas"));

TEST(Gemm, UnknownBackendIsRejectedAndTheChoiceKept) {
  const std::string before(selected());
  try {
    select("mkl");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("blis or openblas"), std::string::npos) << e.what();
  }
  EXPECT_EQ(selected(), before);
}

}  // namespace
}  // namespace ensemble::gemm
