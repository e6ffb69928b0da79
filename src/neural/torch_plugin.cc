#include "neural/torch_plugin.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <system_error>
#include <vector>

#include "ensemble/util/error.h"

namespace ensemble::neural {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPluginFile = "libensemble_torch.so";
constexpr const char* kEntry = "ensemble_torch_backends";

std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("ENSEMBLE_TORCH_PLUGIN"); env && *env) return {fs::path(env)};
#ifdef ENSEMBLE_TORCH_PLUGIN_PATH
  out.emplace_back(ENSEMBLE_TORCH_PLUGIN_PATH);
#endif
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back(exe.parent_path() / kPluginFile);
  return out;
}

[[noreturn]] void fail(const fs::path& path, const std::string& why) {
  throw Error(ErrorCode::kInternal,
              "the LibTorch backends (clip:, sam:) could not be loaded from " + path.string() + ": " + why +
                  "; rebuild Ensemble (the plugin is built with it), set ENSEMBLE_TORCH_PLUGIN to the "
                  "plugin's path, or use the 'classic' backends");
}

}  // namespace

const TorchBackends& load_torch_backends(const fs::path& path) {
  // RTLD_LOCAL: nothing loaded later resolves symbols against the plugin (it exports one anyway).
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    fail(path, why ? why : "dlopen failed");
  }
  using Entry = const TorchBackends* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, kEntry));
  if (entry == nullptr) {
    dlclose(handle);
    fail(path, std::string("it has no ") + kEntry + "()");
  }
  const TorchBackends* b = entry();
  constexpr std::size_t kTable = sizeof(TorchBackends), kRuntime = sizeof(RuntimeOptions);
  if (b == nullptr || b->abi != TorchBackends::kAbi || b->sizes[0] != kTable || b->sizes[3] != kRuntime) {
    fail(path, "it was built from other sources than this program (abi " +
                   std::to_string(b ? b->abi : 0) + ", expected " + std::to_string(TorchBackends::kAbi) + ")");
  }
  return *b;
}

fs::path torch_plugin_path() {
  const auto all = candidates();
  for (const auto& p : all) {
    std::error_code ec;
    if (fs::exists(p, ec)) return p;
  }
  return all.empty() ? fs::path(kPluginFile) : all.front();
}

const TorchBackends& torch_backends() {
  // A failed load is retried on the next call (the error may have been fixed meanwhile); a
  // successful one is kept for the process's life (the plugin is never unloaded).
  static std::mutex mu;
  static const TorchBackends* loaded = nullptr;
  std::lock_guard<std::mutex> lock(mu);
  if (loaded == nullptr) loaded = &load_torch_backends(torch_plugin_path());
  return *loaded;
}

void require_torch_size(const TorchBackends& backends, int slot, std::size_t size, const char* type) {
  if (slot < 0 || slot > 3 || backends.sizes[slot] != size) {
    fail(torch_plugin_path(), std::string("its ") + type + " differs from this program's (another build)");
  }
}

}  // namespace ensemble::neural
