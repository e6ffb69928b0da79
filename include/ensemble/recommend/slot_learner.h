// Slot planning: which slots complete an outfit started from a seed slot, with probabilities
// learnt from the lookbooks (P(slot B present | seed slot A present) over outfit contexts, each
// context weighted by how confidently its products were matched). When a seed slot was seen in
// too few contexts, hand rules stand in for it and say so (source "rules").
//
// A SlotModel is a value; const use is thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ensemble::recommend {

struct SlotCompletion {
  std::string slot;
  double probability = 0;  // P(slot | seed slot)
};

// One row of the table `ensemble slots` prints and the slot_stats table stores.
struct SlotRow {
  std::string seed;
  std::string slot;
  double probability = 0;
  double support = 0;   // confidence-weighted contexts in which the seed slot was seen
  std::string source;   // "learned" | "rules"
};

class SlotModel {
 public:
  // The hand rules alone (docs/RECOMMEND.md, "Slot planning").
  static SlotModel rules();
  // Learns from outfit contexts (slot -> presence in [0, 1]); contexts with fewer than two slots
  // are ignored. Seed slots with support below min_support use the hand rules when the rules know
  // them.
  static SlotModel learn(const std::vector<std::map<std::string, double>>& contexts,
                         double min_support);
  static SlotModel from_rows(const std::vector<SlotRow>& rows);

  // Completions of a seed slot, most probable first (ties in canonical slot order); empty when
  // unknown.
  const std::vector<SlotCompletion>& completions(const std::string& seed) const;
  double probability(const std::string& seed, const std::string& slot) const;
  // "learned", "rules", or "" for an unknown seed slot.
  std::string source(const std::string& seed) const;
  double support(const std::string& seed) const;
  std::vector<SlotRow> rows() const;  // seeds in canonical order
  std::vector<std::string> seeds() const;

 private:
  struct Seed {
    std::vector<SlotCompletion> completions;
    std::string source;
    double support = 0;
  };
  void sort_completions();
  std::map<std::string, Seed> seeds_;
};

}  // namespace ensemble::recommend
