// Procedurally drawn accessories (watch, belt, sunglasses, hat): Fashion-MNIST has none, and the
// sample needs them for the "accessories hijack co-occurrence" problem.
#pragma once

#include "sample/catalog.h"
#include "sample/product_renderer.h"

namespace ensemble::sample {

// A product photo of accessory p (category kWatch..kHat) in its colours, shape variant drawn from
// p.render_seed. REQUIRES: is_accessory(p.category).
ProductArt render_accessory(const ProductSpec& p, int size);

}  // namespace ensemble::sample
