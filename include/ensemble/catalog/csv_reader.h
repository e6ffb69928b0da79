// A streaming RFC 4180 CSV reader: quoted fields may hold commas, doubled quotes and newlines;
// CRLF or LF line ends; a UTF-8 byte-order mark at the start is skipped.
//
// Memory is bounded by the longest row: a field over max_field_bytes is not kept; the row is
// reported (Row::error) and reading continues with the next row. Not thread-safe.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace ensemble::catalog {

struct CsvRow {
  std::vector<std::string> fields;
  std::int64_t line = 0;  // 1-based line where the row starts
  std::string error;      // non-empty: the row is malformed (field too long, unterminated quote)
};

class CsvReader {
 public:
  explicit CsvReader(std::istream& in, std::size_t max_field_bytes = 1 << 20);
  // Reads the next row into row; false at end of input. Blank lines are skipped.
  bool next(CsvRow& row);

 private:
  int get();
  std::istream& in_;
  std::size_t max_field_bytes_;
  std::int64_t line_ = 1;
  bool started_ = false;
};

// True when s is valid UTF-8.
bool is_valid_utf8(const std::string& s);

}  // namespace ensemble::catalog
