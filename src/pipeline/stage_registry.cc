#include <algorithm>

#include "ensemble/pipeline/stage.h"
#include "ensemble/util/error.h"
#include "pipeline/stages.h"

namespace ensemble::pipeline {

const std::vector<std::string>& stage_names() {
  static const std::vector<std::string> kNames = {"segment", "embed",   "index",
                                                  "match",   "cooccur", "recommend"};
  return kNames;
}

std::unique_ptr<Stage> make_stage(const std::string& name) {
  const auto& names = stage_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    throw Error(ErrorCode::kInvalidArgument, "unknown stage '" + name + "' (stages: " + all + ")");
  }
  // Stages are added here as they are implemented.
  if (name == "segment") return make_segment_stage();
  if (name == "embed") return make_embed_stage();
  if (name == "index") return make_index_stage();
  if (name == "match") return make_match_stage();
  if (name == "cooccur") return make_cooccur_stage();
  if (name == "recommend") return make_recommend_stage();
  return nullptr;
}

}  // namespace ensemble::pipeline
