// The recommender: ranked complements for a seed product, and pairwise compatibility for outfits
// and evaluation, from the pairs, the visual neighbours, the learnt attribute affinity, feedback
// and the merchandiser rules (docs/RECOMMEND.md, "Method").
//
// recommend(seed) in ensemble mode:
//   candidates  the seed's own partners (score S(seed, b), "pairs"), and its visual neighbours'
//               partners (score sum_p w_p S(p, b) / sum_p w_p, "neighbours"); up-voted pairs.
//   ranking     lookbook evidence first: candidates with a pair of their own rank before those known
//               only through neighbours; within each tier by
//                 S(seed, b) + neighbour_weight * neighbours(b) + attribute_weight * A(seed, b)
//                 + feedback_boost * net_votes(seed, b).
//               With slot_rounds, within each tier the best candidate of every slot precedes the
//               second best of any slot (an outfit holds one item per slot).
//   filters     merchandiser rules against the seed (rules.h), net-negative feedback (when
//               feedback_drop), diversity caps in list order.
// Reference mode: the seed's partners by raw count (ties by id), nothing else.
//
// Thread-safety: const methods may run concurrently (the stage calls recommend() from threads).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ensemble/config/config.h"
#include "ensemble/recommend/affinity.h"
#include "ensemble/recommend/cooccurrence.h"
#include "ensemble/recommend/evidence.h"
#include "ensemble/recommend/feedback.h"
#include "ensemble/recommend/neighbours.h"
#include "ensemble/recommend/rules.h"
#include "ensemble/recommend/slot_learner.h"

namespace ensemble::recommend {

struct RecommendOptions {
  bool reference = false;
  int per_product = 20;
  double neighbour_weight = 0.5;
  double attribute_weight = 0.1;
  double feedback_boost = 0.25;
  bool feedback_drop = true;
  double slot_threshold = 0.5;
  bool slot_rounds = false;  // interleave slots: the best of each slot before the second of any
  bool with_reasons = true;  // fill Recommendation::reason (the batch job stores evidence only)

  // From the [recommend] section (reference from cooccur.scoring).
  static RecommendOptions from_config(const config::Config& config);
};

struct Recommendation {
  std::int32_t product = 0;
  double score = 0;
  std::string slot;
  std::int32_t support = 0;                // lookbooks behind the evidence
  std::vector<std::int32_t> lookbooks;     // the evidence (lookbook indices)
  std::string source;                      // "pairs" | "neighbours" | "feedback" | "reference"
  std::int32_t via = -1;                   // neighbours: the look-alike whose pair is used
  int feedback = 0;                        // net votes applied
  std::string reason;                      // human-readable
};

// The human-readable reason of a recommendation, from its evidence: "seen together in 3 lookbooks;
// shoes complete a top in 64% of outfits", "looks like p000123, seen with it in 2 lookbooks; ...",
// "recommended by shoppers", plus "; N thumbs up". Queries rebuild it from stored evidence.
std::string describe_recommendation(const Product& seed, const Product& rec,
                                    const std::string& source, std::int32_t support,
                                    const std::string& via, int feedback, const SlotModel& slots);

// What the outfit builder needs from a scorer.
class PairScorer {
 public:
  virtual ~PairScorer() = default;
  // Compatibility of two products (higher is better; 0 = nothing known).
  virtual double compat(std::int32_t a, std::int32_t b) const = 0;
  // Candidate products of `slot` worth trying next to `product`, best first.
  virtual std::vector<std::int32_t> candidates(std::int32_t product, const std::string& slot) const = 0;
};

class Recommender : public PairScorer {
 public:
  // Keeps references to catalog and pairs (they must outlive it); takes the rest by value.
  // lookbook_ids: names of PairTable lookbook indices, for reasons and output.
  Recommender(const Catalog& catalog, const PairTable& pairs, NeighbourGraph neighbours,
              AttributeAffinity affinity, SlotModel slots, MerchRules rules, FeedbackTable feedback,
              RecommendOptions options);

  // Up to k recommendations, best first. Deterministic.
  std::vector<Recommendation> recommend(std::int32_t seed, int k) const;
  // Why a seed has no recommendation (for an empty list).
  std::string empty_reason(std::int32_t seed) const;

  // Symmetric compatibility: S(a,b) + neighbour_weight * (one-sided neighbour terms, averaged)
  // + neighbour_weight^2 * (both sides through neighbours) + attribute_weight * A(a,b)
  // + feedback_boost * net votes. Reference mode: the raw count.
  double compat(std::int32_t a, std::int32_t b) const override;
  std::vector<std::int32_t> candidates(std::int32_t product, const std::string& slot) const override;

  // The pair of a and b, or nullptr.
  const Pair* pair(std::int32_t a, std::int32_t b) const;
  bool has_evidence(std::int32_t p) const { return !adjacency_[static_cast<size_t>(p)].empty(); }

  const Catalog& catalog() const { return catalog_; }
  const SlotModel& slots() const { return slots_; }
  const MerchRules& rules() const { return rules_; }
  const RecommendOptions& options() const { return options_; }
  const NeighbourGraph& neighbours() const { return neighbours_; }
  const FeedbackTable& feedback() const { return feedback_; }

 private:
  struct Edge {
    std::int32_t other;
    std::int32_t pair;  // index into pairs_.pairs
    float score;        // pairs_.pairs[pair].score, here so the neighbour walk reads memory in order
  };
  double score_of(std::int32_t a, std::int32_t b) const;  // S(a,b), 0 when no pair
  double one_sided(std::int32_t a, std::int32_t b) const;  // sum_p w S(p,b) / sum w over N(a)

  const Catalog& catalog_;
  const PairTable& pairs_;
  NeighbourGraph neighbours_;
  AttributeAffinity affinity_;
  SlotModel slots_;
  MerchRules rules_;
  FeedbackTable feedback_;
  RecommendOptions options_;
  std::vector<std::vector<Edge>> adjacency_;  // per product, sorted by other
  std::vector<int> codes_;                    // per product, affinity_.keys() attribute codes
  CompiledRules compiled_;                    // rules_ over catalog_
  double affinity(std::int32_t a, std::int32_t b) const;
};

}  // namespace ensemble::recommend
