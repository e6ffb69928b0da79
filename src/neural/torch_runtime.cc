// Device and thread selection over LibTorch (the plugin side of runtime.h, see torch_plugin.h).
// Only the light ATen/torch headers: no <torch/torch.h>.
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <mutex>

#include "ensemble/neural/runtime.h"
#include "ensemble/util/error.h"
#include "neural/torch_module.h"

namespace ensemble::neural {

std::string torch_resolve_device(std::string_view requested, std::string_view what) {
  const std::string prefix = what.empty() ? std::string() : std::string(what) + ": ";
  if (requested == "cpu") return "cpu";
  if (requested == "cuda" || requested == "auto") {
    if (torch::cuda::is_available()) return "cuda";
    if (requested == "auto") return "cpu";
    throw Error(ErrorCode::kInvalidArgument,
                prefix + "device 'cuda' was requested (pipeline.device) but no CUDA device is available "
                         "to this LibTorch (Debian's libtorch is CPU-only); use 'cpu' or 'auto'");
  }
  throw Error(ErrorCode::kInvalidArgument,
              prefix + "unknown device '" + std::string(requested) + "' (expected cpu, cuda or auto)");
}

int torch_configure_threads(int threads) {
  const int n = resolve_torch_threads(threads);
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (at::get_num_threads() != n) at::set_num_threads(n);
  return n;
}

}  // namespace ensemble::neural
