#include "ensemble/recommend/slots.h"

#include <algorithm>
#include <cctype>

#include "ensemble/util/error.h"

namespace ensemble::recommend {

namespace {

std::string lower_trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  std::string out = s.substr(b, e - b);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

SlotTable::SlotTable() {
  static const auto kTable = [] {
    const std::vector<std::pair<std::string, std::vector<std::string>>> kBuiltIn = {
        {"top", {"t-shirt", "tshirt", "t shirt", "top", "shirt", "blouse", "pullover", "sweater",
                 "jumper", "cardigan", "hoodie", "sweatshirt", "tank top", "polo", "tunic"}},
        {"bottom", {"trousers", "pants", "jeans", "shorts", "skirt", "leggings", "chinos"}},
        {"dress", {"dress", "jumpsuit", "playsuit", "gown"}},
        {"outerwear", {"coat", "jacket", "blazer", "parka", "trench coat", "anorak", "vest"}},
        {"shoes", {"sandals", "sneakers", "ankle boots", "boots", "shoes", "heels", "pumps",
                   "loafers", "trainers", "flats"}},
        {"bag", {"bag", "handbag", "backpack", "clutch", "tote", "purse"}},
        {"accessory", {"watch", "belt", "sunglasses", "hat", "cap", "beanie", "scarf", "necklace",
                       "bracelet", "earrings", "jewellery", "jewelry", "gloves", "tie"}},
    };
    auto table = std::make_shared<std::map<std::string, std::string>>();
    for (const auto& [slot, cats] : kBuiltIn) {
      for (const auto& c : cats) (*table)[c] = slot;
    }
    return std::shared_ptr<const std::map<std::string, std::string>>(std::move(table));
  }();
  table_ = kTable;
}

SlotTable SlotTable::with_overrides(const std::vector<std::string>& entries) {
  SlotTable t;
  if (entries.empty()) return t;
  auto table = std::make_shared<std::map<std::string, std::string>>(*t.table_);
  for (const auto& e : entries) {
    const auto eq = e.find('=');
    const std::string cat = eq == std::string::npos ? "" : lower_trim(e.substr(0, eq));
    const std::string slot = eq == std::string::npos ? "" : lower_trim(e.substr(eq + 1));
    if (cat.empty() || slot.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "slot map entry '" + e + "' must look like category=slot");
    }
    (*table)[cat] = slot;
  }
  t.table_ = std::move(table);
  return t;
}

std::string SlotTable::slot_of(const std::string& category) const {
  const std::string c = lower_trim(category);
  const auto it = table_->find(c);
  return it == table_->end() ? c : it->second;
}

const std::vector<std::string>& canonical_slots() {
  static const std::vector<std::string> kSlots = {"top",  "bottom", "dress",    "outerwear",
                                                  "shoes", "bag",   "accessory"};
  return kSlots;
}

int slot_order(const std::string& slot) {
  const auto& s = canonical_slots();
  const auto it = std::find(s.begin(), s.end(), slot);
  return it == s.end() ? static_cast<int>(s.size()) : static_cast<int>(it - s.begin());
}

}  // namespace ensemble::recommend
