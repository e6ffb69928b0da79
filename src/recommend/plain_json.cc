#include "recommend/plain_json.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace ensemble::recommend {

void PlainJsonCursor::skip_space() {
  while (i_ < text_.size() && (text_[i_] == ' ' || text_[i_] == '\t' || text_[i_] == '\n' || text_[i_] == '\r')) {
    ++i_;
  }
}

bool PlainJsonCursor::punct(char c) {
  skip_space();
  if (i_ >= text_.size() || text_[i_] != c) return false;
  ++i_;
  return true;
}

bool PlainJsonCursor::string(std::string_view& out) {
  skip_space();
  if (i_ >= text_.size() || text_[i_] != '"') return false;
  const size_t begin = ++i_;
  for (; i_ < text_.size(); ++i_) {
    const auto c = static_cast<unsigned char>(text_[i_]);
    if (c == '"') {
      out = text_.substr(begin, i_ - begin);
      ++i_;
      return true;
    }
    if (c == '\\' || c < 0x20 || c >= 0x80) return false;  // escapes, controls, UTF-8: the library
  }
  return false;
}

bool PlainJsonCursor::null() {
  skip_space();
  if (text_.substr(i_, 4) != "null") return false;
  i_ += 4;
  return true;
}

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

// JSON's number grammar (from_chars alone would also take "01", ".5", "1." or "inf").
bool PlainJsonCursor::number(double& out) {
  skip_space();
  const size_t begin = i_;
  size_t j = i_;
  if (j < text_.size() && text_[j] == '-') ++j;
  if (j >= text_.size() || !is_digit(text_[j])) return false;
  if (text_[j] == '0') {
    ++j;
  } else {
    while (j < text_.size() && is_digit(text_[j])) ++j;
  }
  if (j < text_.size() && text_[j] == '.') {
    ++j;
    if (j >= text_.size() || !is_digit(text_[j])) return false;
    while (j < text_.size() && is_digit(text_[j])) ++j;
  }
  if (j < text_.size() && (text_[j] == 'e' || text_[j] == 'E')) {
    ++j;
    if (j < text_.size() && (text_[j] == '+' || text_[j] == '-')) ++j;
    if (j >= text_.size() || !is_digit(text_[j])) return false;
    while (j < text_.size() && is_digit(text_[j])) ++j;
  }
  const auto r = std::from_chars(text_.data() + begin, text_.data() + j, out);
  if (r.ec != std::errc() || r.ptr != text_.data() + j || !std::isfinite(out)) return false;
  i_ = j;
  return true;
}

bool PlainJsonCursor::integer(std::int64_t& out) {
  skip_space();
  size_t j = i_;
  if (j < text_.size() && text_[j] == '-') ++j;
  if (j >= text_.size() || !is_digit(text_[j])) return false;
  if (text_[j] == '0' && j + 1 < text_.size() && is_digit(text_[j + 1])) return false;
  while (j < text_.size() && is_digit(text_[j])) ++j;
  if (j < text_.size() && (text_[j] == '.' || text_[j] == 'e' || text_[j] == 'E')) return false;
  const auto r = std::from_chars(text_.data() + i_, text_.data() + j, out);
  if (r.ec != std::errc() || r.ptr != text_.data() + j) return false;
  i_ = j;
  return true;
}

bool PlainJsonCursor::at_end() {
  skip_space();
  return i_ == text_.size();
}

bool parse_plain_string_object(std::string_view text, std::map<std::string, std::string>& out) {
  out.clear();
  PlainJsonCursor c(text);
  if (!c.punct('{')) return false;
  if (!c.punct('}')) {
    do {
      std::string_view key, value;
      if (!c.string(key) || !c.punct(':') || !c.string(value)) return false;
      out.insert_or_assign(std::string(key), std::string(value));
    } while (c.punct(','));
    if (!c.punct('}')) return false;
  }
  return c.at_end();
}

bool PlainJsonCursor::string_array(std::vector<std::string_view>& out) {
  out.clear();
  if (!punct('[')) return false;
  if (punct(']')) return true;
  do {
    std::string_view value;
    if (!string(value)) return false;
    out.push_back(value);
  } while (punct(','));
  return punct(']');
}

bool parse_plain_string_array(std::string_view text, std::vector<std::string_view>& out) {
  PlainJsonCursor c(text);
  return c.string_array(out) && c.at_end();
}

std::map<std::string, std::string> read_string_map(std::string_view text) {
  std::map<std::string, std::string> out;
  if (parse_plain_string_object(text, out)) return out;
  out.clear();
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

}  // namespace ensemble::recommend
