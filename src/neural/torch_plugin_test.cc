#include "neural/torch_plugin.h"

#include <gtest/gtest.h>

#include <fstream>

#include "ensemble/util/error.h"
#include "testing/temp_dir.h"

namespace ensemble::neural {
namespace {

using ensemble::testing::TempDir;

std::string load_error(const std::filesystem::path& path) {
  try {
    load_torch_backends(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
    return e.what();
  }
  ADD_FAILURE() << path << " loaded";
  return {};
}

TEST(TorchPlugin, TheBuildsPluginLoadsAndAnswers) {
  const auto& b = torch_backends();
  EXPECT_EQ(b.abi, TorchBackends::kAbi);
  EXPECT_EQ(&b, &torch_backends()) << "loaded once";
  EXPECT_EQ(b.resolve_device("cpu", ""), "cpu");
  EXPECT_EQ(b.configure_threads(2), 2);
  EXPECT_TRUE(b.make_clip_embedder != nullptr && b.make_sam_segmenter != nullptr);
  EXPECT_TRUE(torch_available());
  // An error thrown in the plugin reaches the caller as an ensemble::Error with its code.
  try {
    b.resolve_device("tpu", "m.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("unknown device 'tpu'"), std::string::npos) << e.what();
  }
}

TEST(TorchPlugin, AMissingOrForeignFileIsAClearError) {
  TempDir dir;
  std::string what = load_error(dir / "libensemble_torch.so");
  EXPECT_NE(what.find(dir.path().string()), std::string::npos) << what;
  EXPECT_NE(what.find("ENSEMBLE_TORCH_PLUGIN"), std::string::npos) << what;

  std::ofstream(dir / "garbage.so") << "not a shared object";
  what = load_error(dir / "garbage.so");
  EXPECT_NE(what.find("garbage.so"), std::string::npos) << what;

  // A real shared object that is not the plugin.
  what = load_error("libz.so.1");
  EXPECT_NE(what.find("has no ensemble_torch_backends()"), std::string::npos) << what;
}

TEST(TorchPlugin, TheEnvironmentNamesThePlugin) {
  const std::filesystem::path found = torch_plugin_path();
  EXPECT_EQ(found.filename(), "libensemble_torch.so");
  ::setenv("ENSEMBLE_TORCH_PLUGIN", "/elsewhere/plugin.so", 1);
  EXPECT_EQ(torch_plugin_path(), "/elsewhere/plugin.so") << "even when it does not exist (the error names it)";
  ::unsetenv("ENSEMBLE_TORCH_PLUGIN");
  EXPECT_EQ(torch_plugin_path(), found);
}

}  // namespace
}  // namespace ensemble::neural
