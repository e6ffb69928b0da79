// Co-occurrence: which products were worn together, and how strongly that says they pair well.
//
// Two modes (cooccur.scoring; docs/RECOMMEND.md has the method and the measurements):
//
//   reference  The reference design: every product matched to any region of a lookbook counts as
//              present; all pairs of present products are counted once per lookbook (raw counts);
//              products whose co-occurrence total exceeds the 75th percentile + 2 standard
//              deviations are dropped ("outliers"). Score = count.
//   ensemble   Pairs only products assigned to *different* regions of the *same* outfit context (two
//              people in one photo do not pair; two look-alike products matched to one region are
//              substitutes, not complements; regions whose boxes mostly coincide are one garment),
//              of different slots (unless a layering rule allows the category pair). Each
//              region-product assignment has a confidence (softmax of the region's match scores,
//              discounted when the match is not mutual); a pair's weight in a lookbook is the best
//              product of its two confidences, counted once per lookbook. The score is an
//              association measure over the weighted counts (cooccur.association), times
//              weight/(weight + shrinkage).
//
// Thread-safety: pure functions over const inputs.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/config/config.h"
#include "ensemble/recommend/evidence.h"

namespace ensemble::recommend {

enum class Association { kCosine, kNpmi, kObsExp, kLift, kCount };

// "cosine" | "npmi" | "obs_exp" | "lift" | "count". Throws Error(kInvalidArgument) otherwise.
Association association_from_string(const std::string& name);
std::string to_string(Association a);

// The association of a pair from weighted counts: co = pair co-occurrence, na and nb = each
// product's occurrence, n = number of transactions (lookbooks). REQUIRES: 0 < co <= min(na, nb),
// max(na, nb) <= n.
//   cosine  co / sqrt(na nb)                          in (0, 1]
//   npmi    log(co n / (na nb)) / -log(co / n)        in [-1, 1]; 1 when co = n
//   obs_exp (co - E) / sqrt(E), E = na nb / n         (observed vs expected, Amazon-style)
//   lift    co n / (na nb)
//   count   co
double association_score(Association a, double co, double na, double nb, double n);

struct PairOptions {
  bool reference = false;
  Association association = Association::kCosine;
  int min_support = 1;                // lookbooks
  double shrinkage = 0.5;             // score *= weight / (weight + shrinkage); 0 = off
  double match_temperature = 0.02;    // softmax over a region's match scores
  double mutual_factor = 1.0;         // confidence multiplier for non-mutual matches (1 = off)
  double min_weight = 0.05;           // assignments below this confidence are ignored
  double same_garment_overlap = 0.5;  // box IoU at which two regions are one garment; > 1 disables
  bool region_gate = true;            // discount regions that match nothing well (see region_gates)
  double outlier_percentile = 0.75;   // reference popularity cut...
  double outlier_std = 2.0;           // ...plus this many standard deviations
  // Category pairs (stored with first < second) allowed together in one slot (layering).
  std::set<std::pair<std::string, std::string>> layering;

  // From the [cooccur] section (and recommend.layering).
  static PairOptions from_config(const config::Config& config);
};

// Parses "a|b" entries into ordered pairs (lower-cased). Throws Error(kInvalidArgument).
std::set<std::pair<std::string, std::string>> parse_pair_list(const std::vector<std::string>& items,
                                                              const std::string& key);

struct Assignment {
  std::int32_t product;
  float weight;  // confidence in (0, 1]
};

// How much each region looks like a garment at all, in [0, 1]: regions whose best match score is
// low (background, skin, clutter: they match nothing well) are discounted. The threshold is Otsu's
// split of all regions' best scores (data-driven, no absolute cosine assumed); the gate is a
// logistic around it with a width of a tenth of the 10th-90th percentile spread. All 1 when
// options.region_gate is off, there are fewer than 8 regions with matches, or their best scores
// are all equal.
std::vector<float> region_gates(const MatchEvidence& evidence, const PairOptions& options);

// Otsu's threshold of a set of values (maximises the between-class variance of a 64-bin
// histogram). Returns the lowest value when all are equal.
double otsu_threshold(const std::vector<double>& values);

// The products a region shows, with confidences (ensemble mode): softmax over the region's match
// scores with match_temperature, times mutual_factor when the region is not among the product's
// best regions (only when the evidence has product_to_region rows at all), times the region's
// gate; below min_weight dropped. Ordered by weight, descending.
std::vector<Assignment> assign_region(const MatchEvidence& evidence, std::int32_t region,
                                      const PairOptions& options, float gate = 1.0f);

struct Pair {
  std::int32_t a = 0, b = 0;   // catalog indices, a < b
  std::int32_t count = 0;      // lookbooks in which they were seen together
  float weight = 0;            // confidence-weighted count (reference: = count)
  float score = 0;             // the ranking score
  std::uint32_t evidence_begin = 0;  // into PairTable::evidence: `count` lookbook indices
};

struct PairTable {
  std::string scoring;                      // "ensemble" | "reference"
  std::vector<Pair> pairs;                  // sorted by (a, b)
  std::vector<std::int32_t> evidence;       // lookbook indices, per pair ascending
  std::vector<std::string> lookbook_ids;    // lookbook index -> lookbook id
  std::vector<float> occurrence;            // per product: weighted lookbooks it was seen in
  std::int32_t lookbooks = 0;               // lookbooks with any evidence (n)
  std::vector<std::int32_t> outliers;       // reference: products cut by the popularity rule
  double outlier_threshold = 0;             // reference: the cut applied to co-occurrence totals
  // Per outfit context: slot -> presence in [0, 1] (for the slot learner).
  std::vector<std::map<std::string, double>> contexts;
  nlohmann::json stats = nlohmann::json::object();

  // The lookbooks of a pair.
  std::vector<std::int32_t> lookbooks_of(const Pair& p) const {
    return {evidence.begin() + p.evidence_begin, evidence.begin() + p.evidence_begin + p.count};
  }
};

PairTable generate_pairs(const Catalog& catalog, const MatchEvidence& evidence,
                         const PairOptions& options);

// Linear-interpolated percentile (p in [0, 1]) of values (the numpy default). 0 when empty.
double percentile(std::vector<double> values, double p);
// The reference popularity rule: indices i with values[i] > percentile(p) + k * stddev (population).
// *threshold receives the cut when not null.
std::vector<std::int32_t> outlier_indices(const std::vector<double>& values, double p, double k,
                                          double* threshold = nullptr);

}  // namespace ensemble::recommend
