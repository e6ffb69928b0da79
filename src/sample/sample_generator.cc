#include "ensemble/sample/sample_generator.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"
#include "sample/catalog.h"
#include "sample/fashion_mnist.h"
#include "sample/ground_truth.h"
#include "sample/lookbook_composer.h"
#include "sample/lookbook_plan.h"
#include "sample/parallel.h"
#include "sample/product_renderer.h"
#include "sample/random.h"
#include "sample/style_model.h"

namespace ensemble::sample {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kSelectStream = 0x73656c;   // "sel"
constexpr std::uint64_t kOrderStream = 0x6f7264;    // "ord"
constexpr std::uint64_t kAttrStream = 0x617474;     // "att"
constexpr std::uint64_t kRenderStream = 0x72656e;   // "ren"
constexpr std::uint64_t kTitleStream = 0x746974;    // "tit"
constexpr int kMinProducts = 40;
constexpr int kMaxProducts = 1000000;  // beyond the dataset's 70,000 garments: colourways

void invalid(const std::string& message) { throw Error(ErrorCode::kInvalidArgument, message); }

int accessory_count(const SampleOptions& o) {
  if (o.accessories >= 0) return o.accessories;
  return std::max(12, static_cast<int>(std::lround(o.products * 0.0075)));
}

void validate(const SampleOptions& o, int accessories) {
  if (o.out_dir.empty()) invalid("sample: no output directory given");
  if (o.products < kMinProducts) {
    invalid("sample: --products must be at least " + std::to_string(kMinProducts) + ", got " +
            std::to_string(o.products));
  }
  if (accessories > o.products / 2) {
    invalid("sample: " + std::to_string(accessories) + " accessories is more than half of " +
            std::to_string(o.products) + " products");
  }
  if (o.products > kMaxProducts) {
    invalid("sample: at most 1,000,000 products are possible, got " + std::to_string(o.products));
  }
  if (o.lookbooks < 0) invalid("sample: --lookbooks must not be negative");
  if (o.held_out_outfits < 0) invalid("sample: held-out outfits must not be negative");
  if (o.product_size < 64 || o.product_size > 1024) invalid("sample: product size must be 64..1024 px");
  if (o.jpeg_quality < 1 || o.jpeg_quality > 100) invalid("sample: JPEG quality must be 1..100");
  if (!(o.two_outfit_fraction >= 0.0 && o.two_outfit_fraction <= 1.0)) {
    invalid("sample: the two-outfit fraction must be in 0..1");
  }
  if (o.lookbook_width < 320 || o.lookbook_height < 430 || o.lookbook_width > 4096 ||
      o.lookbook_height > 4096) {
    invalid("sample: lookbook size must be between 320x430 and 4096x4096");
  }
}

// Fashion-MNIST images for the catalog: the same number from every class (the first classes in a
// seeded order take the remainder), each class's images in a seeded order. At most data.size().
std::vector<int> select_distinct_images(const FashionMnist& data, int count, std::uint64_t seed) {
  Rng rng(derive_seed(seed, kSelectStream));
  std::vector<std::vector<int>> by_class(kFashionMnistClasses);
  for (int i = 0; i < data.size(); ++i) by_class[data.labels[static_cast<std::size_t>(i)]].push_back(i);
  std::vector<int> class_order(kFashionMnistClasses);
  for (int c = 0; c < kFashionMnistClasses; ++c) class_order[static_cast<std::size_t>(c)] = c;
  rng.shuffle(class_order);
  std::vector<int> take(kFashionMnistClasses, count / kFashionMnistClasses);
  for (int k = 0; k < count % kFashionMnistClasses; ++k) ++take[static_cast<std::size_t>(class_order[static_cast<std::size_t>(k)])];
  std::vector<int> chosen;
  chosen.reserve(static_cast<std::size_t>(count));
  for (int c = 0; c < kFashionMnistClasses; ++c) {
    auto& v = by_class[static_cast<std::size_t>(c)];
    rng.shuffle(v);
    const auto n = std::min(v.size(), static_cast<std::size_t>(take[static_cast<std::size_t>(c)]));
    chosen.insert(chosen.end(), v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
  }
  // A class short of images (a trimmed dataset) is topped up from the rest.
  if (static_cast<int>(chosen.size()) < count) {
    std::vector<char> used(static_cast<std::size_t>(data.size()), 0);
    for (int i : chosen) used[static_cast<std::size_t>(i)] = 1;
    for (int i = 0; i < data.size() && static_cast<int>(chosen.size()) < count; ++i) {
      if (!used[static_cast<std::size_t>(i)]) chosen.push_back(i);
    }
  }
  return chosen;
}

// count images; beyond the dataset's size every further round takes the whole dataset again in
// another seeded order, so a garment comes back as another colourway (its colour and pattern are
// drawn per product), as catalogs sell one cut in several colours. Up to the dataset's size the
// selection is exactly select_distinct_images'.
std::vector<int> select_images(const FashionMnist& data, int count, std::uint64_t seed) {
  std::vector<int> chosen = select_distinct_images(data, std::min(count, data.size()), seed);
  for (std::uint64_t round = 1; static_cast<int>(chosen.size()) < count && data.size() > 0; ++round) {
    const int n = std::min(count - static_cast<int>(chosen.size()), data.size());
    const std::vector<int> more = select_distinct_images(data, n, derive_seed(seed, kSelectStream, round));
    chosen.insert(chosen.end(), more.begin(), more.end());
  }
  return chosen;
}

std::vector<ProductSpec> build_catalog(const FashionMnist& data, int garments, int accessories,
                                       std::uint64_t seed, const StyleModelParams& params) {
  struct Source {
    int category;
    int index;
  };
  std::vector<Source> sources;
  for (int i : select_images(data, garments, seed)) {
    sources.push_back({data.labels[static_cast<std::size_t>(i)], i});
  }
  for (int a = 0; a < accessories; ++a) sources.push_back({kFirstAccessoryCategory + a % 4, -1});
  Rng order(derive_seed(seed, kOrderStream));
  order.shuffle(sources);

  Rng attr(derive_seed(seed, kAttrStream));
  std::vector<ProductSpec> products(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    ProductSpec& p = products[i];
    p.id = product_id(static_cast<int>(i));
    p.source_index = sources[i].index;
    p.render_seed = derive_seed(seed, kRenderStream, i);
    assign_style_attributes(attr, sources[i].category, params, p);
    // Titles draw from their own stream: rewording them does not reshuffle the catalog.
    Rng title(derive_seed(seed, kTitleStream, i));
    name_and_price(title, p);
  }
  return products;
}

void write_plain(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw Error(ErrorCode::kIo, "cannot write " + path.string() + ": " + std::strerror(errno));
}

void make_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::kIo, "cannot create " + dir.string() + ": " + ec.message());
}

}  // namespace

SampleOptions SampleOptions::small(fs::path out_dir) {
  SampleOptions o;
  o.out_dir = std::move(out_dir);
  o.products = 400;
  o.lookbooks = 12;
  o.held_out_outfits = 10;
  return o;
}

SampleSummary generate_sample(const SampleOptions& options, const SampleProgressFn& progress) {
  const int accessories = accessory_count(options);
  validate(options, accessories);
  const FashionMnist data = load_fashion_mnist(options.fashion_mnist_dir);
  const int garments = options.products - accessories;
  if (data.size() == 0) invalid("sample: the dataset in " + options.fashion_mnist_dir.string() + " is empty");

  const StyleModelParams params;
  const std::vector<ProductSpec> products = build_catalog(data, garments, accessories, options.seed, params);
  const StyleModel model(products, options.seed, params);
  const SamplePlan plan = plan_sample(model, options.lookbooks, options.held_out_outfits,
                                      options.two_outfit_fraction, options.seed);

  const int n_products = static_cast<int>(products.size());
  const int n_lookbooks = static_cast<int>(plan.lookbooks.size());
  const std::uint64_t total = static_cast<std::uint64_t>(n_products) + n_lookbooks + 1;
  auto report = [&](std::uint64_t done) {
    if (progress) progress(done, total);
  };
  report(0);

  SampleSummary summary;
  summary.catalog_csv = options.out_dir / "catalog.csv";
  summary.product_dir = options.out_dir / "products";
  summary.lookbook_dir = options.out_dir / "lookbooks";
  summary.ground_truth = options.out_dir / "ground_truth.json";
  make_dir(summary.product_dir);
  make_dir(summary.lookbook_dir);

  // Products shown in lookbooks keep their art: the lookbook cuts each item out of the very JPEG
  // written to products/, decoded again, with the garment's alpha mask.
  std::vector<char> shown(static_cast<std::size_t>(n_products), 0);
  for (const LookbookPlan& lb : plan.lookbooks) {
    for (const Outfit& o : lb.outfits) {
      for (const OutfitItem& it : o.items) shown[static_cast<std::size_t>(it.product)] = 1;
    }
  }
  std::vector<ProductArt> kept(static_cast<std::size_t>(n_products));
  parallel_for(
      n_products, options.threads, 64,
      [&](int i) {
        const ProductSpec& p = products[static_cast<std::size_t>(i)];
        ProductArt art = render_product(p, data, options.product_size);
        const std::string jpeg = encode_jpeg(art.photo, options.jpeg_quality);
        write_plain(summary.product_dir / (p.id + ".jpg"), jpeg);
        if (shown[static_cast<std::size_t>(i)]) {
          const std::vector<uchar> buf(jpeg.begin(), jpeg.end());
          art.photo = cv::imdecode(buf, cv::IMREAD_COLOR);
          kept[static_cast<std::size_t>(i)] = std::move(art);
        }
      },
      [&](int done) { report(static_cast<std::uint64_t>(done)); });

  std::vector<ComposedLookbook> composed(static_cast<std::size_t>(n_lookbooks));
  const ArtLookup lookup = [&](int product) -> const ProductArt& {
    return kept[static_cast<std::size_t>(product)];
  };
  const cv::Size lookbook_size(options.lookbook_width, options.lookbook_height);
  parallel_for(
      n_lookbooks, options.threads, 1,
      [&](int j) {
        const LookbookPlan& lb = plan.lookbooks[static_cast<std::size_t>(j)];
        ComposedLookbook c = compose_lookbook(lb, products, lookup, lookbook_size);
        write_plain(summary.lookbook_dir / (lb.id + ".jpg"), c.jpeg);
        c.jpeg.clear();
        c.jpeg.shrink_to_fit();
        composed[static_cast<std::size_t>(j)] = std::move(c);
      },
      [&](int done) { report(static_cast<std::uint64_t>(n_products) + done); });

  GroundTruthInput gt;
  gt.seed = options.seed;
  gt.product_size = options.product_size;
  gt.accessories = accessories;
  gt.products = &products;
  gt.model = &model;
  gt.plan = &plan;
  gt.lookbooks = &composed;
  gt.two_outfit_fraction = options.two_outfit_fraction;
  write_file_atomic(summary.catalog_csv, catalog_csv(products));
  write_file_atomic(summary.ground_truth, ground_truth_json(gt));
  report(total);

  summary.products = n_products;
  summary.accessories = accessories;
  summary.lookbooks = n_lookbooks;
  for (const LookbookPlan& lb : plan.lookbooks) {
    summary.outfits += static_cast<int>(lb.outfits.size());
    if (lb.outfits.size() > 1) ++summary.multi_outfit_lookbooks;
  }
  summary.held_out_outfits = static_cast<int>(plan.held_out.size());
  return summary;
}

}  // namespace ensemble::sample
