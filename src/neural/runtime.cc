// Device and thread selection over LibTorch. Only the light ATen/torch headers: no <torch/torch.h>.
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "ensemble/util/error.h"
#include "neural/runtime_common.h"

namespace ensemble::neural {

bool torch_available() { return true; }

std::string resolve_device(std::string_view requested, std::string_view what) {
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

int resolve_torch_threads(int threads) {
  if (threads > 0) return threads;
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  if (policy && strcasecmp(policy, "passive") == 0) {
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  return 1;
}

int configure_threads(int threads) {
  const int n = resolve_torch_threads(threads);
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (at::get_num_threads() != n) at::set_num_threads(n);
  return n;
}

RuntimeOptions default_runtime() { return default_runtime_impl(); }
void set_default_runtime(const RuntimeOptions& options) { set_default_runtime_impl(options); }

}  // namespace ensemble::neural
