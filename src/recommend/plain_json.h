// Reading the module's own JSON columns fast (private to the recommend module): products.attributes
// ({"colour":"black","price":"61.95"}) and pairs.evidence (["lb0056","lb0073"]) are nearly always
// flat and plain. Catalog::load reads 44,000 attribute objects and read_pairs 35,000 evidence lists
// per stage at reference scale; nlohmann's DOM parse was most of that time.
//
// Each function accepts only text whose strings are printable ASCII without escapes, with JSON
// whitespace anywhere between tokens, and returns false for anything else (escapes, non-ASCII,
// numbers, null, nesting, malformed text). The caller then parses the text with nlohmann::json,
// which gives the same result for every text these functions accept.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ensemble::recommend {

// A JSON object of strings into `out` (cleared first; a later duplicate key wins, as in
// nlohmann::json). On false, `out` is unspecified.
bool parse_plain_string_object(std::string_view text, std::map<std::string, std::string>& out);

// A JSON array of strings into `out` (cleared first): views into `text`. On false, `out` is
// unspecified.
bool parse_plain_string_array(std::string_view text, std::vector<std::string_view>& out);

}  // namespace ensemble::recommend
