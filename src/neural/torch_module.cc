#include "neural/torch_module.h"

#include <torch/version.h>

#include <fstream>

#include "ensemble/util/error.h"

namespace ensemble::neural {
namespace {

std::string first_line(const char* what) {
  std::string s(what);
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

at::ScalarType scalar_type(const std::string& dtype) {
  return dtype == "int64" ? at::kLong : at::kFloat;
}

}  // namespace

void check_tensor(const at::Tensor& t, const TensorSpec& spec, const std::string& kind, const std::string& where) {
  bool ok = t.dim() == static_cast<std::int64_t>(spec.shape.size());
  for (std::size_t i = 0; ok && i < spec.shape.size(); ++i) ok = spec.shape[i] == -1 || spec.shape[i] == t.size(i);
  if (!ok) {
    throw Error(ErrorCode::kBadInput, where + ": " + kind + " '" + spec.name + "' has shape " + shape_of(t) +
                                          ", the manifest says " + spec.shape_string());
  }
  if (t.scalar_type() != scalar_type(spec.dtype)) {
    throw Error(ErrorCode::kBadInput, where + ": " + kind + " '" + spec.name + "' has dtype " +
                                          std::string(c10::toString(t.scalar_type())) + ", the manifest says " +
                                          spec.dtype);
  }
}

TorchModel::TorchModel(const Manifest& manifest, std::string_view role, const std::string& device)
    : spec_(manifest.file(role)), manifest_path_(manifest.path.string()), device_(device) {
  {
    std::ifstream in(spec_.path, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    if (!in || magic[0] != 'P' || magic[1] != 'K' || magic[2] != 3 || magic[3] != 4) {
      throw Error(ErrorCode::kBadInput, where() + " is not a TorchScript archive (a .pt written by "
                                                  "torch.jit.save, which is a zip file; see docs/MODELS.md)");
    }
  }
  try {
    module_ = torch::jit::load(spec_.path.string(), device_);
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::kBadInput, where() + " cannot be loaded by LibTorch " + TORCH_VERSION +
                                          " (truncated, or exported by a newer torch? export with torch 1.13): " +
                                          first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kBadInput, where() + " cannot be loaded by LibTorch: " + first_line(e.what()));
  }
  module_.eval();
  if (!module_.find_method("forward")) throw Error(ErrorCode::kBadInput, where() + " has no forward() method");
  const auto& schema = module_.get_method("forward").function().getSchema();
  // The schema's first argument is `self`.
  if (schema.arguments().size() != spec_.inputs.size() + 1) {
    throw Error(ErrorCode::kBadInput, where() + ": forward() takes " + std::to_string(schema.arguments().size() - 1) +
                                          " input(s), the manifest lists " + std::to_string(spec_.inputs.size()));
  }
  std::vector<at::Tensor> dry;
  for (const auto& t : spec_.inputs) dry.push_back(dummy_input(t, 2));
  run(std::move(dry));
}

std::string TorchModel::where() const {
  return "model file " + spec_.path.string() + " (files." + spec_.role + " of " + manifest_path_ + ")";
}

at::Tensor TorchModel::dummy_input(const TensorSpec& t, std::int64_t batch) const {
  std::vector<std::int64_t> shape = t.shape;
  for (auto& d : shape) {
    if (d == -1) d = batch;
  }
  return torch::zeros(shape, at::TensorOptions().dtype(scalar_type(t.dtype)).device(device_));
}

std::vector<at::Tensor> TorchModel::run(std::vector<at::Tensor> inputs) const {
  std::vector<torch::jit::IValue> args;
  args.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    check_tensor(inputs[i], spec_.inputs[i], "input", where());
    args.emplace_back(inputs[i].to(device_));
  }
  torch::jit::IValue result;
  try {
    c10::InferenceMode guard;
    result = module_.forward(std::move(args));
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::kBadInput, where() + ": forward() failed on inputs of the manifest's shapes: " +
                                          first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kBadInput, where() + ": forward() failed: " + first_line(e.what()));
  }
  std::vector<at::Tensor> out;
  auto take = [&](const torch::jit::IValue& v) {
    if (!v.isTensor()) throw Error(ErrorCode::kBadInput, where() + ": forward() returned a non-tensor output");
    out.push_back(v.toTensor().to(at::kCPU).contiguous());
  };
  if (result.isTuple()) {
    for (const auto& v : result.toTupleRef().elements()) take(v);
  } else if (result.isTensorList()) {
    for (const auto& t : result.toTensorVector()) out.push_back(t.to(at::kCPU).contiguous());
  } else {
    take(result);
  }
  if (out.size() != spec_.outputs.size()) {
    throw Error(ErrorCode::kBadInput, where() + ": forward() returned " + std::to_string(out.size()) +
                                          " output(s), the manifest lists " + std::to_string(spec_.outputs.size()));
  }
  for (std::size_t i = 0; i < out.size(); ++i) check_tensor(out[i], spec_.outputs[i], "output", where());
  return out;
}

}  // namespace ensemble::neural
