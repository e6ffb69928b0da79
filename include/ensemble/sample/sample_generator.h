// The built-in sample data: a product catalog made from real Fashion-MNIST images, plus styled
// lookbook photos composed from it with ground truth.
//
// generate_sample() writes, under options.out_dir:
//   catalog.csv            header id,title,category,image,gender,colour,pattern,price,style
//                          (image paths relative to the CSV: products/<id>.jpg)
//   products/<id>.jpg      one product photo each
//   lookbooks/<id>.jpg     styled outfit photos (~30% show two outfits at once)
//   ground_truth.json      per lookbook: outfits (product ids) with each item's box; the hidden style
//                          model; held-out outfits that appear in no lookbook. Format in docs/SAMPLE.md.
// Deterministic: the same options (seed included) give byte-identical files.
// Throws Error(kNotFound) when the Fashion-MNIST files are missing (install dataset-fashion-mnist).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace ensemble::sample {

struct SampleOptions {
  std::filesystem::path out_dir;
  int products = 44000;     // Default: the reference design's catalog size (max 70,000 + accessories)
  int lookbooks = 100;      // Default: the reference design's batch
  std::uint64_t seed = 42;
  std::filesystem::path fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
  int product_size = 160;   // product photo side in pixels
  int jpeg_quality = 90;
  // The --small preset for tests: a few hundred products, a dozen lookbooks, runs in seconds.
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
  std::filesystem::path lookbook_dir;
  std::filesystem::path ground_truth;
};

// Called with (done, total) as work advances; may be empty.
using SampleProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

SampleSummary generate_sample(const SampleOptions& options, const SampleProgressFn& progress = {});

}  // namespace ensemble::sample
