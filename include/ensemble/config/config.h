// The pipeline configuration: one file (TOML) describes backends, thresholds, stages and resources.
//
// Every key is declared once in the schema (src/config/config_schema.cc) with its type, default,
// valid range and a one-line description. That single table drives:
//   - parsing ensemble.toml: an unknown key or a wrong type/range is an Error(kInvalidArgument) that
//     names the key (and the closest known key when it looks like a typo);
//   - CLI overrides `--set section.key=value`, validated the same way;
//   - `ensemble init`, which writes the commented default file;
//   - lineage: to_json() is the effective config and hash() its SHA-256, stored with every run.
// A Config is a value type; const access is thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ensemble::config {

using Value = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>>;

enum class ValueType { kBool, kInt, kDouble, kString, kStringList };

struct KeySpec {
  std::string key;          // "section.name"
  ValueType type;
  Value default_value;
  double min = 0, max = 0;  // inclusive range for numbers; ignored when min == max == 0
  std::vector<std::string> choices;  // allowed strings (for a string list: allowed items); empty = any
  std::string help;
};

// All known keys, in file order.
const std::vector<KeySpec>& schema();

class Config {
 public:
  // The defaults of every key.
  Config();

  // Parses a TOML file over the defaults. Throws Error(kNotFound) if missing, Error(kInvalidArgument)
  // naming the key for unknown keys and bad values, and for TOML syntax errors (with line/column).
  static Config from_file(const std::filesystem::path& path);
  static Config from_toml_string(const std::string& text, const std::string& source_name = "config");

  // Applies "section.key=value" (value parsed according to the key's type; lists comma-separated).
  void set_override(const std::string& assignment);
  void set(const std::string& key, Value value);

  bool get_bool(const std::string& key) const;
  std::int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  const std::vector<std::string>& get_list(const std::string& key) const;

  // The effective configuration, keys sorted, as JSON {"section": {"key": value}}.
  nlohmann::json to_json() const;
  // SHA-256 (hex) of to_json().dump(): identical settings give identical hashes.
  std::string hash() const;
  // The JSON of one section only (e.g. "segment"), for stage-specific lineage and fingerprints.
  nlohmann::json section_json(const std::string& section) const;

 private:
  const Value& get(const std::string& key, ValueType type) const;
  std::map<std::string, Value> values_;
};

// The commented default ensemble.toml written by `ensemble init`.
std::string default_config_toml();

}  // namespace ensemble::config
