// Reading the module's own JSON columns fast (private to the recommend module): products.attributes
// ({"colour":"black","price":"61.95"}), pairs.evidence (["lb0056","lb0073"]) and the stored
// recommendation lists (recommendation_lists.items) are written plain. Catalog::load reads 44,000
// attribute objects and read_pairs 35,000 evidence lists per stage at reference scale, and the
// server reads a list per request; nlohmann's DOM parse was most of that time.
//
// Everything here accepts only strings of printable ASCII without escapes, with JSON whitespace
// anywhere between tokens, and fails on anything else (escapes, non-ASCII, malformed text). The
// callers then parse the text with nlohmann::json, which gives the same result for every text
// accepted here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ensemble::recommend {

// A read position in JSON text. Each call skips whitespace first, consumes the token when it is
// the one asked for and returns true, else returns false: punct, null, number and integer then
// consume nothing more; after a failed string() the position is unspecified.
class PlainJsonCursor {
 public:
  explicit PlainJsonCursor(std::string_view text) : text_(text) {}
  bool punct(char c);                  // one of [ ] { } : ,
  bool string(std::string_view& out);  // a plain string; `out` views the text
  bool null();
  bool number(double& out);            // any JSON number, as nlohmann reads it (correctly rounded)
  bool integer(std::int64_t& out);     // a JSON number without fraction or exponent
  bool string_array(std::vector<std::string_view>& out);  // [ plain strings ] into `out` (cleared)
  bool at_end();                       // only whitespace left

 private:
  void skip_space();
  std::string_view text_;
  size_t i_ = 0;
};

// A JSON object of strings into `out` (cleared first; a later duplicate key wins, as in
// nlohmann::json). On false, `out` is unspecified.
bool parse_plain_string_object(std::string_view text, std::map<std::string, std::string>& out);

// A JSON array of strings into `out` (cleared first): views into `text`. On false, `out` is
// unspecified.
bool parse_plain_string_array(std::string_view text, std::vector<std::string_view>& out);

// A JSON object as a map of strings, values that are not strings as their JSON text (how the
// module reads products.attributes); text that is not an object gives an empty map. The plain form
// is read above, anything else by nlohmann.
std::map<std::string, std::string> read_string_map(std::string_view text);

}  // namespace ensemble::recommend
