#include "recommend/plain_json.h"

namespace ensemble::recommend {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Reads a string token at text[i] == '"'; on success `i` is past the closing quote.
bool read_plain_string(std::string_view text, size_t& i, std::string_view& out) {
  if (i >= text.size() || text[i] != '"') return false;
  const size_t begin = ++i;
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      out = text.substr(begin, i - begin);
      ++i;
      return true;
    }
    if (c == '\\' || c < 0x20 || c >= 0x80) return false;  // escapes, controls, UTF-8: the library
  }
  return false;
}

// Skips JSON whitespace from `i`.
void skip_space(std::string_view text, size_t& i) {
  while (i < text.size() && is_space(text[i])) ++i;
}

}  // namespace

bool parse_plain_string_object(std::string_view text, std::map<std::string, std::string>& out) {
  out.clear();
  size_t i = 0;
  auto skip = [&] { skip_space(text, i); };
  skip();
  if (i >= text.size() || text[i] != '{') return false;
  ++i;
  skip();
  if (i < text.size() && text[i] == '}') {
    ++i;
  } else {
    for (;;) {
      std::string_view key, value;
      if (!read_plain_string(text, i, key)) return false;
      skip();
      if (i >= text.size() || text[i] != ':') return false;
      ++i;
      skip();
      if (!read_plain_string(text, i, value)) return false;
      out.insert_or_assign(std::string(key), std::string(value));
      skip();
      if (i < text.size() && text[i] == ',') {
        ++i;
        skip();
        continue;
      }
      if (i < text.size() && text[i] == '}') {
        ++i;
        break;
      }
      return false;
    }
  }
  skip();
  return i == text.size();
}

bool parse_plain_string_array(std::string_view text, std::vector<std::string_view>& out) {
  out.clear();
  size_t i = 0;
  skip_space(text, i);
  if (i >= text.size() || text[i] != '[') return false;
  ++i;
  skip_space(text, i);
  if (i < text.size() && text[i] == ']') {
    ++i;
  } else {
    for (;;) {
      std::string_view value;
      if (!read_plain_string(text, i, value)) return false;
      out.push_back(value);
      skip_space(text, i);
      if (i < text.size() && text[i] == ',') {
        ++i;
        skip_space(text, i);
        continue;
      }
      if (i < text.size() && text[i] == ']') {
        ++i;
        break;
      }
      return false;
    }
  }
  skip_space(text, i);
  return i == text.size();
}

}  // namespace ensemble::recommend
