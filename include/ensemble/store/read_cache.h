// A connection's memo of values decoded from the store that more than one stage of a process
// reads: the match stage reads every product vector (90 MB at reference scale), and the recommend
// stage of the same `ensemble run` would read them all again.
//
// Contract: an entry is found only under the name, the type and the exact key it was put with.
// The key is the caller's fingerprint of what the value was read from (for product vectors:
// product_vectors_key in product_model.h), computed again at each find, so a changed table means
// another key and a miss, never a stale value. One entry per name: put replaces it. Values are
// immutable once put (shared_ptr<const T>), so a reader may keep one after it is replaced.
//
// Thread-safety: none, like the Database that owns it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <utility>

namespace ensemble::store {

class ReadCache {
 public:
  // The value put under `name` with this key and type, or nullptr.
  template <typename T>
  std::shared_ptr<const T> find(const std::string& name, const std::string& key) const {
    const auto it = entries_.find(name);
    if (it == entries_.end() || it->second.key != key || it->second.type != std::type_index(typeid(T))) {
      return nullptr;
    }
    return std::static_pointer_cast<const T>(it->second.value);
  }

  template <typename T>
  void put(const std::string& name, std::string key, std::shared_ptr<const T> value) {
    entries_.insert_or_assign(name, Entry{std::move(key), std::type_index(typeid(T)), std::move(value)});
  }

  void clear() { entries_.clear(); }

 private:
  struct Entry {
    std::string key;
    std::type_index type;
    std::shared_ptr<const void> value;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace ensemble::store
