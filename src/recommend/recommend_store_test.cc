#include "ensemble/recommend/recommend_store.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ensemble/util/error.h"
#include "recommend/test_store.h"

namespace ensemble::recommend {
namespace {

Recommendation rec(std::int32_t product, const std::string& slot, double score,
                   std::vector<std::int32_t> lookbooks, const std::string& source,
                   std::int32_t via = -1, int feedback = 0) {
  const auto support = static_cast<std::int32_t>(lookbooks.size());
  return Recommendation{.product = product, .score = score, .slot = slot, .support = support,
                        .lookbooks = std::move(lookbooks), .source = source, .via = via,
                        .feedback = feedback, .reason = {}};
}

class ListStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ts.product("T", "shirt");
    ts.product("B\"q\\1", "trousers");  // a quote and a backslash in an id
    ts.product("S", "sneakers");
    ts.product("N", "shirt");
    catalog = Catalog::load(ts.db(), SlotTable());
    for (int i = 0; i < 12; ++i) lookbooks.push_back("lb" + std::to_string(i));
  }
  std::int32_t idx(const std::string& id) const { return catalog.find(id); }
  std::int64_t count(const std::string& sql) {
    auto st = ts.db().prepare(sql);
    st.step();
    return st.column_int(0);
  }
  testing::TestStore ts;
  Catalog catalog;
  std::vector<std::string> lookbooks;
};

TEST_F(ListStoreTest, AnEncodedListIsJsonAndReadsBackAsWritten) {
  std::vector<EncodedList> lists(static_cast<size_t>(catalog.size()));
  lists[static_cast<size_t>(idx("T"))] = encode_list(
      {rec(idx("B\"q\\1"), "bottom", 0.123456789, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, "pairs", -1, 2),
       rec(idx("S"), "shoes", 1.5e-9, {3}, "neighbours", idx("N"))},
      catalog, lookbooks);
  const EncodedList& t = lists[static_cast<size_t>(idx("T"))];
  EXPECT_EQ(t.n, 2);
  const auto parsed = nlohmann::json::parse(t.items);  // throws if it is not JSON
  ASSERT_TRUE(parsed.is_array());
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0][0], "B\"q\\1");
  EXPECT_EQ(parsed[0][4].size(), kStoredLookbooks);
  EXPECT_TRUE(parsed[0][6].is_null());
  EXPECT_EQ(parsed[1][6], "N");

  EXPECT_EQ(write_lists(ts.db(), catalog, lists, {idx("T")}, ts.run()), 2);
  EXPECT_EQ(stored_counts(ts.db()).recommendations, 2);
  EXPECT_EQ(stored_counts(ts.db()).lists, 1);
  const auto back = read_recommendations(ts.db(), "T");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].product, "B\"q\\1");
  EXPECT_EQ(back[0].slot, "bottom");
  EXPECT_NEAR(back[0].score, 0.123456789, 1e-7);  // seven significant digits
  EXPECT_EQ(back[0].support, 12);
  ASSERT_EQ(back[0].evidence.size(), kStoredLookbooks);
  EXPECT_EQ(back[0].evidence[9], "lb9");
  EXPECT_EQ(back[0].source, "pairs");
  EXPECT_EQ(back[0].via, "");
  EXPECT_EQ(back[0].feedback, 2);
  EXPECT_EQ(back[0].category, "trousers");
  EXPECT_EQ(back[1].product, "S");
  EXPECT_NEAR(back[1].score, 1.5e-9, 1e-15);
  EXPECT_EQ(back[1].via, "N");
  EXPECT_EQ(back[1].source, "neighbours");
  EXPECT_EQ(read_recommendations(ts.db(), "T", 1).size(), 1u);
  EXPECT_TRUE(read_recommendations(ts.db(), "S").empty());

  // The recommendations view shows the version-1 table's rows.
  EXPECT_EQ(count("SELECT count(*) FROM recommendations WHERE product_id = 'T'"), 2);
  EXPECT_EQ(count("SELECT rank FROM recommendations WHERE rec_product_id = 'S'"), 2);
  EXPECT_EQ(count("SELECT json_extract(evidence, '$.feedback') FROM recommendations WHERE rank = 1"), 2);
  EXPECT_EQ(count("SELECT json_array_length(evidence, '$.lookbooks') FROM recommendations WHERE rank = 1"),
            10);
}

TEST_F(ListStoreTest, AListReplacesTheStoredOneAndAnEmptyListRemovesIt) {
  std::vector<EncodedList> lists(static_cast<size_t>(catalog.size()));
  const auto t = static_cast<size_t>(idx("T"));
  const auto s = static_cast<size_t>(idx("S"));
  lists[t] = encode_list({rec(idx("S"), "shoes", 0.5, {0}, "pairs")}, catalog, lookbooks);
  lists[s] = encode_list({rec(idx("T"), "top", 0.5, {0}, "pairs")}, catalog, lookbooks);
  write_lists(ts.db(), catalog, lists, {idx("T"), idx("S")}, ts.run());
  lists[t] = encode_list({rec(idx("N"), "top", 0.25, {1}, "pairs"), rec(idx("S"), "shoes", 0.2, {0}, "pairs")},
                         catalog, lookbooks);
  lists[s] = EncodedList{};
  EXPECT_EQ(write_lists(ts.db(), catalog, lists, {idx("T"), idx("S")}, ts.run()), 2);
  const auto back = read_recommendations(ts.db(), "T");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].product, "N");
  EXPECT_EQ(back[1].product, "S");
  EXPECT_EQ(count("SELECT count(*) FROM recommendation_lists WHERE product_id = 'S'"), 0);
  EXPECT_EQ(stored_counts(ts.db()).recommendations, 2);
}

// The plain reader (encode_list's own text) and nlohmann (any other JSON) read a list alike.
TEST_F(ListStoreTest, APlainListAndTheSameListWithEscapesReadAlike) {
  std::vector<EncodedList> lists(static_cast<size_t>(catalog.size()));
  lists[static_cast<size_t>(idx("T"))] = encode_list(
      {rec(idx("N"), "top", 0.5, {0, 3}, "pairs", -1, -1), rec(idx("S"), "shoes", 2.5e-7, {}, "neighbours", idx("N")),
       rec(idx("N"), "top", 0.125, {11}, "feedback", -1, 3)},
      catalog, lookbooks);
  write_lists(ts.db(), catalog, lists, {idx("T")}, ts.run());
  auto set_items = [&](const std::string& items) {
    ts.db().prepare("UPDATE recommendation_lists SET items = ? WHERE product_id = 'T'").bind(1, items).run();
  };
  const std::string plain = lists[static_cast<size_t>(idx("T"))].items;
  // The same JSON value with whitespace (still plain) and with an escaped "b" in "lb3" (not plain).
  const std::string spaced = nlohmann::json::parse(plain).dump(1);
  std::string escaped = plain;
  escaped.replace(escaped.find("\"lb3\""), 5, "\"l\\u00623\"");
  ASSERT_EQ(nlohmann::json::parse(escaped), nlohmann::json::parse(plain));
  for (const int limit : {-1, 0, 1, 2, 3, 5}) {
    set_items(plain);
    const auto a = read_recommendations(ts.db(), "T", limit);
    ASSERT_EQ(a.size(), limit < 0 ? 3u : static_cast<size_t>(std::min(limit, 3)));
    for (const std::string& other : {spaced, escaped}) {
      set_items(other);
      const auto b = read_recommendations(ts.db(), "T", limit);
      ASSERT_EQ(b.size(), a.size()) << other;
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(b[i].to_json(), a[i].to_json()) << other;
        EXPECT_EQ(b[i].evidence, a[i].evidence);
      }
    }
  }
  set_items(plain);
  const auto all = read_recommendations(ts.db(), "T");
  EXPECT_EQ(all[0].evidence, (std::vector<std::string>{"lb0", "lb3"}));
  EXPECT_EQ(all[0].feedback, -1);
  EXPECT_EQ(all[1].score, 2.5e-7);
  EXPECT_EQ(all[1].via, "N");
  EXPECT_EQ(all[2].source, "feedback");
  EXPECT_EQ(all[2].feedback, 3);
  set_items("[[\"N\",\"top\",0.5,1,[],\"pairs\",null,0],[\"S\"");  // damaged after the first entry
  EXPECT_EQ(read_recommendations(ts.db(), "T", 1).size(), 1u);     // the head is read as far as needed
  EXPECT_THROW(read_recommendations(ts.db(), "T"), Error);          // the whole list is not JSON
}

TEST_F(ListStoreTest, AnEntryWhoseProductLeftTheCatalogIsNotRead) {
  std::vector<EncodedList> lists(static_cast<size_t>(catalog.size()));
  lists[static_cast<size_t>(idx("T"))] = encode_list(
      {rec(idx("N"), "top", 0.5, {0}, "pairs"), rec(idx("S"), "shoes", 0.4, {0}, "pairs")}, catalog,
      lookbooks);
  write_lists(ts.db(), catalog, lists, {idx("T")}, ts.run());
  ts.db().exec("DELETE FROM products WHERE id = 'N'");
  const auto back = read_recommendations(ts.db(), "T");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].product, "S");
  // A seed's own deletion takes its list with it.
  ts.db().exec("DELETE FROM products WHERE id = 'T'");
  EXPECT_EQ(count("SELECT count(*) FROM recommendation_lists"), 0);
}

}  // namespace
}  // namespace ensemble::recommend
