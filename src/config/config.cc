#include "ensemble/config/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"

namespace ensemble::config {
namespace {

const KeySpec* find_spec(const std::string& key) {
  for (const auto& s : schema()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

[[noreturn]] void unknown_key(const std::string& key, const std::string& where) {
  std::string best;
  size_t best_d = 4;
  for (const auto& s : schema()) {
    const size_t d = edit_distance(key, s.key);
    if (d < best_d) {
      best_d = d;
      best = s.key;
    }
  }
  std::string msg = where + "unknown config key '" + key + "'";
  if (!best.empty()) msg += " (did you mean '" + best + "'?)";
  throw Error(ErrorCode::kInvalidArgument, msg);
}

std::string type_name(ValueType t) {
  switch (t) {
    case ValueType::kBool: return "a boolean";
    case ValueType::kInt: return "an integer";
    case ValueType::kDouble: return "a number";
    case ValueType::kString: return "a string";
    case ValueType::kStringList: return "a list of strings";
  }
  return "?";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void validate(const KeySpec& spec, const Value& v, const std::string& where) {
  auto bad = [&](const std::string& why) {
    throw Error(ErrorCode::kInvalidArgument, where + "config key '" + spec.key + "': " + why);
  };
  const bool ranged = !(spec.min == 0 && spec.max == 0);
  if (spec.type == ValueType::kInt) {
    const auto x = std::get<std::int64_t>(v);
    if (ranged && (x < spec.min || x > spec.max)) {
      std::ostringstream os;
      os << x << " is outside [" << spec.min << ", " << spec.max << "]";
      bad(os.str());
    }
  } else if (spec.type == ValueType::kDouble) {
    const double x = std::get<double>(v);
    if (!std::isfinite(x) || (ranged && (x < spec.min || x > spec.max))) {
      std::ostringstream os;
      os << x << " is outside [" << spec.min << ", " << spec.max << "]";
      bad(os.str());
    }
  } else if (spec.type == ValueType::kString && !spec.choices.empty()) {
    const auto& s = std::get<std::string>(v);
    if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
      bad("'" + s + "' is not one of: " + join(spec.choices));
    }
  } else if (spec.type == ValueType::kStringList && !spec.choices.empty()) {
    for (const auto& s : std::get<std::vector<std::string>>(v)) {
      if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
        bad("'" + s + "' is not one of: " + join(spec.choices));
      }
    }
  }
}

Value from_toml_node(const KeySpec& spec, const toml::node& node, const std::string& where) {
  auto bad_type = [&]() -> Value {
    throw Error(ErrorCode::kInvalidArgument,
                where + "config key '" + spec.key + "' must be " + type_name(spec.type));
  };
  switch (spec.type) {
    case ValueType::kBool:
      if (auto b = node.value_exact<bool>()) return *b;
      return bad_type();
    case ValueType::kInt:
      if (auto i = node.value_exact<std::int64_t>()) return *i;
      return bad_type();
    case ValueType::kDouble:
      if (node.is_floating_point()) return *node.value<double>();
      if (node.is_integer()) return static_cast<double>(*node.value<std::int64_t>());
      return bad_type();
    case ValueType::kString:
      if (auto s = node.value_exact<std::string>()) return *s;
      return bad_type();
    case ValueType::kStringList: {
      const auto* arr = node.as_array();
      if (arr == nullptr) return bad_type();
      std::vector<std::string> out;
      for (const auto& el : *arr) {
        auto s = el.value_exact<std::string>();
        if (!s) return bad_type();
        out.push_back(*s);
      }
      return out;
    }
  }
  return bad_type();
}

Value from_text(const KeySpec& spec, const std::string& text) {
  auto bad = [&]() -> Value {
    throw Error(ErrorCode::kInvalidArgument, "config key '" + spec.key + "': cannot read '" +
                                                 text + "' as " + type_name(spec.type));
  };
  switch (spec.type) {
    case ValueType::kBool:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      return bad();
    case ValueType::kInt: {
      size_t pos = 0;
      try {
        const long long v = std::stoll(text, &pos);
        if (pos != text.size()) return bad();
        return static_cast<std::int64_t>(v);
      } catch (...) {
        return bad();
      }
    }
    case ValueType::kDouble: {
      size_t pos = 0;
      try {
        const double v = std::stod(text, &pos);
        if (pos != text.size()) return bad();
        return v;
      } catch (...) {
        return bad();
      }
    }
    case ValueType::kString: return text;
    case ValueType::kStringList: {
      std::vector<std::string> out;
      std::stringstream ss(text);
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (!item.empty()) out.push_back(item);
      }
      return out;
    }
  }
  return bad();
}

nlohmann::json to_json_value(const Value& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

std::string toml_literal(const Value& v) {
  struct V {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      std::ostringstream os;
      os << d;
      std::string s = os.str();
      if (s.find_first_of(".eE") == std::string::npos) s += ".0";
      return s;
    }
    std::string operator()(const std::string& s) const { return nlohmann::json(s).dump(); }
    std::string operator()(const std::vector<std::string>& l) const {
      return nlohmann::json(l).dump();
    }
  };
  std::string s = std::visit(V{}, v);
  if (std::holds_alternative<std::vector<std::string>>(v)) {
    // nlohmann writes ["a","b"]; TOML accepts that, add spaces for readability.
    std::string out;
    for (char c : s) {
      out += c;
      if (c == ',') out += ' ';
    }
    s = out;
  }
  return s;
}

}  // namespace

Config::Config() {
  for (const auto& s : schema()) values_[s.key] = s.default_value;
}

Config Config::from_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::kNotFound, "config file not found: " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return from_toml_string(ss.str(), path.string());
}

Config Config::from_toml_string(const std::string& text, const std::string& source_name) {
  Config cfg;
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << source_name << ":" << e.source().begin.line << ":" << e.source().begin.column
       << ": TOML syntax error: " << e.description();
    throw Error(ErrorCode::kInvalidArgument, os.str());
  }
  for (const auto& [section, node] : root) {
    const std::string sec(section.str());
    const auto* table = node.as_table();
    if (table == nullptr) unknown_key(sec, source_name + ": ");
    for (const auto& [name, value] : *table) {
      const std::string key = sec + "." + std::string(name.str());
      const KeySpec* spec = find_spec(key);
      const std::string where =
          source_name + ":" + std::to_string(value.source().begin.line) + ": ";
      if (spec == nullptr) unknown_key(key, where);
      Value v = from_toml_node(*spec, value, where);
      validate(*spec, v, where);
      cfg.values_[key] = std::move(v);
    }
  }
  return cfg;
}

void Config::set_override(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos) {
    throw Error(ErrorCode::kInvalidArgument,
                "override '" + assignment + "' must look like section.key=value");
  }
  const std::string key = assignment.substr(0, eq);
  const KeySpec* spec = find_spec(key);
  if (spec == nullptr) unknown_key(key, "--set: ");
  Value v = from_text(*spec, assignment.substr(eq + 1));
  validate(*spec, v, "--set: ");
  values_[key] = std::move(v);
}

void Config::set(const std::string& key, Value value) {
  const KeySpec* spec = find_spec(key);
  if (spec == nullptr) unknown_key(key, "");
  if (value.index() != spec->default_value.index()) {
    throw Error(ErrorCode::kInvalidArgument,
                "config key '" + key + "' must be " + type_name(spec->type));
  }
  validate(*spec, value, "");
  values_[key] = std::move(value);
}

const Value& Config::get(const std::string& key, ValueType type) const {
  const auto it = values_.find(key);
  const KeySpec* spec = find_spec(key);
  // Asking for an undeclared key or the wrong type is a programming error, not user input.
  if (it == values_.end() || spec == nullptr || spec->type != type) {
    throw Error(ErrorCode::kInternal, "config key '" + key + "' read with the wrong type");
  }
  return it->second;
}

bool Config::get_bool(const std::string& key) const {
  return std::get<bool>(get(key, ValueType::kBool));
}
std::int64_t Config::get_int(const std::string& key) const {
  return std::get<std::int64_t>(get(key, ValueType::kInt));
}
double Config::get_double(const std::string& key) const {
  return std::get<double>(get(key, ValueType::kDouble));
}
const std::string& Config::get_string(const std::string& key) const {
  return std::get<std::string>(get(key, ValueType::kString));
}
const std::vector<std::string>& Config::get_list(const std::string& key) const {
  return std::get<std::vector<std::string>>(get(key, ValueType::kStringList));
}

nlohmann::json Config::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : values_) {
    const auto dot = key.find('.');
    out[key.substr(0, dot)][key.substr(dot + 1)] = to_json_value(value);
  }
  return out;
}

nlohmann::json Config::section_json(const std::string& section) const {
  const nlohmann::json all = to_json();
  return all.contains(section) ? all.at(section) : nlohmann::json::object();
}

std::string Config::hash() const { return sha256_hex(to_json().dump()); }

std::string default_config_toml() {
  std::ostringstream os;
  os << "# Ensemble pipeline configuration (written by `ensemble init`).\n"
        "# Every key is optional: a missing key takes the default shown here. Unknown keys are\n"
        "# errors. Command-line `--set section.key=value` overrides this file. Each run stores the\n"
        "# effective configuration and its hash in the runs table (lineage).\n";
  std::string current;
  for (const auto& s : schema()) {
    const auto dot = s.key.find('.');
    const std::string section = s.key.substr(0, dot);
    if (section != current) {
      os << "\n[" << section << "]\n";
      current = section;
    }
    os << "# " << s.help;
    if (!s.choices.empty()) os << " (one of: " << join(s.choices) << ")";
    os << "\n" << s.key.substr(dot + 1) << " = " << toml_literal(s.default_value) << "\n";
  }
  return os.str();
}

}  // namespace ensemble::config
