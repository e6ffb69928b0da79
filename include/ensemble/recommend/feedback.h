// Feedback: thumbs up (+1) / down (-1) on a pair of products, by user, stored in the `feedback`
// table. A user's latest vote on a pair counts (changing one's mind replaces the vote); a pair's
// net vote is the sum over users. The recommend stage applies every vote; queries apply the votes
// recorded after the last recommend run on top of the stored lists, so feedback shows immediately.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "ensemble/recommend/evidence.h"
#include "ensemble/store/database.h"

namespace ensemble::recommend {

class FeedbackTable {
 public:
  // Pair votes with id > after_id; votes naming unknown products are skipped.
  static FeedbackTable load(store::Database& db, const Catalog& catalog, std::int64_t after_id = 0);

  // Records a vote (+1 / -1) of `user` on the unordered pair {a, b}; replaces that user's vote.
  void add(std::int32_t a, std::int32_t b, const std::string& user, int vote);
  // Net vote of the unordered pair (0 when none).
  int net(std::int32_t a, std::int32_t b) const;
  // Every pair with a non-zero net vote, keyed (min, max).
  std::map<std::pair<std::int32_t, std::int32_t>, int> nets() const;
  // Pairs with a net vote involving `product`: other product -> net.
  std::map<std::int32_t, int> of(std::int32_t product) const;
  std::int64_t last_id() const { return last_id_; }
  bool empty() const { return votes_.empty(); }

 private:
  std::map<std::pair<std::int32_t, std::int32_t>, std::map<std::string, int>> votes_;
  std::int64_t last_id_ = 0;
};

struct FeedbackInput {
  std::string product;
  std::string other;
  int vote = 0;           // +1 or -1
  std::string user;       // may be empty (anonymous)
  std::string note;       // optional
  std::string target = "pair";  // "pair" | "outfit"
};

// Validates and stores a vote; returns its id. Throws Error(kInvalidArgument) for a vote other than
// +1/-1 or a product paired with itself, Error(kNotFound) naming an unknown product, and
// Error(kBadInput) when the pair is unknown: neither seen together (pairs) nor ever recommended
// (recommendations), so there is nothing to give feedback on.
std::int64_t record_feedback(store::Database& db, const FeedbackInput& input);

}  // namespace ensemble::recommend
