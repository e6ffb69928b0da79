#include "ensemble/neural/manifest.h"

#include <gtest/gtest.h>

#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"
#include "testing/temp_dir.h"

namespace ensemble::neural {
namespace {

using ensemble::testing::TempDir;
using ensemble::testing::write_text;

std::string clip_json(const std::string& sha, int version = 1, const std::string& extra = "") {
  return R"({"manifest_version": )" + std::to_string(version) + R"(, "family": "clip", "name": "tiny", "version": "3",
    "input_size": 224, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25], "embedding_dim": 8,
    "files": {"image": {"file": "image.pt", "sha256": ")" + sha + R"(",
      "inputs": [{"name": "pixels", "shape": [-1, 3, 224, 224]}],
      "outputs": [{"name": "embedding", "shape": [-1, 8]}]}})" + extra + "}";
}

Error load_error(const std::filesystem::path& p, std::string_view family = {}) {
  try {
    load_manifest(p, family);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << p;
  return Error(ErrorCode::kInternal, "");
}

TEST(Manifest, ParsesValidatesAndRoundTrips) {
  TempDir dir;
  write_text(dir / "image.pt", "weights");
  const std::string sha = sha256_hex("weights");
  write_text(dir / "m.json", clip_json(sha));
  const Manifest m = load_manifest(dir / "m.json", "clip");
  EXPECT_EQ(m.family, "clip");
  EXPECT_EQ(m.input_size, 224);
  EXPECT_EQ(m.embedding_dim, 8);
  EXPECT_FLOAT_EQ(m.std[2], 0.25f);
  ASSERT_EQ(m.files.size(), 1u);
  EXPECT_EQ(m.file("image").path, dir.path() / "image.pt");
  EXPECT_EQ(m.file("image").inputs[0].shape_string(), "[-1, 3, 224, 224]");
  EXPECT_EQ(m.file("image").inputs[0].dtype, "float32");
  EXPECT_NO_THROW(verify_checksums(m));
  EXPECT_EQ(m.id().rfind("tiny@3#sha=", 0), 0u) << m.id();
  EXPECT_EQ(m.id().size(), std::string("tiny@3#sha=").size() + 12);

  write_text(dir / "again.json", to_json(m, dir.path()));
  const Manifest again = load_manifest(dir / "again.json");
  EXPECT_EQ(again.id(), m.id());
  EXPECT_EQ(again.file("image").path, m.file("image").path);
}

TEST(Manifest, FailuresNameTheFileAndTheProblem) {
  TempDir dir;
  write_text(dir / "image.pt", "weights");
  const std::string sha = sha256_hex("weights");

  Error e = load_error(dir / "absent.json");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("absent.json"), std::string::npos);

  write_text(dir / "bad.json", "{\"manifest_version\": 1,");
  e = load_error(dir / "bad.json");
  EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos);

  write_text(dir / "v2.json", clip_json(sha, 2));
  e = load_error(dir / "v2.json");
  EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  EXPECT_NE(std::string(e.what()).find("unsupported manifest_version 2"), std::string::npos) << e.what();

  write_text(dir / "fam.json", clip_json(sha));
  e = load_error(dir / "fam.json", "sam");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("'clip' model"), std::string::npos);

  write_text(dir / "sha.json", clip_json("xyz"));
  e = load_error(dir / "sha.json");
  EXPECT_NE(std::string(e.what()).find("files.image.sha256"), std::string::npos) << e.what();

  write_text(dir / "text.json", clip_json(sha, 1, R"(, "tokenizer": {"vocab": "v.json", "merges": "m.txt"})"));
  e = load_error(dir / "text.json");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("v.json"), std::string::npos);

  std::filesystem::remove(dir / "image.pt");
  write_text(dir / "missing.json", clip_json(sha));
  e = load_error(dir / "missing.json");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("image.pt does not exist"), std::string::npos) << e.what();

  write_text(dir / "image.pt", "weight");  // truncated
  const Manifest m = load_manifest(dir / "missing.json");
  try {
    verify_checksums(m);
    FAIL();
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(err.what()).find("checksum mismatch"), std::string::npos);
    EXPECT_NE(std::string(err.what()).find(sha), std::string::npos);
  }
}

TEST(Manifest, SamNeedsBothFiles) {
  TempDir dir;
  write_text(dir / "enc.pt", "e");
  write_text(dir / "s.json", R"({"manifest_version": 1, "family": "sam", "name": "s", "version": "1",
    "input_size": 1024, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "embedding_dim": 256,
    "files": {"image_encoder": {"file": "enc.pt", "sha256": ")" + sha256_hex("e") + R"(",
      "inputs": [{"name": "image", "shape": [1, 3, 1024, 1024]}],
      "outputs": [{"name": "image_embeddings", "shape": [1, 256, 64, 64]}]}}})");
  const Error e = load_error(dir / "s.json");
  EXPECT_NE(std::string(e.what()).find("files.mask_decoder"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace ensemble::neural
