// The built-in sample data: a product catalog made from real Fashion-MNIST images, plus styled
// lookbook photos composed from it with ground truth.
//
// generate_sample() writes, under options.out_dir:
//   catalog.csv            header id,title,category,image,gender,colour,pattern,price,style
//                          (image paths relative to the CSV: products/<id>.jpg)
//   products/<id>.jpg      one product photo each
//   lookbooks/<id>.jpg     styled outfit photos (~30% show two outfits at once)
//   ground_truth.json      per lookbook: outfits (product ids) with each item's visible box, mask
//                          polygons and visible fraction; the hidden style model; held-out outfits
//                          that appear in no lookbook. Format in docs/SAMPLE.md.
// Deterministic: the same options (seed included) give byte-identical files, whatever the thread
// count, with the same build of the library.
// Throws Error(kNotFound) when the Fashion-MNIST files are missing (install dataset-fashion-mnist).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace ensemble::sample {

struct SampleOptions {
  std::filesystem::path out_dir;
  // Catalog size, accessories included. Default: the reference design's 44,000. At least 40, at
  // most 1,000,000 (Error(kInvalidArgument) outside). Beyond the dataset's 70,000 garments the
  // garments come back as other colourways (same silhouette, another colour and pattern).
  int products = 44000;
  int lookbooks = 100;      // Default: the reference design's batch. 0 writes a catalog only.
  std::uint64_t seed = 42;
  std::filesystem::path fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
  int product_size = 160;   // product photo side in pixels, 64..1024
  int jpeg_quality = 90;    // of product photos; lookbooks vary theirs in 60..85 on purpose
  // Drawn accessories among `products`. -1: automatic, 0.75% of the catalog and at least 12
  // (330 at the default size). At most half the catalog.
  int accessories = -1;
  int held_out_outfits = 50;         // outfits drawn from the style model that no lookbook shows
  double two_outfit_fraction = 0.3;  // share of lookbooks showing two people side by side, 0..1
  int lookbook_width = 640;          // lookbook pixels (portrait), 320x430 .. 4096x4096
  int lookbook_height = 860;
  // Rendering threads, the caller's included. The output does not depend on it.
  int threads = 2;
  // The --small preset for tests: 400 products, 12 lookbooks, 10 held-out outfits, about 2 s.
  static SampleOptions small(std::filesystem::path out_dir);
};

struct SampleSummary {
  int products = 0;
  int accessories = 0;   // of which procedurally drawn accessories
  int lookbooks = 0;
  int multi_outfit_lookbooks = 0;
  int outfits = 0;
  int held_out_outfits = 0;
  std::filesystem::path catalog_csv;
  std::filesystem::path product_dir;
  std::filesystem::path lookbook_dir;
  std::filesystem::path ground_truth;
};

// Called with (done, total) as work advances, always from the thread that called generate_sample;
// total counts products, lookbooks and the final index files. May be empty.
using SampleProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Writes the sample under options.out_dir (created if missing; files of the same names are
// overwritten, others left alone). Product and lookbook images are written first; catalog.csv and
// ground_truth.json last and atomically, so their presence marks a complete sample.
// Throws Error: kInvalidArgument for out-of-range options, kNotFound when Fashion-MNIST is missing,
// kBadInput when it is corrupt, kIo when the output cannot be written.
SampleSummary generate_sample(const SampleOptions& options, const SampleProgressFn& progress = {});

}  // namespace ensemble::sample
