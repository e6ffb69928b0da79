// Lookbook photos: one or two figures wearing a planned outfit each, every item cut from its own
// product photo (alpha mask), scaled and placed where it is worn, over a varied background, with
// lighting changes, sensor noise and JPEG artefacts. Returns the pixel-exact ground truth.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "sample/catalog.h"
#include "sample/lookbook_plan.h"
#include "sample/product_renderer.h"

namespace ensemble::sample {

struct ItemTruth {
  cv::Rect box;                   // visible extent, inside the image
  cv::Rect full_box;              // the whole item as placed (occluded parts included), clipped
  double visible_fraction = 0.0;  // visible pixels / pixels of the whole item as placed
  int instances = 1;              // 2 for shoes: a pair, both cut from the one product photo
  std::vector<std::vector<cv::Point>> polygons;  // outlines of the visible region
};

struct OutfitTruth {
  cv::Rect figure_box;           // the person: body and what it wears, clipped
  std::vector<ItemTruth> items;  // parallel to Outfit::items
};

struct ComposedLookbook {
  std::string jpeg;
  cv::Size size;
  std::string background;     // the kind of background
  int jpeg_quality = 0;
  double colour_temperature = 0.0;  // -1 cool .. +1 warm
  std::vector<OutfitTruth> outfits;  // parallel to LookbookPlan::outfits
};

// Product art by catalog index: the photo as decoded from the product's JPEG, and its alpha.
using ArtLookup = std::function<const ProductArt&(int product)>;

// Renders the lookbook from plan.render_seed. Thread-safe when art is.
ComposedLookbook compose_lookbook(const LookbookPlan& plan, const std::vector<ProductSpec>& products,
                                  const ArtLookup& art, cv::Size size = cv::Size(640, 860));

}  // namespace ensemble::sample
