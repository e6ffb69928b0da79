#include "ensemble/catalog/csv_reader.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ensemble::catalog {
namespace {

std::vector<CsvRow> read_all(const std::string& text, size_t max_field = 1 << 20) {
  std::istringstream in(text);
  CsvReader reader(in, max_field);
  std::vector<CsvRow> rows;
  CsvRow row;
  while (reader.next(row)) rows.push_back(row);
  return rows;
}

TEST(CsvReader, SplitsPlainRows) {
  const auto rows = read_all("a,b,c\n1,2,3\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(rows[1].line, 2);
}

TEST(CsvReader, HandlesRfc4180Quoting) {
  const auto rows = read_all("id,title\r\np1,\"Shirt, slim fit\"\r\np2,\"The \"\"best\"\" coat\"\r\n"
                             "p3,\"two\nlines\"\np4,\n");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[1].fields[1], "Shirt, slim fit");
  EXPECT_EQ(rows[2].fields[1], "The \"best\" coat");
  EXPECT_EQ(rows[3].fields[1], "two\nlines");
  EXPECT_EQ(rows[4].line, 6);  // line numbers count the embedded newline
  EXPECT_EQ(rows[4].fields, (std::vector<std::string>{"p4", ""}));
}

TEST(CsvReader, SkipsBomAndBlankLinesAndReadsLastRowWithoutNewline) {
  const auto rows = read_all("\xEF\xBB\xBFid,x\n\n1,2");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields[0], "id");
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(rows[1].line, 3);
}

TEST(CsvReader, ReportsUnterminatedQuote) {
  const auto rows = read_all("a,b\n1,\"oops\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[1].error.find("unterminated"), std::string::npos);
}

TEST(CsvReader, BoundsFieldLengthAndRecovers) {
  const auto rows = read_all("a,b\n1," + std::string(100, 'x') + "\n2,ok\n", 50);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(rows[1].error.find("longer than 50"), std::string::npos);
  EXPECT_TRUE(rows[2].error.empty());
  EXPECT_EQ(rows[2].fields[1], "ok");
}

TEST(Utf8, AcceptsValidRejectsInvalid) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x91\x97"));
  EXPECT_FALSE(is_valid_utf8("caf\xE9"));         // Latin-1 é
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));        // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));    // surrogate
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));        // truncated
}

}  // namespace
}  // namespace ensemble::catalog
