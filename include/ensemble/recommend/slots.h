// Slots: the positions of an outfit (top, bottom, dress, outerwear, shoes, bag, accessory, ...) and
// the editable table that maps product categories onto them.
//
// The built-in table (docs/RECOMMEND.md, "Slots") covers common shop categories; config key
// cooccur.slot_map adds or changes entries ("category=slot", categories lower-cased). A category
// missing from the table is its own slot, so an unknown category never pairs with itself as a
// complement and never silently joins another slot. A SlotTable is a value; const use is
// thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ensemble::recommend {

class SlotTable {
 public:
  // The built-in table.
  SlotTable();
  // The built-in table with entries "category=slot" applied in order. Throws
  // Error(kInvalidArgument) for an entry without '=' or with an empty side.
  static SlotTable with_overrides(const std::vector<std::string>& entries);

  // The slot of a category (lower-cased before lookup); the category itself when unknown.
  std::string slot_of(const std::string& category) const;
  const std::map<std::string, std::string>& entries() const { return *table_; }

 private:
  // Shared and immutable: the built-in table is built once per process, so a SlotTable per
  // request costs a reference count (with_overrides copies it when it has entries).
  std::shared_ptr<const std::map<std::string, std::string>> table_;
};

// The slots of the built-in table in outfit order (top, bottom, dress, outerwear, shoes, bag,
// accessory): the order ties are broken in and outfits are printed in.
const std::vector<std::string>& canonical_slots();
// Position of a slot in canonical_slots(); unknown slots sort after, by name.
int slot_order(const std::string& slot);

}  // namespace ensemble::recommend
