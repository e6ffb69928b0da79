#include "sample/ground_truth.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace ensemble::sample {

namespace {

using Json = nlohmann::ordered_json;

double rounded(double v, double scale = 1000.0) { return std::round(v * scale) / scale; }

// Puts arrays that hold only numbers (boxes, polygons) on one line: an indented dump would give
// every coordinate its own line.
std::string compact_numeric_arrays(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    if (c == '[') {
      int depth = 0;
      std::size_t j = i;
      bool numeric = true;
      for (; j < text.size(); ++j) {
        const char d = text[j];
        if (d == '"' || d == '{') {
          numeric = false;
          break;
        }
        if (d == '[') ++depth;
        if (d == ']' && --depth == 0) break;
      }
      if (numeric && j < text.size()) {
        for (std::size_t k = i; k <= j; ++k) {
          if (text[k] != ' ' && text[k] != '\n') out += text[k];
        }
        i = j;
        continue;
      }
    }
    out += c;
  }
  return out;
}

Json rect(const cv::Rect& r) { return Json::array({r.x, r.y, r.width, r.height}); }

Json outfit_header(const Outfit& o) {
  Json j;
  j["style"] = styles()[static_cast<std::size_t>(o.style)].name;
  j["template"] = outfit_templates()[static_cast<std::size_t>(o.template_id)].name;
  j["gender"] = gender_name(o.gender);
  return j;
}

Json item_header(const OutfitItem& it, const std::vector<ProductSpec>& products) {
  const ProductSpec& p = products[static_cast<std::size_t>(it.product)];
  Json j;
  j["product_id"] = p.id;
  j["slot"] = slot_name(it.slot);
  j["category"] = category_info(p.category).name;
  j["hub"] = it.hub;
  return j;
}

Json style_model_json(const GroundTruthInput& in) {
  const StyleModel& m = *in.model;
  const StyleModelParams& params = m.params();
  Json j;
  Json templates = Json::array();
  for (const OutfitTemplate& t : outfit_templates()) {
    Json tj;
    tj["name"] = t.name;
    tj["required"] = Json::array();
    for (Slot s : t.required) tj["required"].push_back(slot_name(s));
    tj["optional"] = Json::object();
    for (const auto& [slot, chance] : t.optional) tj["optional"][std::string(slot_name(slot))] = chance;
    templates.push_back(std::move(tj));
  }
  Json sj = Json::array();
  for (std::size_t s = 0; s < styles().size(); ++s) {
    const Style& st = styles()[s];
    Json x;
    x["name"] = st.name;
    x["weight"] = st.weight;
    x["products"] = m.style_sizes()[s];
    x["women_share"] = st.women_share;
    x["price_factor"] = st.price_factor;
    x["palette"] = Json::object();
    for (const auto& [colour, w] : st.palette) x["palette"][std::string(colour)] = w;
    x["patterns"] = Json::object();
    for (int p = 0; p < kPatternCount; ++p) {
      x["patterns"][std::string(pattern_name(static_cast<Pattern>(p)))] = st.patterns[static_cast<std::size_t>(p)];
    }
    x["templates"] = Json::object();
    for (int t = 0; t < kTemplateCount; ++t) {
      x["templates"][std::string(outfit_templates()[static_cast<std::size_t>(t)].name)] =
          st.templates[static_cast<std::size_t>(t)];
    }
    Json looks = Json::array();
    for (const Outfit& look : m.looks(static_cast<int>(s))) {
      Json lj = Json::array();
      for (const OutfitItem& it : look.items) {
        lj.push_back((*in.products)[static_cast<std::size_t>(it.product)].id);
      }
      looks.push_back(std::move(lj));
    }
    x["looks"] = std::move(looks);
    sj.push_back(std::move(x));
  }
  j["styles"] = std::move(sj);
  j["templates"] = std::move(templates);
  j["zipf_exponent"] = params.zipf_exponent;
  j["off_palette_rate"] = params.off_palette_rate;
  j["off_pattern_rate"] = params.off_pattern_rate;
  j["cross_style_rate"] = params.cross_style_rate;
  j["looks_per_style"] = params.looks_per_style;
  j["look_rate"] = params.look_rate;
  j["look_zipf_exponent"] = params.look_zipf_exponent;
  j["remix_rate"] = params.remix_rate;
  j["hub_rate"] = params.hub_rate;
  Json hubs = Json::array();
  double total = 0.0;
  for (double w : m.hub_weights()) total += w;
  for (std::size_t h = 0; h < m.hubs().size(); ++h) {
    const ProductSpec& p = (*in.products)[static_cast<std::size_t>(m.hubs()[h])];
    Json hj;
    hj["product_id"] = p.id;
    hj["category"] = category_info(p.category).name;
    hj["share_of_outfits"] = rounded(params.hub_rate * m.hub_weights()[h] / total);
    hubs.push_back(std::move(hj));
  }
  j["hubs"] = std::move(hubs);
  j["two_outfit_fraction"] = in.two_outfit_fraction;
  return j;
}

}  // namespace

std::string ground_truth_json(const GroundTruthInput& in) {
  const auto& products = *in.products;
  Json root;
  root["format"] = "ensemble-sample-ground-truth";
  root["version"] = kGroundTruthVersion;
  root["seed"] = in.seed;
  root["products"] = products.size();
  root["accessories"] = in.accessories;
  root["product_size"] = in.product_size;
  root["style_model"] = style_model_json(in);

  Json lookbooks = Json::array();
  for (std::size_t l = 0; l < in.plan->lookbooks.size(); ++l) {
    const LookbookPlan& plan = in.plan->lookbooks[l];
    const ComposedLookbook& c = (*in.lookbooks)[l];
    Json lj;
    lj["id"] = plan.id;
    lj["image"] = "lookbooks/" + plan.id + ".jpg";
    lj["width"] = c.size.width;
    lj["height"] = c.size.height;
    lj["background"] = c.background;
    lj["jpeg_quality"] = c.jpeg_quality;
    lj["colour_temperature"] = rounded(c.colour_temperature);
    Json outfits = Json::array();
    for (std::size_t o = 0; o < plan.outfits.size(); ++o) {
      const Outfit& outfit = plan.outfits[o];
      const OutfitTruth& truth = c.outfits[o];
      Json oj = outfit_header(outfit);
      oj["figure_box"] = rect(truth.figure_box);
      Json items = Json::array();
      for (std::size_t i = 0; i < outfit.items.size(); ++i) {
        const ItemTruth& t = truth.items[i];
        Json ij = item_header(outfit.items[i], products);
        ij["box"] = rect(t.box);
        ij["full_box"] = rect(t.full_box);
        ij["visible_fraction"] = rounded(t.visible_fraction);
        ij["instances"] = t.instances;
        Json polys = Json::array();
        for (const auto& poly : t.polygons) {
          Json pj = Json::array();
          for (const cv::Point& p : poly) pj.push_back(Json::array({p.x, p.y}));
          polys.push_back(std::move(pj));
        }
        ij["polygons"] = std::move(polys);
        items.push_back(std::move(ij));
      }
      oj["items"] = std::move(items);
      outfits.push_back(std::move(oj));
    }
    lj["outfits"] = std::move(outfits);
    lookbooks.push_back(std::move(lj));
  }
  root["lookbooks"] = std::move(lookbooks);

  Json held = Json::array();
  for (const Outfit& o : in.plan->held_out) {
    Json oj = outfit_header(o);
    Json items = Json::array();
    for (const OutfitItem& it : o.items) items.push_back(item_header(it, products));
    oj["items"] = std::move(items);
    held.push_back(std::move(oj));
  }
  root["held_out_outfits"] = std::move(held);
  return compact_numeric_arrays(root.dump(2)) + "\n";
}

}  // namespace ensemble::sample
