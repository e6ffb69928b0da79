#include "ensemble/catalog/import_report.h"

#include <nlohmann/json.hpp>

namespace ensemble::catalog {

void ImportReport::reject(ImportProblem p) {
  ++rejected;
  if (problems.size() < kMaxProblems) {
    problems.push_back(std::move(p));
  } else {
    ++problems_dropped;
  }
}

nlohmann::json ImportReport::to_json() const {
  nlohmann::json problems_json = nlohmann::json::array();
  for (const auto& p : problems) {
    problems_json.push_back({{"file", p.file}, {"line", p.line}, {"id", p.id}, {"message", p.message}});
  }
  return {{"run_id", run_id},     {"seen", seen},         {"inserted", inserted},
          {"updated", updated},   {"unchanged", unchanged}, {"rejected", rejected},
          {"rolled_back", rolled_back}, {"seconds", seconds}, {"problems", problems_json},
          {"problems_dropped", problems_dropped}};
}

}  // namespace ensemble::catalog
