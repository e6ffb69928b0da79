#include "recommend/plain_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace ensemble::recommend {
namespace {

using Map = std::map<std::string, std::string>;

Map parse(std::string_view text, bool* accepted) {
  Map m;
  *accepted = parse_plain_string_object(text, m);
  return m;
}

// What Catalog::load made of the text with nlohmann alone (values that are not strings as JSON).
std::optional<Map> library(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  Map m;
  for (const auto& [k, v] : j.items()) m[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return m;
}

TEST(PlainJson, ReadsPlainObjects) {
  bool ok = false;
  EXPECT_EQ(parse(R"({"colour":"black","price":"61.95"})", &ok), (Map{{"colour", "black"}, {"price", "61.95"}}));
  EXPECT_TRUE(ok);
  EXPECT_EQ(parse(" {\n\t\"a\" :  \"x y\" ,\r\"b\":\"\" } ", &ok), (Map{{"a", "x y"}, {"b", ""}}));
  EXPECT_TRUE(ok);
  EXPECT_EQ(parse("{}", &ok), Map{});
  EXPECT_TRUE(ok);
  EXPECT_EQ(parse(R"({"a":"1","a":"2"})", &ok), (Map{{"a", "2"}}));  // the last duplicate wins
  EXPECT_TRUE(ok);
}

TEST(PlainJson, LeavesEverythingElseToTheLibrary) {
  for (const std::string text :
       {R"({"a":"caf\u00e9"})", R"({"a":"a\"b"})", "{\"a\":\"caf\xc3\xa9\"}", R"({"price":61.95})",
        R"({"a":{"b":"c"}})", R"({"a":["b"]})", R"({"a":null})", R"(["a"])", R"("a")", "", "{",
        R"({"a":"b")", R"({"a":"b",})", R"({"a" "b"})", R"({"a":"b"} x)", R"({a:"b"})", "{\"a\":\"b\tc\"}"}) {
    Map m;
    EXPECT_FALSE(parse_plain_string_object(text, m)) << text;
    EXPECT_EQ(read_string_map(text), library(text).value_or(Map{})) << text;  // through nlohmann
  }
  EXPECT_EQ(read_string_map(R"({"price":61.95,"tags":["a"]})"), (Map{{"price", "61.95"}, {"tags", "[\"a\"]"}}));
}

// 20,000 random texts built from JSON tokens, most of them malformed: every other one opens with
// `open`, every third closes with `close`.
std::vector<std::string> random_texts(const std::vector<std::string>& tokens, const std::string& open,
                                      const std::string& close, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> texts;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string text = trial % 2 ? open : "";
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) text += tokens[rng() % tokens.size()];
    if (trial % 3 == 0) text += close;
    texts.push_back(std::move(text));
  }
  return texts;
}

// Whatever the fast path accepts, nlohmann reads as the same map.
TEST(PlainJson, AgreesWithTheLibraryOnRandomTexts) {
  const std::vector<std::string> tokens = {"{", "}", "\"", ":", ",", " ", "\n", "a", "b", "1", "\\", "[",
                                           "\"k\"", "\"v\"", "\"\"", "\"a\":\"b\"", "null", "\xc3\xa9"};
  int accepted = 0;
  for (const std::string& text : random_texts(tokens, "{", "}", 7)) {
    EXPECT_EQ(read_string_map(text), library(text).value_or(Map{})) << text;
    Map fast;
    if (!parse_plain_string_object(text, fast)) continue;
    ++accepted;
    const auto slow = library(text);
    ASSERT_TRUE(slow.has_value()) << text;
    EXPECT_EQ(fast, *slow) << text;
  }
  EXPECT_GT(accepted, 100);  // the generator does reach the accepted texts
}

std::optional<std::vector<std::string>> array_fast(std::string_view text) {
  std::vector<std::string_view> views;
  if (!parse_plain_string_array(text, views)) return std::nullopt;
  return std::vector<std::string>(views.begin(), views.end());
}

TEST(PlainJson, ReadsPlainArrays) {
  EXPECT_EQ(array_fast(R"(["lb0056","lb0073"])"), (std::vector<std::string>{"lb0056", "lb0073"}));
  EXPECT_EQ(array_fast(" [ \"a\" ,\n\"\" ] "), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(array_fast("[]"), std::vector<std::string>{});
  for (const std::string text : {R"(["a\"b"])", R"(["caf\u00e9"])", R"([1])", R"(["a",null])", R"([["a"]])",
                                 R"({"a":"b"})", "", "[", R"(["a",])", R"(["a" "b"])", R"(["a"] x)"}) {
    EXPECT_FALSE(array_fast(text).has_value()) << text;
  }
}

// As for objects: what the fast path accepts, nlohmann reads as the same strings.
TEST(PlainJson, ArraysAgreeWithTheLibraryOnRandomTexts) {
  const std::vector<std::string> tokens = {"[", "]", "\"", ",", " ", "\n", "a", "1", "\\", "{",
                                           "\"lb1\"", "\"\"", "null", "\xc3\xa9"};
  int accepted = 0;
  for (const std::string& text : random_texts(tokens, "[", "]", 11)) {
    const auto fast = array_fast(text);
    if (!fast) continue;
    ++accepted;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_TRUE(j.is_array()) << text;
    std::vector<std::string> slow;
    for (const auto& v : j) {
      ASSERT_TRUE(v.is_string()) << text;
      slow.push_back(v.get<std::string>());
    }
    EXPECT_EQ(*fast, slow) << text;
  }
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace ensemble::recommend
