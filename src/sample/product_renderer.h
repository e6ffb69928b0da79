// Product photos: a Fashion-MNIST silhouette coloured, patterned and upscaled, or a drawn accessory,
// on a light studio background with a soft shadow.
//
// Everything is a pure function of its inputs (the product's render_seed included), so a product
// can be rendered from any thread and re-rendered to the same pixels.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "sample/catalog.h"
#include "sample/fashion_mnist.h"

namespace ensemble::sample {

struct ProductArt {
  cv::Mat photo;  // CV_8UC3 BGR, size x size: the product photo
  cv::Mat alpha;  // CV_8UC1, size x size: 255 inside the item, soft at its edge, 0 on the studio
};

// The garment mask of a Fashion-MNIST image (CV_8UC1 grey, 0 = background): pixels above a small
// threshold without stray specks, and with enclosed gaps filled (dark print inside the garment).
// keep_openings keeps enclosed gaps over 4 px: bag handles, sandal straps. Gaps open to the border
// (between trouser legs) always stay. CV_8UC1, 255 inside.
cv::Mat garment_mask(const cv::Mat& grey, bool keep_openings = false);

// Colours a Fashion-MNIST image (rows x cols bytes) as product p: its colour and pattern inside the
// garment mask, the grey levels kept as shading, smoothly upscaled to fill ~84% of the frame.
ProductArt render_garment(const std::uint8_t* grey, int rows, int cols, const ProductSpec& p,
                          int size);

// Puts an item layer (CV_8UC3, not premultiplied) with its alpha (CV_8UC1), both size x size, on
// a light studio background with a contact shadow.
cv::Mat studio_photo(const cv::Mat& layer, const cv::Mat& alpha, Rng& rng);

// Any product: a garment from the dataset or a drawn accessory.
ProductArt render_product(const ProductSpec& p, const FashionMnist& data, int size);

// The colour of p jittered a little, as BGR: two "navy" products are not the same navy.
cv::Vec3b jittered_bgr(int colour, Rng& rng, double amount = 0.05);

// JPEG bytes of an image. Throws Error(kInternal) if OpenCV cannot encode.
std::string encode_jpeg(const cv::Mat& bgr, int quality);

}  // namespace ensemble::sample
