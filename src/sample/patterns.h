// Fabric patterns painted inside a garment: stripes, gingham checks, polka dots, florals, camo,
// colour blocks. Drawn in garment coordinates so the pattern follows the item when it is scaled.
#pragma once

#include <opencv2/core.hpp>

#include "sample/random.h"
#include "sample/taxonomy.h"

namespace ensemble::sample {

// A CV_8UC3 (BGR) image of the given size filled with the pattern in colours c1 (ground) and c2
// (figure). px_per_unit scales the motifs: 1.0 suits a garment about 134 px across.
cv::Mat pattern_layer(Pattern pattern, const cv::Vec3b& c1, const cv::Vec3b& c2, cv::Size size,
                      double px_per_unit, Rng& rng);

}  // namespace ensemble::sample
