#include "sample/catalog.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "sample/style_model.h"

namespace ensemble::sample {

namespace {

constexpr std::array<double, kCategoryCount> kBasePrice = {
    19.0, 49.0, 45.0, 69.0, 129.0, 39.0, 35.0, 79.0, 59.0, 99.0,  // garments
    89.0, 29.0, 49.0, 25.0};                                      // accessories

// Details that read naturally after a comma ("Shirt, slim fit").
const std::vector<std::string_view>& details(int category) {
  static const std::vector<std::string_view> tops = {"slim fit", "relaxed fit", "organic cotton",
                                                     "long sleeve", "short sleeve", "cropped"};
  static const std::vector<std::string_view> knit = {"wool blend", "oversized", "ribbed knit",
                                                     "crew neck", "roll neck"};
  static const std::vector<std::string_view> trousers = {"high-waisted", "straight leg", "wide leg",
                                                         "tapered", "stretch"};
  static const std::vector<std::string_view> dress = {"midi", "maxi", "wrap style", "A-line",
                                                      "sleeveless"};
  static const std::vector<std::string_view> coat = {"wool blend", "double-breasted", "belted",
                                                     "water-repellent", "longline"};
  static const std::vector<std::string_view> shoes = {"leather", "suede", "vegan leather",
                                                      "chunky sole", "lace-up"};
  static const std::vector<std::string_view> bag = {"leather", "canvas", "crossbody", "tote",
                                                    "mini"};
  static const std::vector<std::string_view> acc = {"unisex", "classic", "limited edition",
                                                    "gift box"};
  switch (category) {
    case 0:
    case 6: return tops;
    case 2: return knit;
    case 1: return trousers;
    case 3: return dress;
    case 4: return coat;
    case 5:
    case 7:
    case 9: return shoes;
    case 8: return bag;
    default: return acc;
  }
}

// Adjectives that read naturally before the colour ("Oversized navy pullover").
const std::vector<std::string_view>& prefixes(int category) {
  static const std::vector<std::string_view> garments = {"Classic", "Essential", "Oversized", "Relaxed",
                                                         "Slim",    "Vintage",   "Soft",      "Everyday"};
  static const std::vector<std::string_view> other = {"Classic", "Essential", "Vintage", "Everyday",
                                                      "Statement"};
  return category == 0 || category == 2 || category == 4 || category == 6 || category == 3 ? garments
                                                                                          : other;
}

const std::vector<std::string_view>& model_names() {
  static const std::vector<std::string_view> names = {
      "Weekender", "Aviator", "Runner 2", "Marais", "Nordic", "Havana", "Brooklyn", "Riviera",
      "Camden", "Kyoto"};
  return names;
}

std::string pattern_adjective(Pattern p) {
  switch (p) {
    case Pattern::kSolid: return "";
    case Pattern::kStriped: return "striped";
    case Pattern::kChecked: return "checked";
    case Pattern::kDotted: return "polka-dot";
    case Pattern::kFloral: return "floral";
    case Pattern::kCamouflage: return "camo";
    case Pattern::kColourBlock: return "colour-block";
  }
  return "";
}

// The noun in running text: "T-shirt" keeps its capital, the others go lowercase.
std::string noun_in_text(int category) {
  std::string n(category_info(category).noun);
  if (n.size() > 1 && n[1] != '-') n[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(n[0])));
  return n;
}

std::string capitalised(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

std::string product_id(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%06d", index);
  return buf;
}

void name_and_price(Rng& rng, ProductSpec& p) {
  const std::string colour(colours()[static_cast<std::size_t>(p.colour)].name);
  const std::string adj = pattern_adjective(p.pattern);
  const std::string noun = noun_in_text(p.category);
  const std::string described = colour + (adj.empty() ? "" : " " + adj) + " " + noun;
  const auto& det = details(p.category);
  const double r = rng.uniform();
  if (r < 0.025) {
    // A model name in quotes: Sneakers "Runner 2", white
    p.title = std::string(category_info(p.category).noun) + " \"" +
              std::string(rng.pick(model_names())) +
              "\", " + colour;
  } else if (r < 0.10) {
    p.title = capitalised(described) + ", " + std::string(rng.pick(det));
  } else if (r < 0.15) {
    p.title = std::string(category_info(p.category).noun) + ", " + std::string(rng.pick(det));
  } else if (r < 0.35) {
    p.title = std::string(rng.pick(prefixes(p.category))) + " " + described;
  } else {
    p.title = capitalised(described);
  }
  const double factor = styles()[static_cast<std::size_t>(p.style)].price_factor;
  const double raw = kBasePrice[static_cast<std::size_t>(p.category)] * factor *
                     std::exp(rng.normal(0.0, 0.3));
  // Shop prices end in .99, .95 or .00.
  static const std::vector<double> kEndings = {0.99, 0.95, 0.0};
  p.price = std::max(4.0, std::floor(raw)) + rng.pick(kEndings);
}

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string catalog_csv(const std::vector<ProductSpec>& products) {
  std::string out = "id,title,category,image,gender,colour,pattern,price,style\n";
  out.reserve(products.size() * 96);
  char price[32];
  for (const ProductSpec& p : products) {
    std::snprintf(price, sizeof price, "%.2f", p.price);
    out += csv_field(p.id);
    out += ',';
    out += csv_field(p.title);
    out += ',';
    out += csv_field(category_info(p.category).name);
    out += ',';
    out += csv_field("products/" + p.id + ".jpg");
    out += ',';
    out += gender_name(p.gender);
    out += ',';
    out += csv_field(colours()[static_cast<std::size_t>(p.colour)].name);
    out += ',';
    out += pattern_name(p.pattern);
    out += ',';
    out += price;
    out += ',';
    out += styles()[static_cast<std::size_t>(p.style)].name;
    out += '\n';
  }
  return out;
}

}  // namespace ensemble::sample
