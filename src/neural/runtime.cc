// The runtime of a build with the LibTorch backends. They live in a plugin that is loaded the first
// time one is needed (torch_plugin.h): a device other than "cpu" is resolved, or threads are set,
// by the plugin's LibTorch.
#include <strings.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "ensemble/util/error.h"
#include "neural/runtime_common.h"
#include "neural/torch_plugin.h"

namespace ensemble::neural {

bool torch_available() {
  try {
    torch_backends();
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string resolve_device(std::string_view requested, std::string_view what) {
  if (requested == "cpu") return "cpu";
  return torch_backends().resolve_device(requested, what);
}

int resolve_torch_threads(int threads) {
  if (threads > 0) return threads;
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  if (policy && strcasecmp(policy, "passive") == 0) {
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  return 1;
}

int configure_threads(int threads) { return torch_backends().configure_threads(threads); }

RuntimeOptions default_runtime() { return default_runtime_impl(); }
void set_default_runtime(const RuntimeOptions& options) { set_default_runtime_impl(options); }

}  // namespace ensemble::neural
