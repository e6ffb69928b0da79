#include "ensemble/segment/segmenter.h"

#include <nlohmann/json.hpp>

#include "ensemble/util/error.h"
#include "segment/classic_segmenter.h"
#if ENSEMBLE_WITH_TORCH
#include "neural/torch_plugin.h"
#endif

namespace ensemble::segment {

void FilterStats::add(const std::string& name, std::int64_t n) {
  for (auto& s : steps) {
    if (s.name == name) {
      s.kept += n;
      return;
    }
  }
  steps.push_back({name, n});
}

std::int64_t FilterStats::kept_after(const std::string& name) const {
  for (const auto& s : steps) {
    if (s.name == name) return s.kept;
  }
  return -1;
}

std::string FilterStats::to_json() const {
  nlohmann::ordered_json j;
  j["candidates"] = candidates;
  for (const auto& s : steps) j[s.name] = s.kept;
  return j.dump();
}

int SegmentationResult::kept_count() const {
  int n = 0;
  for (const auto& r : regions) n += r.kept;
  return n;
}

std::unique_ptr<Segmenter> make_segmenter(const std::string& spec, const SegmenterConfig& config) {
  config.validate();
  if (spec == "classic" || spec == kClassicSegmenterId) return make_classic_segmenter(config);
  if (spec.rfind("classic#", 0) == 0) {
    throw Error(ErrorCode::kInvalidArgument, "segmenter '" + spec + "': this build's classic segmenter is '" +
                                                 std::string(kClassicSegmenterId) + "' (or plain 'classic')");
  }
  if (spec.rfind("sam:", 0) == 0) {
    // "sam:MANIFEST" (docs/MODELS.md); an id "sam:MANIFEST#v2#..." names the same model.
    const std::string manifest = spec.substr(4, spec.find('#') == std::string::npos ? std::string::npos
                                                                                     : spec.find('#') - 4);
#if ENSEMBLE_WITH_TORCH
    if (manifest.empty() || manifest.find(',') != std::string::npos) {
      throw Error(ErrorCode::kInvalidArgument,
                  "segmenter '" + spec + "': expected sam:MANIFEST (one model manifest naming the encoder and "
                                         "decoder files; see docs/MODELS.md)");
    }
    // The LibTorch SAM model lives in the plugin (loaded now, on first use).
    const auto& torch = neural::torch_backends();
    neural::require_torch_size(torch, 2, sizeof(SegmenterConfig), "SegmenterConfig");
    return torch.make_sam_segmenter(manifest, config, neural::default_runtime());
#else
    if (manifest.empty()) {
      throw Error(ErrorCode::kInvalidArgument, "segmenter '" + spec + "': expected sam:MANIFEST");
    }
    throw Error(ErrorCode::kInvalidArgument,
                "segmenter '" + spec +
                    "': this Ensemble was built without LibTorch, so SAM cannot run; use 'classic' "
                    "or rebuild with the LibTorch runtime (libtorch-dev, ENSEMBLE_WITH_TORCH=ON)");
#endif
  }
  throw Error(ErrorCode::kInvalidArgument,
              "unknown segmenter '" + spec + "': expected 'classic' or 'sam:MANIFEST'");
}

}  // namespace ensemble::segment
