// The runtime of a build without LibTorch: every neural backend is unavailable.
#include "ensemble/util/error.h"
#include "neural/runtime_common.h"

namespace ensemble::neural {

bool torch_available() { return false; }

std::string resolve_device(std::string_view requested, std::string_view what) {
  throw Error(ErrorCode::kInvalidArgument,
              std::string(what.empty() ? "" : std::string(what) + ": ") +
                  "this Ensemble was built without LibTorch (ENSEMBLE_WITH_TORCH=OFF), so neural models "
                  "cannot run; install libtorch-dev and rebuild");
}

int resolve_torch_threads(int threads) { return threads > 0 ? threads : 1; }
int configure_threads(int threads) { return resolve_torch_threads(threads); }
RuntimeOptions default_runtime() { return default_runtime_impl(); }
void set_default_runtime(const RuntimeOptions& options) { set_default_runtime_impl(options); }

}  // namespace ensemble::neural
