#include "neural/torch_module.h"

#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <fstream>

#include "ensemble/neural/manifest.h"
#include "ensemble/neural/runtime.h"
#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"
#include "neural/testing/tiny_models.h"
#include "testing/temp_dir.h"

namespace ensemble::neural {
namespace {

using ensemble::testing::TempDir;
namespace fs = std::filesystem;

// Rewrites the manifest at path after `edit`, keeping checksums in step with the files.
template <typename Fn>
void edit_manifest(const fs::path& path, Fn edit) {
  Manifest m = load_manifest(path);
  edit(m);
  for (auto& f : m.files) f.sha256 = sha256_file_hex(f.path);
  std::ofstream(path) << to_json(m, path.parent_path());
}

std::string load_error(const fs::path& manifest, const std::string& role) {
  try {
    TorchModel model(load_manifest(manifest), role, "cpu");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "loaded";
  return {};
}

TEST(TorchModel, LoadsDryRunsAndChecksOutputs) {
  TempDir dir;
  neural::testing::TinyClip clip;
  const fs::path path = neural::testing::write_tiny_clip(dir.path(), clip);
  const Manifest m = load_manifest(path, "clip");
  verify_checksums(m);
  const TorchModel image(m, "image", "cpu");
  const auto out = image.run({torch::ones({3, 3, 224, 224})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].size(0), 3);
  EXPECT_EQ(out[0].size(1), clip.dim);
  // All-ones pixels: every pooled value is 1, so the output is the column sums of proj.
  for (int d = 0; d < clip.dim; ++d) {
    float sum = 0;
    for (int i = 0; i < 192; ++i) sum += clip.proj[static_cast<std::size_t>(i) * clip.dim + d];
    EXPECT_NEAR(out[0][1][d].item<float>(), sum, 1e-3);
  }
  // An input of the wrong shape is refused before LibTorch sees it.
  try {
    image.run({torch::ones({1, 3, 100, 100})});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input 'pixels' has shape [1, 3, 100, 100], the manifest says [-1, 3, 224, 224]"),
              std::string::npos)
        << e.what();
  }
}

TEST(TorchModel, ManifestDisagreeingWithTheModelFailsAtLoad) {
  TempDir dir;
  neural::testing::TinyClip clip;
  const fs::path path = neural::testing::write_tiny_clip(dir.path(), clip);
  edit_manifest(path, [](Manifest& m) {
    for (auto& f : m.files)
      if (f.role == "image") f.outputs[0].shape = {-1, 8};
  });
  const std::string what = load_error(path, "image");
  EXPECT_NE(what.find("image.pt"), std::string::npos) << what;
  EXPECT_NE(what.find("output 'embedding' has shape [2, 16], the manifest says [-1, 8]"), std::string::npos) << what;

  edit_manifest(path, [](Manifest& m) {
    for (auto& f : m.files)
      if (f.role == "image") {
        f.outputs[0].shape = {-1, 16};
        f.outputs.push_back({"extra", {-1, 4}});
      }
  });
  EXPECT_NE(load_error(path, "image").find("returned 1 output(s), the manifest lists 2"), std::string::npos);

  edit_manifest(path, [](Manifest& m) {
    for (auto& f : m.files)
      if (f.role == "image") {
        f.outputs.pop_back();
        f.inputs.push_back({"mask", {-1, 1}});
      }
  });
  EXPECT_NE(load_error(path, "image").find("forward() takes 1 input(s), the manifest lists 2"), std::string::npos);
}

TEST(TorchModel, TruncatedOrForeignFilesFailClearly) {
  TempDir dir;
  neural::testing::TinyClip clip;
  const fs::path path = neural::testing::write_tiny_clip(dir.path(), clip);
  const std::string bytes = [&] {
    std::ifstream in(dir / "image.pt", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  std::ofstream(dir / "image.pt", std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  {
    // The checksum catches it first...
    const Manifest m = load_manifest(path);
    EXPECT_THROW(verify_checksums(m), Error);
  }
  edit_manifest(path, [](Manifest&) {});  // ...and with a matching checksum LibTorch refuses it.
  std::string what = load_error(path, "image");
  EXPECT_NE(what.find("cannot be loaded by LibTorch"), std::string::npos) << what;
  EXPECT_NE(what.find("image.pt"), std::string::npos) << what;

  std::ofstream(dir / "image.pt", std::ios::binary | std::ios::trunc) << "not a model at all";
  edit_manifest(path, [](Manifest&) {});
  what = load_error(path, "image");
  EXPECT_NE(what.find("is not a TorchScript archive"), std::string::npos) << what;
}

TEST(Runtime, DevicesAndThreads) {
  EXPECT_TRUE(torch_available());
  EXPECT_EQ(resolve_device("cpu"), "cpu");
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(resolve_device("auto"), "cpu");
    try {
      resolve_device("cuda", "model manifest m.json");
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find("m.json: device 'cuda' was requested"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(resolve_device("tpu"), Error);
  EXPECT_EQ(configure_threads(3), 3);
  EXPECT_EQ(at::get_num_threads(), 3);
  EXPECT_EQ(configure_threads(1), 1);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_GE(resolve_torch_threads(0), 1);
}

}  // namespace
}  // namespace ensemble::neural
