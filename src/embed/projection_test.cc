#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "ensemble/embed/classic_embedder.h"
#include "ensemble/embed/projection.h"
#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"
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

// A few rows take the matrix-vector path, many the matrix-product path: both give W (x - mean).
TEST(Projection, FewRowsAndManyRowsProjectAlike) {
  const int in = 300, out = 64, n = 70;
  Projection p = Projection::random("t", in, out, 3);
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(n) * in);
  for (auto& v : x) v = u(rng);
  std::vector<float> batch(static_cast<std::size_t>(n) * out), one(out), three(3 * out);
  p.apply(x.data(), n, batch.data());
  for (int i = 0; i < n; ++i) {
    p.apply(x.data() + i * in, 1, one.data());
    for (int j = 0; j < out; ++j) ASSERT_NEAR(one[j], batch[i * out + j], 1e-4) << "row " << i << ", " << j;
  }
  p.apply(x.data() + 5 * in, 3, three.data());
  for (int j = 0; j < 3 * out; ++j) ASSERT_NEAR(three[j], batch[5 * out + j], 1e-4) << j;
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

// A projection file written field by field, with a correct checksum unless told otherwise: what a
// buggy writer or a hand-made file could contain (issue #9: a corrupt or wrong-shaped model file
// gives a clear error at load).
std::string projection_bytes(std::uint32_t version, std::uint32_t in_dim, std::uint32_t out_dim,
                             const std::string& id, std::int64_t samples, std::vector<float> values,
                             bool good_checksum = true) {
  std::string b("ENSPROJ\0", 8);
  auto put = [&b](auto v) { b.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(version);
  put(in_dim);
  put(out_dim);
  put(static_cast<std::uint32_t>(id.size()));
  put(samples);
  b += id;
  b.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  b += good_checksum ? sha256_hex(b) : std::string(64, '0');
  return b;
}

std::string load_error(const std::filesystem::path& p, ErrorCode* code = nullptr) {
  try {
    Projection::load(p);
  } catch (const Error& e) {
    if (code != nullptr) *code = e.code();
    return e.what();
  }
  return "";
}

TEST(Projection, CorruptAndWrongShapedFilesGiveClearErrors) {
  ensemble::testing::TempDir dir;
  auto write = [&](const std::string& name, const std::string& bytes) {
    ensemble::testing::write_text(dir / name, bytes);
    return dir / name;
  };
  const std::vector<float> ok_values(2 * (1 + 3), 0.5f);
  // The writer above agrees with the real format.
  EXPECT_EQ(Projection::load(write("ok.bin", projection_bytes(1, 2, 3, "d", 7, ok_values))).out_dim(), 3);

  ErrorCode code{};
  EXPECT_NE(load_error(write("empty.bin", ""), &code).find("not an Ensemble projection"), std::string::npos);
  EXPECT_EQ(code, ErrorCode::kBadInput);
  EXPECT_NE(load_error(write("v2.bin", projection_bytes(2, 2, 3, "d", 7, ok_values))).find("version 2"),
            std::string::npos);
  EXPECT_NE(load_error(write("zero.bin", projection_bytes(1, 0, 3, "d", 7, {}))).find("corrupt projection header"),
            std::string::npos);
  // A header declaring 2^20 x 2^16 floats (256 GiB) in a tiny file: refused from the size, without
  // trying to read or allocate it.
  EXPECT_NE(load_error(write("huge.bin", projection_bytes(1, 1u << 20, 1u << 16, "d", 7, ok_values)))
                .find("truncated or has trailing bytes"),
            std::string::npos);
  EXPECT_NE(load_error(write("bigid.bin", projection_bytes(1, 2, 3, std::string(5000, 'x'), 7, ok_values)))
                .find("corrupt projection header"),
            std::string::npos);
  EXPECT_NE(load_error(write("neg.bin", projection_bytes(1, 2, 3, "d", -1, ok_values))).find("corrupt"),
            std::string::npos);
  std::string trailing = projection_bytes(1, 2, 3, "d", 7, ok_values);
  trailing += "x";
  EXPECT_NE(load_error(write("trail.bin", trailing)).find("trailing bytes"), std::string::npos);
  EXPECT_NE(load_error(write("sum.bin", projection_bytes(1, 2, 3, "d", 7, ok_values, false))).find("checksum"),
            std::string::npos);
  std::vector<float> nan_values = ok_values;
  nan_values[5] = std::nanf("");
  EXPECT_NE(load_error(write("nan.bin", projection_bytes(1, 2, 3, "d", 7, nan_values))).find("non-finite"),
            std::string::npos);
  nan_values[5] = INFINITY;
  EXPECT_NE(load_error(write("inf.bin", projection_bytes(1, 2, 3, "d", 7, nan_values))).find("non-finite"),
            std::string::npos);

  // Well-formed but the wrong shape for the embedder that adopts it: refused with both shapes named.
  auto wrong = std::make_shared<const Projection>(
      Projection::random(ClassicEmbedder::descriptor_id(), ClassicEmbedder::raw_dim() - 1, ClassicEmbedder::kDim, 1));
  try {
    ClassicEmbedder e(1, wrong);
    ADD_FAILURE() << "a projection of the wrong input size was adopted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  }
  auto other = std::make_shared<const Projection>(Projection::random("another-descriptor", 4, 3, 1));
  EXPECT_THROW(ClassicEmbedder(1, other), Error);
}

}  // namespace
}  // namespace ensemble::embed
