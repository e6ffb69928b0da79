#include "ensemble/catalog/csv_reader.h"

namespace ensemble::catalog {

CsvReader::CsvReader(std::istream& in, std::size_t max_field_bytes)
    : in_(in), max_field_bytes_(max_field_bytes) {}

int CsvReader::get() {
  const int c = in_.get();
  if (c == '\n') ++line_;
  return c;
}

bool CsvReader::next(CsvRow& row) {
  if (!started_) {
    started_ = true;
    if (in_.peek() == 0xEF) {
      char bom[3] = {0, 0, 0};
      in_.read(bom, 3);
      // A short file ("\xEF" alone) reads fewer than 3 bytes: never look at the unread ones.
      if (in_.gcount() != 3 || !(static_cast<unsigned char>(bom[1]) == 0xBB &&
                                 static_cast<unsigned char>(bom[2]) == 0xBF)) {
        in_.clear();
        in_.seekg(0);
      }
    }
  }
  for (;;) {
    row.fields.clear();
    row.error.clear();
    row.line = line_;
    if (in_.peek() == std::char_traits<char>::eof()) return false;

    std::string field;
    bool field_too_long = false;
    bool in_quotes = false;
    bool was_quoted = false;
    bool row_done = false;
    bool any_content = false;
    auto push_char = [&](char ch) {
      if (field.size() >= max_field_bytes_) {
        field_too_long = true;
        return;
      }
      field.push_back(ch);
    };
    auto end_field = [&]() {
      row.fields.push_back(field_too_long ? std::string() : std::move(field));
      field.clear();
      was_quoted = false;
    };
    while (!row_done) {
      const int c = get();
      if (c == std::char_traits<char>::eof()) {
        if (in_quotes) row.error = "unterminated quoted field";
        end_field();
        row_done = true;
        break;
      }
      any_content = true;
      const char ch = static_cast<char>(c);
      if (in_quotes) {
        if (ch == '"') {
          if (in_.peek() == '"') {
            get();
            push_char('"');
          } else {
            in_quotes = false;
          }
        } else {
          push_char(ch);
        }
        continue;
      }
      switch (ch) {
        case '"':
          if (field.empty() && !was_quoted) {
            in_quotes = true;
            was_quoted = true;
          } else {
            push_char(ch);  // a stray quote inside an unquoted field is kept literally
          }
          break;
        case ',': end_field(); break;
        case '\r':
          if (in_.peek() == '\n') {
            get();
          } else {
            ++line_;  // a lone CR (old Mac line end) also ends a line
          }
          end_field();
          row_done = true;
          break;
        case '\n':
          end_field();
          row_done = true;
          break;
        default: push_char(ch);
      }
    }
    if (field_too_long && row.error.empty()) {
      row.error = "a field is longer than " + std::to_string(max_field_bytes_) + " bytes";
    }
    const bool blank = row.fields.size() == 1 && row.fields[0].empty() && row.error.empty();
    if (blank && any_content) continue;  // skip blank lines
    if (blank) return false;
    return true;
  }
}

bool is_valid_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    size_t len;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c >> 5) == 0x6) {
      len = 2;
      if (c < 0xC2) return false;
    } else if ((c >> 4) == 0xE) {
      len = 3;
    } else if ((c >> 3) == 0x1E && c <= 0xF4) {
      len = 4;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] >> 6) != 0x2) return false;
    }
    if (len == 3) {
      const unsigned cp = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
      if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    } else if (len == 4) {
      const unsigned cp = ((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) |
                          ((p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
      if (cp < 0x10000 || cp > 0x10FFFF) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace ensemble::catalog
