// The sample catalog's products and its CSV form (docs/SAMPLE.md, "catalog.csv").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sample/random.h"
#include "sample/taxonomy.h"

namespace ensemble::sample {

struct ProductSpec {
  std::string id;           // "p000123"
  int category = 0;         // taxonomy category id
  int source_index = -1;    // Fashion-MNIST index (train then t10k) or -1 for a drawn accessory
  int style = 0;            // index into styles()
  int colour = 0;           // primary colour, index into colours()
  int colour2 = 0;          // secondary colour used by patterns and accessory details
  Pattern pattern = Pattern::kSolid;
  Gender gender = Gender::kUnisex;
  std::string title;
  double price = 0.0;       // euros, two decimals
  std::uint64_t render_seed = 0;

  Slot slot() const { return category_info(category).slot; }
};

// "p000123": the product id for a catalog position. Six digits, more when needed.
std::string product_id(int index);

// Fills title and price from the other fields. About one title in seven contains a comma and one
// in forty a double quote, so CSV importers meet RFC 4180 quoting.
void name_and_price(Rng& rng, ProductSpec& product);

// One CSV field, quoted per RFC 4180 when it contains a comma, a quote, CR or LF.
std::string csv_field(std::string_view value);

// The whole catalog.csv: header id,title,category,image,gender,colour,pattern,price,style, then one
// row per product, LF line endings.
std::string catalog_csv(const std::vector<ProductSpec>& products);

}  // namespace ensemble::sample
