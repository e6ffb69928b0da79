#include "sample/catalog.h"

#include <gtest/gtest.h>

#include "sample/style_model.h"
#include "sample/test_csv.h"

namespace ensemble::sample {
namespace {

TEST(CatalogTest, ProductIdsArePaddedToSixDigits) {
  EXPECT_EQ(product_id(0), "p000000");
  EXPECT_EQ(product_id(123), "p000123");
  EXPECT_EQ(product_id(1234567), "p1234567");
}

TEST(CatalogTest, CsvFieldQuotesOnlyWhenNeeded) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("Shirt, slim fit"), "\"Shirt, slim fit\"");
  EXPECT_EQ(csv_field("Sneakers \"Runner 2\", white"), "\"Sneakers \"\"Runner 2\"\", white\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field(""), "");
}

std::vector<ProductSpec> make_products(int n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<ProductSpec> products(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    ProductSpec& p = products[static_cast<std::size_t>(i)];
    p.id = product_id(i);
    assign_style_attributes(rng, i % kCategoryCount, StyleModelParams{}, p);
    name_and_price(rng, p);
  }
  return products;
}

TEST(CatalogTest, TitlesExerciseQuotingAndPricesLookLikeShopPrices) {
  const auto products = make_products(2000, 5);
  int commas = 0, quotes = 0;
  for (const ProductSpec& p : products) {
    EXPECT_FALSE(p.title.empty());
    commas += p.title.find(',') != std::string::npos;
    quotes += p.title.find('"') != std::string::npos;
    EXPECT_GE(p.price, 4.0);
    const double cents = std::round((p.price - std::floor(p.price)) * 100);
    EXPECT_TRUE(cents == 99 || cents == 95 || cents == 0) << p.price;
  }
  // About one title in seven has a comma, one in forty a quote.
  EXPECT_GT(commas, 150);
  EXPECT_LT(commas, 450);
  EXPECT_GT(quotes, 20);
}

TEST(CatalogTest, CsvParsesBackWithTheDocumentedColumns) {
  const auto products = make_products(600, 6);
  const std::string csv = catalog_csv(products);
  const auto rows = testing::parse_csv(csv);
  ASSERT_EQ(rows.size(), products.size() + 1);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"id", "title", "category", "image", "gender", "colour",
                                               "pattern", "price", "style"}));
  for (std::size_t i = 0; i < products.size(); ++i) {
    const auto& row = rows[i + 1];
    const ProductSpec& p = products[i];
    ASSERT_EQ(row.size(), 9u) << i;
    EXPECT_EQ(row[0], p.id);
    EXPECT_EQ(row[1], p.title);  // commas and quotes survive the round trip
    EXPECT_EQ(row[2], category_info(p.category).name);
    EXPECT_EQ(row[3], "products/" + p.id + ".jpg");
    EXPECT_EQ(row[4], gender_name(p.gender));
    EXPECT_EQ(row[5], colours()[static_cast<std::size_t>(p.colour)].name);
    EXPECT_EQ(row[6], pattern_name(p.pattern));
    EXPECT_NEAR(std::stod(row[7]), p.price, 0.005);
    EXPECT_EQ(row[8], styles()[static_cast<std::size_t>(p.style)].name);
  }
}

}  // namespace
}  // namespace ensemble::sample
