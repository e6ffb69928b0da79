// The neural runtime's settings: which device models run on and how many CPU threads LibTorch uses.
// No torch types here. In a build with LibTorch, the LibTorch side is a plugin loaded on first use
// (src/neural/torch_plugin.h): resolve_device() for anything but "cpu", configure_threads() and
// torch_available() load it; resolve_torch_threads() and the default options do not.
//
// Threads: LibTorch's intra-op thread count is process-wide. configure_threads() sets it explicitly
// (LibTorch's own default here is 1). With more than one thread LibTorch's OpenMP workers spin
// against OpenBLAS's unless OMP_WAIT_POLICY=PASSIVE is in the environment *before the process
// starts* (libgomp reads it when it loads; measured 4-7x slower without it, ../shared/docs/PLATFORM.md),
// so threads = 0 ("automatic") means all cores only when OMP_WAIT_POLICY=PASSIVE is set, else 1.
// An explicit count is always honoured.
#pragma once

#include <string>
#include <string_view>

namespace ensemble::neural {

struct RuntimeOptions {
  // "cpu", "cuda" or "auto" (cuda when available, else cpu). Config key pipeline.device.
  std::string device = "cpu";
  // LibTorch intra-op threads; 0 = automatic (see the file comment). Config key pipeline.threads.
  int threads = 0;
  // Images per forward pass (the clip image tower). Config key pipeline.batch_size. >= 1.
  int batch_size = 16;
};

// True when this build has the LibTorch runtime (ENSEMBLE_WITH_TORCH) and its plugin loads.
bool torch_available();

// "cpu" or "cuda" for a requested device. Throws Error(kInvalidArgument) for an unknown name, for
// "cuda" when this LibTorch has no CUDA support or sees no GPU (naming `what`, e.g. the manifest),
// and for anything when the build has no LibTorch.
std::string resolve_device(std::string_view requested, std::string_view what = {});

// The thread count `threads` resolves to (see the file comment); >= 1.
int resolve_torch_threads(int threads);

// Sets LibTorch's intra-op thread count to resolve_torch_threads(threads) (process-wide; a no-op
// when it already has that value). Returns the count set.
int configure_threads(int threads);

// Process-wide defaults for backends built from a spec alone (make_segmenter("sam:...")): the CLI
// or the pipeline sets them from the config once; initially {"cpu", 0, 16}, overridden by the
// environment variables ENSEMBLE_DEVICE and ENSEMBLE_TORCH_THREADS when set.
RuntimeOptions default_runtime();
void set_default_runtime(const RuntimeOptions& options);

}  // namespace ensemble::neural
