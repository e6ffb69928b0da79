// LibTorch side of the neural runtime: loading the TorchScript files a manifest names, checking them
// against the manifest by a dry run, and running them. Private to the neural backends (src/embed
// clip_embedder.cc, src/segment torch_sam_model.cc): includes <torch/script.h>, never include it
// from a public header.
#pragma once

#include <torch/script.h>

#include <string>
#include <string_view>
#include <vector>

#include "ensemble/neural/manifest.h"
#include "ensemble/neural/runtime.h"

namespace ensemble::neural {

// One TorchScript file of a manifest, loaded on a device, in eval mode.
// Thread-safety: run() is const and may be called from several threads at once.
class TorchModel {
 public:
  // Loads manifest.file(role) on `device` ("cpu" or "cuda", from resolve_device). Checks that the
  // file is a TorchScript archive that LibTorch can read, then dry-runs it on inputs of the
  // manifest's shapes (-1 = 2) and checks the outputs' count, shapes and dtypes. Throws Error
  // (kBadInput) naming the file and the mismatch. The checksums are checked by the caller
  // (verify_checksums) before.
  TorchModel(const Manifest& manifest, std::string_view role, const std::string& device);

  // Runs forward(inputs...) under inference mode and returns the outputs as a list (a tuple or list
  // result is unpacked), each checked against the manifest (count, shape with -1 = any, dtype).
  // Outputs are on the CPU, contiguous. Throws Error(kBadInput) on a mismatch, Error(kInternal) when
  // LibTorch fails.
  std::vector<at::Tensor> run(std::vector<at::Tensor> inputs) const;

  const ModelFile& spec() const { return spec_; }
  const torch::Device& device() const { return device_; }

  // A zero tensor of the manifest's input shape (-1 replaced by `batch`) on the model's device.
  at::Tensor dummy_input(const TensorSpec& t, std::int64_t batch) const;

 private:
  std::string where() const;  // "model file X (files.role of MANIFEST)"

  ModelFile spec_;
  std::string manifest_path_;
  torch::Device device_;
  mutable torch::jit::Module module_;
};

// resolve_device() and configure_threads() (runtime.h) over this LibTorch: what the plugin's entry
// points run (torch_plugin.h), and what the backends in the plugin call directly.
std::string torch_resolve_device(std::string_view requested, std::string_view what = {});
int torch_configure_threads(int threads);

// Checks a tensor against a manifest entry; throws Error(kBadInput) "<where>: output 'masks' has
// shape [..], the manifest says [..]".
void check_tensor(const at::Tensor& t, const TensorSpec& spec, const std::string& kind, const std::string& where);

}  // namespace ensemble::neural
