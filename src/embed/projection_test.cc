#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "ensemble/embed/projection.h"
#include "ensemble/util/error.h"
#include "testing/temp_dir.h"

namespace ensemble::embed {
namespace {

// Rows from N(mean, diag(sd²)) in 4 dimensions.
std::vector<float> gaussian_rows(int n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  const float sd[4] = {3.0f, 2.0f, 1.0f, 0.1f}, mean[4] = {5, -1, 2, 7};
  std::vector<float> v(static_cast<std::size_t>(n) * 4);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < 4; ++j) v[i * 4 + j] = mean[j] + sd[j] * g(rng);
  return v;
}

TEST(ProjectionFitter, FindsThePrincipalAxesAndWhitens) {
  auto rows = gaussian_rows(20000, 1);
  FitOptions o;
  o.out_dim = 2;
  o.whiten_alpha = 0.5;
  o.eps_rel = 0.0;
  ProjectionFitter f("test/4", 4, o);
  f.add(rows.data(), 20000);
  Projection p = f.finish();
  EXPECT_EQ(p.in_dim(), 4);
  EXPECT_EQ(p.out_dim(), 2);
  EXPECT_EQ(p.samples(), 20000);
  std::vector<float> out(20000 * 2);
  p.apply(rows.data(), 20000, out.data());
  // Output 0 follows axis 0 (sd 3), output 1 axis 1 (sd 2); both whitened to unit variance, mean 0.
  for (int k = 0; k < 2; ++k) {
    double m = 0, v = 0;
    for (int i = 0; i < 20000; ++i) m += out[i * 2 + k];
    m /= 20000;
    for (int i = 0; i < 20000; ++i) v += (out[i * 2 + k] - m) * (out[i * 2 + k] - m);
    v /= 19999;
    EXPECT_NEAR(m, 0.0, 0.02);
    EXPECT_NEAR(v, 1.0, 0.05);
  }
  // The first output is (up to sign) input axis 0.
  std::vector<float> e0 = {1, 0, 0, 0}, zero = {0, 0, 0, 0}, a(2), b(2);
  p.apply(e0.data(), 1, a.data());
  p.apply(zero.data(), 1, b.data());
  EXPECT_NEAR(std::fabs(a[0] - b[0]), 1.0 / 3.0, 0.02);
  EXPECT_NEAR(a[1] - b[1], 0.0, 0.02);
}

TEST(ProjectionFitter, StreamingInChunksEqualsOneBatch) {
  auto rows = gaussian_rows(1500, 2);
  ProjectionFitter one("t", 4, {.out_dim = 3}), chunks("t", 4, {.out_dim = 3});
  one.add(rows.data(), 1500);
  for (int i = 0; i < 1500; i += 7) chunks.add(rows.data() + i * 4, std::min(7, 1500 - i));
  Projection a = one.finish(), b = chunks.finish();
  std::vector<float> x = {1, 2, 3, 4}, ya(3), yb(3);
  a.apply(x.data(), 1, ya.data());
  b.apply(x.data(), 1, yb.data());
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(ya[k], yb[k], 1e-3);
}

TEST(ProjectionFitter, NeedsTwoRowsAndHandlesFewerRowsThanDimensions) {
  ProjectionFitter f("t", 4, {.out_dim = 4});
  EXPECT_THROW(f.finish(), Error);
  std::vector<float> two = {1, 0, 0, 0, 0, 1, 0, 0};
  f.add(two.data(), 2);
  Projection p = f.finish();  // rank 1: the other directions get (regularised) weight, no NaN
  std::vector<float> y(4);
  p.apply(two.data(), 1, y.data());
  for (float v : y) EXPECT_TRUE(std::isfinite(v));
}

TEST(Projection, RandomIsDeterministic) {
  Projection a = Projection::random("t", 50, 16, 9), b = Projection::random("t", 50, 16, 9),
             c = Projection::random("t", 50, 16, 10);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(a.hash(), c.hash());
  EXPECT_EQ(a.samples(), 0);
}

TEST(Projection, FileRoundTripAndCorruption) {
  ensemble::testing::TempDir dir;
  auto rows = gaussian_rows(500, 3);
  ProjectionFitter f("desc/4", 4, {.out_dim = 3});
  f.add(rows.data(), 500);
  Projection p = f.finish();
  p.save(dir / "p.bin");
  Projection q = Projection::load(dir / "p.bin");
  EXPECT_EQ(q.hash(), p.hash());
  EXPECT_EQ(q.descriptor_id(), "desc/4");
  EXPECT_EQ(q.samples(), 500);

  auto code = [](const std::filesystem::path& path) {
    try {
      Projection::load(path);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::kInternal;
  };
  EXPECT_EQ(code(dir / "nope.bin"), ErrorCode::kNotFound);
  auto size = std::filesystem::file_size(dir / "p.bin");
  std::filesystem::copy_file(dir / "p.bin", dir / "short.bin");
  std::filesystem::resize_file(dir / "short.bin", size - 10);
  EXPECT_EQ(code(dir / "short.bin"), ErrorCode::kBadInput);
  std::filesystem::copy_file(dir / "p.bin", dir / "flip.bin");
  {
    std::fstream io(dir / "flip.bin", std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(size / 2));
    io.put('\x7f');
  }
  EXPECT_EQ(code(dir / "flip.bin"), ErrorCode::kBadInput);
  ensemble::testing::write_text(dir / "text.bin", "hello");
  EXPECT_EQ(code(dir / "text.bin"), ErrorCode::kBadInput);
}

}  // namespace
}  // namespace ensemble::embed
