// What an import did: counts, and every rejected input with its file and line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ensemble::catalog {

struct ImportProblem {
  std::string file;
  std::int64_t line = 0;  // 0 when not line-based (lookbook images)
  std::string id;         // the row's id when known
  std::string message;
};

struct ImportReport {
  std::int64_t run_id = 0;
  std::int64_t seen = 0;       // rows or files read
  std::int64_t inserted = 0;
  std::int64_t updated = 0;
  std::int64_t unchanged = 0;
  std::int64_t rejected = 0;
  bool rolled_back = false;    // strict mode with problems: nothing was written
  double seconds = 0;
  // The first kMaxProblems problems; rejected counts them all, problems_dropped the ones not kept
  // (so a million bad rows cost a counter, not a million messages in memory).
  std::vector<ImportProblem> problems;
  std::int64_t problems_dropped = 0;
  static constexpr std::size_t kMaxProblems = 10000;

  // Records one rejected input.
  void reject(ImportProblem p);

  bool ok() const { return rejected == 0; }
  nlohmann::json to_json() const;
};

}  // namespace ensemble::catalog
