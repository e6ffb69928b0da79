// eval_embed: quality and speed of the classic embedder on real data.
//
//   eval_embed [--tasks cc0,fmnist,retrieval,speed,catalog] [--cc0 DIR] [--fmnist DIR] [--threads N]
//              [--catalog SAMPLE_DIR] [--catalog-n N] [--query-views N] [--view-step DEG] [--view-side PX]
//              [--set KEY=VALUE]... [--alpha A[,B...]] [--eps E] [--fmnist-train N]
//              [--retrieval-n N] [--speed-n N] [--dump-fmnist FILE] [--dump-cc0 FILE]
//
// cc0        clothing-cc0 (../shared/data/clothing-cc0): category k-NN accuracy, leave-one-
//            contributor-out (a query never sees photos by its own contributor), against the
//            majority class and a colour-histogram-only baseline. The projection is fitted on the
//            photos themselves without labels, as `ensemble run` fits it on the catalog.
// fmnist     Fashion-MNIST test split (10,000) k-NN over the training split (projection fitted on
//            the training split); yardstick: raw-pixel k-NN ≈ 0.85.
// retrieval  exact-product retrieval: a gallery of colourised Fashion-MNIST products (160×160 JPEG
//            on white) queried by augmented copies (crop 80-95%, scale, rotation ±8°, colour
//            jitter, JPEG 60-85); Recall@1 and Recall@10.
// catalog    exact-product retrieval on the real sample catalog made by `ensemble sample --out DIR`
//            (--catalog DIR): gallery = every DIR/products/*.jpg (or the first --catalog-n), the
//            projection fitted on up to 20,000 of them (as `ensemble run` does, embed.fit_samples),
//            queries = --retrieval-n gallery products augmented as in `retrieval`, each searched
//            as `ensemble search` does, with its rotated views (--query-views per side, default 1,
//            --view-step degrees, default 6, --view-side px, default as search: 1.5 × the crop
//            side; 0 views = the photo alone); Recall@1/@10 over the whole gallery.
// speed      decode + embed of 160×160 JPEG products on --threads threads; per-image time and the
//            extrapolation to 44,000 products.
// --set KEY=VALUE changes a descriptor parameter (names as in src/embed/classic_descriptor.h) to
// compare variants; --dump-* write embeddings as "EVEC" files for eval_index.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "embed/classic_descriptor.h"
#include "embed/crop.h"
#include "ensemble/util/gemm.h"
#include "ensemble/util/parallel.h"
#include "ensemble/embed/classic_embedder.h"
#include "ensemble/embed/projection.h"
#include "ensemble/embed/query_views.h"
#include "ensemble/util/error.h"

namespace fs = std::filesystem;
using ensemble::embed::Embeddings;
using ensemble::embed::FitOptions;
using ensemble::embed::Projection;
using ensemble::embed::ProjectionFitter;
using ensemble::embed::detail::DescriptorParams;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Args {
  std::vector<std::string> tasks = {"cc0", "fmnist", "retrieval", "speed"};
  fs::path cc0;
  fs::path fmnist = "/usr/share/datasets/fashion-mnist";
  int threads = 0;
  DescriptorParams params;
  std::vector<double> alphas = {0.5};
  double eps = FitOptions{}.eps_rel;
  int fmnist_train = 60000;
  int retrieval_n = 2000;
  int speed_n = 4000;
  fs::path catalog;
  int catalog_n = 0;
  ensemble::embed::QueryViewOptions views{1, 6.0, 0};  // catalog task: as search's defaults (side 0: as search)
  fs::path dump_fmnist, dump_cc0;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

void set_param(DescriptorParams& p, const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos) throw std::runtime_error("--set wants KEY=VALUE");
  std::string k = kv.substr(0, eq);
  double v = std::stod(kv.substr(eq + 1));
  std::map<std::string, int*> ints = {{"side", &p.side}, {"colour_side", &p.colour_side},       {"tex_side", &p.tex_side}, {"l_bins", &p.l_bins},
                                      {"a_bins", &p.a_bins},     {"b_bins", &p.b_bins},     {"colour_grid", &p.colour_grid},
                                      {"hog_cell", &p.hog_cell}, {"hog_bins", &p.hog_bins}, {"lbp_grid", &p.lbp_grid},
                                      {"lbp_threshold", &p.lbp_threshold}, {"thumb", &p.thumb},
                                      {"flip", &p.flip}, {"hog_coarse", &p.hog_coarse}, {"bg_fill", &p.bg_fill}, {"balance", &p.balance}};
  std::map<std::string, float*> floats = {{"w_colour", &p.w_colour}, {"w_hog", &p.w_hog}, {"w_lbp", &p.w_lbp},
                                          {"w_thumb", &p.w_thumb},   {"power", &p.power}};
  if (ints.count(k)) *ints[k] = static_cast<int>(v);
  else if (floats.count(k)) *floats[k] = static_cast<float>(v);
  else throw std::runtime_error("unknown parameter " + k);
}

// ---------------------------------------------------------------------------------------------
// k-NN

struct KnnResult {
  double acc1 = 0, acc5 = 0, acc10 = 0;
};

// Cosine k-NN (rows are L2-normalised, or normalised here). exclude(q, g) hides gallery items.
template <typename Exclude>
KnnResult knn_accuracy(const Embeddings& gallery, const std::vector<int>& gallery_labels, const Embeddings& queries,
                       const std::vector<int>& query_labels, int classes, Exclude exclude) {
  const int d = gallery.dim;
  const std::int64_t ng = gallery.rows, nq = queries.rows;
  const std::int64_t block = std::max<std::int64_t>(1, (64ll << 20) / (ng * 4));
  std::vector<float> sims(block * ng);
  long hit1 = 0, hit5 = 0, hit10 = 0;
  for (std::int64_t q0 = 0; q0 < nq; q0 += block) {
    std::int64_t nb = std::min(block, nq - q0);
    ensemble::gemm::nt(nb, ng, d, queries.row(q0), d, gallery.values.data(), d, 0.0f, sims.data(), ng);
    for (std::int64_t i = 0; i < nb; ++i) {
      std::int64_t q = q0 + i;
      std::vector<std::pair<float, int>> top;
      top.reserve(11);
      const float* s = sims.data() + i * ng;
      for (std::int64_t g = 0; g < ng; ++g) {
        if (exclude(q, g)) continue;
        if (top.size() < 10 || s[g] > top.back().first) {
          auto it = std::upper_bound(top.begin(), top.end(), std::make_pair(s[g], 0),
                                     [](const auto& a, const auto& b) { return a.first > b.first; });
          top.insert(it, {s[g], gallery_labels[g]});
          if (top.size() > 10) top.pop_back();
        }
      }
      auto vote = [&](int k) {
        std::vector<double> w(classes, 0.0);
        for (int j = 0; j < std::min<int>(k, top.size()); ++j) w[top[j].second] += 1.0 + 1e-3 * top[j].first;
        return static_cast<int>(std::max_element(w.begin(), w.end()) - w.begin());
      };
      hit1 += vote(1) == query_labels[q];
      hit5 += vote(5) == query_labels[q];
      hit10 += vote(10) == query_labels[q];
    }
  }
  return {double(hit1) / nq, double(hit5) / nq, double(hit10) / nq};
}

Embeddings normalised_copy(const Embeddings& m) {
  Embeddings out = m;
  for (std::int64_t i = 0; i < out.rows; ++i) {
    float* r = out.row(i);
    double ss = 0;
    for (int j = 0; j < out.dim; ++j) ss += double(r[j]) * r[j];
    float inv = ss > 0 ? float(1.0 / std::sqrt(ss)) : 0.0f;
    for (int j = 0; j < out.dim; ++j) r[j] *= inv;
  }
  return out;
}

Projection fit(const Embeddings& raw, const std::string& id, double alpha, double eps, std::int64_t max_rows = -1) {
  FitOptions fo;
  fo.whiten_alpha = alpha;
  fo.eps_rel = eps;
  ProjectionFitter fitter(id, raw.dim, fo);
  fitter.add(raw.values.data(), max_rows < 0 ? raw.rows : std::min(max_rows, raw.rows));
  return fitter.finish();
}

Embeddings project(const Projection& p, const Embeddings& raw) {
  Embeddings out(raw.rows, p.out_dim());
  p.apply(raw.values.data(), raw.rows, out.values.data());
  return normalised_copy(out);
}

void write_evec(const fs::path& path, const Embeddings& m, const std::vector<int>& labels) {
  std::ofstream out(path, std::ios::binary);
  std::uint32_t hdr[4] = {0x43455645u /* "EVEC" */, 1u, static_cast<std::uint32_t>(m.rows), static_cast<std::uint32_t>(m.dim)};
  out.write(reinterpret_cast<const char*>(hdr), sizeof hdr);
  out.write(reinterpret_cast<const char*>(m.values.data()), m.values.size() * sizeof(float));
  std::vector<std::int32_t> l(labels.begin(), labels.end());
  out.write(reinterpret_cast<const char*>(l.data()), l.size() * sizeof(std::int32_t));
  std::printf("  wrote %s (%lld x %d)\n", path.c_str(), static_cast<long long>(m.rows), m.dim);
}

// ---------------------------------------------------------------------------------------------
// clothing-cc0

void task_cc0(const Args& a) {
  fs::path csv = a.cc0 / "labels.csv";
  std::ifstream in(csv);
  if (!in) {
    std::printf("cc0: %s not found, skipped\n", csv.c_str());
    return;
  }
  std::string line;
  std::getline(in, line);
  std::vector<cv::Mat> images;
  std::vector<int> labels, contributors;
  std::map<std::string, int> label_ids;
  std::vector<std::string> label_names;
  auto t0 = Clock::now();
  while (std::getline(in, line)) {
    auto f = split(line, ',');
    if (f.size() < 3) continue;
    cv::Mat im = cv::imread((a.cc0 / f[0]).string(), cv::IMREAD_COLOR);
    if (im.empty()) continue;
    if (!label_ids.count(f[1])) {
      label_ids[f[1]] = static_cast<int>(label_names.size());
      label_names.push_back(f[1]);
    }
    images.push_back(im);
    labels.push_back(label_ids[f[1]]);
    contributors.push_back(std::stoi(f[2]));
  }
  const int classes = static_cast<int>(label_names.size());
  std::printf("cc0: %zu photos, %d classes, decoded in %.1f s\n", images.size(), classes, seconds_since(t0));
  auto exclude = [&](std::int64_t q, std::int64_t g) { return contributors[q] == contributors[g]; };
  auto report = [&](const char* name, const KnnResult& r) {
    std::printf("  %-44s 1-NN %.3f   5-NN %.3f   10-NN %.3f\n", name, r.acc1, r.acc5, r.acc10);
  };
  std::vector<int> counts(classes, 0);
  for (int l : labels) ++counts[l];
  std::printf("  %-44s %.3f\n", "majority class", double(*std::max_element(counts.begin(), counts.end())) / labels.size());

  DescriptorParams colour_only;
  colour_only.w_hog = colour_only.w_lbp = colour_only.w_thumb = 0;
  colour_only.colour_grid = 0;
  colour_only.bg_fill = 0;
  colour_only.balance = 0;
  auto raw_colour = ensemble::embed::detail::describe_batch(images, {}, colour_only, a.threads);
  report("colour histogram only (Lab 4x6x6, raw)", knn_accuracy(normalised_copy(raw_colour), labels,
                                                                normalised_copy(raw_colour), labels, classes, exclude));

  t0 = Clock::now();
  auto raw = ensemble::embed::detail::describe_batch(images, {}, a.params, a.threads);
  std::printf("  descriptor %s: %d dims, %.2f ms/photo\n", a.params.id().c_str(), raw.dim,
              1e3 * seconds_since(t0) / images.size());
  auto rawn = normalised_copy(raw);
  report("classic raw descriptor (no projection)", knn_accuracy(rawn, labels, rawn, labels, classes, exclude));
  Projection rnd = Projection::random(a.params.id(), raw.dim, 512, 0x0E75E3B1E5EEDull);
  auto er = project(rnd, raw);
  report("classic + random projection (unfitted)", knn_accuracy(er, labels, er, labels, classes, exclude));
  for (double alpha : a.alphas) {
    auto p = fit(raw, a.params.id(), alpha, a.eps);
    auto e = project(p, raw);
    char name[96];
    std::snprintf(name, sizeof name, "classic + PCA-512 fitted (alpha %.2f, eps %.2g)", alpha, a.eps);
    report(name, knn_accuracy(e, labels, e, labels, classes, exclude));
    if (!a.dump_cc0.empty() && alpha == a.alphas.front()) write_evec(a.dump_cc0, e, labels);
  }
}

// ---------------------------------------------------------------------------------------------
// Fashion-MNIST

std::string gunzip(const fs::path& path) {
  std::string cmd = "gzip -dc '" + path.string() + "'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run gzip");
  std::string out;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0 || out.empty()) throw std::runtime_error("cannot read " + path.string());
  return out;
}

struct Mnist {
  std::vector<cv::Mat> images;  // 28x28 CV_8UC1, inverted: dark garment on white, like a catalog photo
  std::vector<int> labels;
};

Mnist load_mnist(const fs::path& dir, const std::string& split_name) {
  std::string im = gunzip(dir / (split_name + "-images-idx3-ubyte.gz"));
  std::string lb = gunzip(dir / (split_name + "-labels-idx1-ubyte.gz"));
  auto be32 = [](const std::string& s, int off) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data()) + off;
    return (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
  };
  int n = be32(im, 4), rows = be32(im, 8), cols = be32(im, 12);
  Mnist m;
  for (int i = 0; i < n; ++i) {
    cv::Mat x(rows, cols, CV_8UC1, const_cast<char*>(im.data() + 16 + static_cast<std::size_t>(i) * rows * cols));
    m.images.push_back(255 - x);
    m.labels.push_back(static_cast<unsigned char>(lb[8 + i]));
  }
  return m;
}

void task_fmnist(const Args& a) {
  if (!fs::exists(a.fmnist / "train-images-idx3-ubyte.gz")) {
    std::printf("fmnist: %s not found, skipped\n", a.fmnist.c_str());
    return;
  }
  auto t0 = Clock::now();
  Mnist train = load_mnist(a.fmnist, "train"), test = load_mnist(a.fmnist, "t10k");
  if (a.fmnist_train < static_cast<int>(train.images.size())) {
    train.images.resize(a.fmnist_train);
    train.labels.resize(a.fmnist_train);
  }
  std::printf("fmnist: %zu train, %zu test (loaded in %.1f s)\n", train.images.size(), test.images.size(),
              seconds_since(t0));
  t0 = Clock::now();
  auto raw_train = ensemble::embed::detail::describe_batch(train.images, {}, a.params, a.threads);
  auto raw_test = ensemble::embed::detail::describe_batch(test.images, {}, a.params, a.threads);
  std::printf("  described %zu images in %.1f s\n", train.images.size() + test.images.size(), seconds_since(t0));
  auto none = [](std::int64_t, std::int64_t) { return false; };
  auto report = [&](const char* name, const KnnResult& r) {
    std::printf("  %-44s 1-NN %.4f   5-NN %.4f   10-NN %.4f   (raw-pixel k-NN yardstick 0.85)\n", name, r.acc1, r.acc5, r.acc10);
  };
  {
    // Raw pixels (ink), for the yardstick on this very split.
    Embeddings px_train(train.images.size(), 784), px_test(test.images.size(), 784);
    for (std::size_t i = 0; i < train.images.size(); ++i)
      for (int j = 0; j < 784; ++j) px_train.row(i)[j] = (255 - train.images[i].data[j]) / 255.0f;
    for (std::size_t i = 0; i < test.images.size(); ++i)
      for (int j = 0; j < 784; ++j) px_test.row(i)[j] = (255 - test.images[i].data[j]) / 255.0f;
    report("raw pixels (cosine)", knn_accuracy(normalised_copy(px_train), train.labels, normalised_copy(px_test),
                                               test.labels, 10, none));
  }
  Projection rnd = Projection::random(a.params.id(), raw_train.dim, 512, 0x0E75E3B1E5EEDull);
  report("classic + random projection (unfitted)",
         knn_accuracy(project(rnd, raw_train), train.labels, project(rnd, raw_test), test.labels, 10, none));
  for (double alpha : a.alphas) {
    t0 = Clock::now();
    auto p = fit(raw_train, a.params.id(), alpha, a.eps, 20000);
    double fit_s = seconds_since(t0);
    auto etr = project(p, raw_train), ete = project(p, raw_test);
    char name[96];
    std::snprintf(name, sizeof name, "classic + PCA-512 (alpha %.2f; fit %.1f s)", alpha, fit_s);
    report(name, knn_accuracy(etr, train.labels, ete, test.labels, 10, none));
    if (!a.dump_fmnist.empty() && alpha == a.alphas.front()) {
      Embeddings all(etr.rows + ete.rows, etr.dim);
      std::copy(etr.values.begin(), etr.values.end(), all.values.begin());
      std::copy(ete.values.begin(), ete.values.end(), all.values.begin() + etr.values.size());
      std::vector<int> labels = train.labels;
      labels.insert(labels.end(), test.labels.begin(), test.labels.end());
      write_evec(a.dump_fmnist, all, labels);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Product-like photos and augmented queries

cv::Mat make_product(const cv::Mat& ink28, std::mt19937& rng, int side = 160) {
  // A colourised, sometimes striped garment on white, ~80% of the frame, like the sample catalog.
  std::uniform_real_distribution<float> u(0, 1);
  cv::Vec3f colour(40 + 200 * u(rng), 40 + 200 * u(rng), 40 + 200 * u(rng));
  cv::Vec3f colour2(40 + 200 * u(rng), 40 + 200 * u(rng), 40 + 200 * u(rng));
  int stripes = u(rng) < 0.3f ? 4 + static_cast<int>(u(rng) * 8) : 0;
  int inner = side * 8 / 10;
  cv::Mat big;
  cv::resize(ink28, big, cv::Size(inner, inner), 0, 0, cv::INTER_CUBIC);
  cv::Mat out(side, side, CV_8UC3, cv::Scalar(255, 255, 255));
  int off = (side - inner) / 2;
  for (int y = 0; y < inner; ++y)
    for (int x = 0; x < inner; ++x) {
      float ink = (255 - big.at<uchar>(y, x)) / 255.0f;  // big is dark-on-white
      cv::Vec3f c = (stripes && ((y * stripes / inner) % 2)) ? colour2 : colour;
      cv::Vec3b& d = out.at<cv::Vec3b>(y + off, x + off);
      for (int k = 0; k < 3; ++k) d[k] = cv::saturate_cast<uchar>(255 * (1 - ink) + c[k] * ink * (0.6f + 0.4f * (255 - big.at<uchar>(y, x)) / 255.0f));
    }
  return out;
}

cv::Mat jpeg_roundtrip(const cv::Mat& m, int quality) {
  std::vector<uchar> buf;
  cv::imencode(".jpg", m, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return cv::imdecode(buf, cv::IMREAD_COLOR);
}

std::string g_aug = "crop,scale,rot,jitter,jpeg";
bool aug_on(const char* what) { return g_aug.find(what) != std::string::npos; }

cv::Mat augment(const cv::Mat& img, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  // crop 80-95% of each side
  double f = aug_on("crop") ? 0.80 + 0.15 * u(rng) : 1.0;
  int w = static_cast<int>(img.cols * f), h = static_cast<int>(img.rows * f);
  int x = static_cast<int>(u(rng) * (img.cols - w)), y = static_cast<int>(u(rng) * (img.rows - h));
  cv::Mat m = img(cv::Rect(x, y, w, h)).clone();
  // scale
  double s = aug_on("scale") ? 0.7 + 0.6 * u(rng) : 1.0;
  cv::resize(m, m, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  // rotation ±8°, white fill
  double ang = aug_on("rot") ? -8 + 16 * u(rng) : 0.0;
  cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(m.cols / 2.0f, m.rows / 2.0f), ang, 1.0);
  cv::warpAffine(m, m, rot, m.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(255, 255, 255));
  // colour jitter: brightness ±10%, contrast ±10%, per-channel gain ±5%
  double b = -25 + 50 * u(rng), c = 0.9 + 0.2 * u(rng);
  cv::Vec3d gain(0.95 + 0.1 * u(rng), 0.95 + 0.1 * u(rng), 0.95 + 0.1 * u(rng));
  if (!aug_on("jitter")) b = 0, c = 1, gain = cv::Vec3d(1, 1, 1);
  m.forEach<cv::Vec3b>([&](cv::Vec3b& p, const int*) {
    for (int k = 0; k < 3; ++k) p[k] = cv::saturate_cast<uchar>(((p[k] - 128.0) * c + 128.0 + b) * gain[k]);
  });
  int q = 60 + static_cast<int>(u(rng) * 26);
  return aug_on("jpeg") ? jpeg_roundtrip(m, q) : m;
}

void task_retrieval(const Args& a) {
  if (!fs::exists(a.fmnist / "t10k-images-idx3-ubyte.gz")) {
    std::printf("retrieval: Fashion-MNIST not found, skipped\n");
    return;
  }
  Mnist test = load_mnist(a.fmnist, "t10k");
  std::mt19937 rng(7);
  const int n = std::min<int>(a.retrieval_n, test.images.size());
  std::vector<cv::Mat> gallery, queries;
  std::vector<int> ids(n);
  for (int i = 0; i < n; ++i) gallery.push_back(jpeg_roundtrip(make_product(test.images[i], rng), 90));
  for (int i = 0; i < n; ++i) queries.push_back(augment(gallery[i], rng));
  std::iota(ids.begin(), ids.end(), 0);
  std::vector<std::pair<int, int>> failures;
  auto raw_g = ensemble::embed::detail::describe_batch(gallery, {}, a.params, a.threads);
  auto raw_q = ensemble::embed::detail::describe_batch(queries, {}, a.params, a.threads);
  auto recall = [&](const Embeddings& g, const Embeddings& q, bool debug = false) {
    std::vector<float> sims(static_cast<std::size_t>(n) * n);
    failures.clear();
    ensemble::gemm::nt(n, n, g.dim, q.values.data(), g.dim, g.values.data(), g.dim, 0.0f, sims.data(), n);
    int r1 = 0, r10 = 0;
    for (int i = 0; i < n; ++i) {
      const float* s = sims.data() + static_cast<std::size_t>(i) * n;
      int rank = 0;
      for (int j = 0; j < n; ++j) rank += s[j] > s[i];
      r1 += rank == 0;
      r10 += rank < 10;
      if (debug && rank > 0 && failures.size() < 24) {
        int best = static_cast<int>(std::max_element(s, s + n) - s);
        failures.push_back({i, best});
      }
    }
    std::printf("Recall@1 %.3f (target 0.90)   Recall@10 %.3f (target 0.98)\n", double(r1) / n, double(r10) / n);
  };
  std::printf("retrieval: %d colourised Fashion-MNIST products, one augmented query each\n", n);
  std::printf("  %-44s ", "classic + random projection (unfitted)");
  Projection rnd = Projection::random(a.params.id(), raw_g.dim, 512, 0x0E75E3B1E5EEDull);
  recall(project(rnd, raw_g), project(rnd, raw_q));
  for (double alpha : a.alphas) {
    auto p = fit(raw_g, a.params.id(), alpha, a.eps);
    char name[96];
    std::snprintf(name, sizeof name, "classic + PCA-512 fitted on gallery (alpha %.2f)", alpha);
    std::printf("  %-44s ", name);
    recall(project(p, raw_g), project(p, raw_q), true);
  }
  if (const char* dir = std::getenv("EVAL_DEBUG_DIR"); dir && !failures.empty()) {
    // Rows: query | its prepared crop | true product crop | wrongly retrieved product crop.
    const int t = 96;
    cv::Mat m(t * static_cast<int>(failures.size()), 4 * t, CV_8UC3, cv::Scalar(255, 255, 255));
    for (std::size_t r = 0; r < failures.size(); ++r) {
      auto [qi, gi] = failures[r];
      cv::Mat q;
      cv::resize(queries[qi], q, cv::Size(t, t));
      q.copyTo(m(cv::Rect(0, r * t, t, t)));
      auto prep = [&](const cv::Mat& im) {
        return ensemble::embed::detail::prepare_crop(im, cv::Mat(), t, a.params.bg_fill, a.params.balance != 0);
      };
      prep(queries[qi]).copyTo(m(cv::Rect(t, r * t, t, t)));
      prep(gallery[qi]).copyTo(m(cv::Rect(2 * t, r * t, t, t)));
      prep(gallery[gi]).copyTo(m(cv::Rect(3 * t, r * t, t, t)));
    }
    cv::imwrite((fs::path(dir) / "retrieval_failures.png").string(), m);
  }
}

void task_catalog(const Args& a) {
  if (a.catalog.empty() || !fs::exists(a.catalog / "products")) {
    std::printf("catalog: no --catalog DIR with products/ (make one with `ensemble sample --out DIR`), skipped\n");
    return;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(a.catalog / "products"))
    if (e.path().extension() == ".jpg") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (a.catalog_n > 0 && static_cast<int>(files.size()) > a.catalog_n) files.resize(a.catalog_n);
  const int n = static_cast<int>(files.size());
  if (n < 20) throw std::runtime_error("catalog: too few product images in " + a.catalog.string());
  // Queries: an even spread of the gallery, augmented.
  const int nq = std::min(a.retrieval_n, n);
  std::vector<int> truth(nq);
  for (int i = 0; i < nq; ++i) truth[i] = static_cast<int>(static_cast<std::int64_t>(i) * n / nq);
  // The gallery is decoded and described in chunks; only the query sources stay decoded.
  auto t0 = Clock::now();
  Embeddings raw_g(n, a.params.dim());
  std::vector<cv::Mat> sources(nq);
  const int chunk = 2048;
  for (int start = 0; start < n; start += chunk) {
    const int m = std::min(chunk, n - start);
    std::vector<cv::Mat> ims(m);
    ensemble::parallel_for(m, a.threads, [&](std::int64_t i) { ims[i] = cv::imread(files[start + i].string(), cv::IMREAD_COLOR); });
    auto raw = ensemble::embed::detail::describe_batch(ims, {}, a.params, a.threads);
    std::copy(raw.values.begin(), raw.values.end(), raw_g.row(start));
    for (int i = 0; i < nq; ++i)
      if (truth[i] >= start && truth[i] < start + m) sources[i] = ims[truth[i] - start];
  }
  const double describe_s = seconds_since(t0);
  std::mt19937 rng(13);
  std::vector<cv::Mat> queries(nq);
  for (int i = 0; i < nq; ++i) queries[i] = augment(sources[i], rng);
  // Each query is searched as `ensemble search` does: the mean of its views' embeddings (query_views.h).
  const int nv = static_cast<int>(ensemble::embed::view_angles(a.views).size());
  ensemble::embed::QueryViewOptions views_opt = a.views;
  if (views_opt.max_side <= 0) views_opt.max_side = ensemble::embed::view_side(a.params.prepare_side());  // as search
  std::vector<cv::Mat> views;
  for (int i = 0; i < nq; ++i) {
    for (auto& v : ensemble::embed::query_views(queries[i], views_opt)) views.push_back(std::move(v));
  }
  auto raw_q = ensemble::embed::detail::describe_batch(views, {}, a.params, a.threads);
  // The projection as `ensemble run` fits it: an even spread of at most 20,000 catalog photos.
  const int fit_n = std::min(n, 20000);
  FitOptions fo;
  fo.eps_rel = a.eps;
  fo.whiten_alpha = a.alphas.front();
  ProjectionFitter fitter(a.params.id(), raw_g.dim, fo);
  for (int i = 0; i < fit_n; ++i) fitter.add(raw_g.row(static_cast<std::int64_t>(i) * n / fit_n), 1);
  auto t_fit = Clock::now();
  Projection p = fitter.finish();
  const double fit_s = seconds_since(t_fit);
  Embeddings g = project(p, raw_g), q = project(p, raw_q);
  Embeddings combined(nq, g.dim);
  for (int i = 0; i < nq; ++i) {
    const std::vector<float> c = ensemble::embed::combine_views(
        {q.row(static_cast<std::int64_t>(i) * nv), static_cast<std::size_t>(nv) * g.dim}, g.dim);
    std::copy(c.begin(), c.end(), combined.row(i));
  }
  std::vector<float> sims(static_cast<std::size_t>(nq) * n);
  ensemble::gemm::nt(nq, n, g.dim, combined.values.data(), g.dim, g.values.data(), g.dim, 0.0f, sims.data(), n);
  int r1 = 0, r10 = 0, r100 = 0;
  std::vector<std::pair<int, int>> failures;  // (query, wrongly retrieved product)
  for (int i = 0; i < nq; ++i) {
    const float* s = sims.data() + static_cast<std::size_t>(i) * n;
    int rank = 0;
    for (int j = 0; j < n; ++j) rank += s[j] > s[truth[i]];
    r10 += rank < 10;
    r100 += rank < 100;
    // As search ranks its top 10: each hit's better cosine to the views' mean or the photo alone.
    std::vector<int> top(n);
    std::iota(top.begin(), top.end(), 0);
    const int k = std::min(10, n);
    std::partial_sort(top.begin(), top.begin() + k, top.end(), [&](int x, int y) { return s[x] > s[y]; });
    top.resize(k);
    const float* photo = q.row(static_cast<std::int64_t>(i) * nv);
    std::vector<std::pair<float, int>> rescored;
    for (const int j : top) {
      float dot = 0;
      for (int d = 0; d < g.dim; ++d) dot += photo[d] * g.row(j)[d];
      rescored.push_back({nv > 1 ? std::max(s[j], dot) : s[j], j});
    }
    std::stable_sort(rescored.begin(), rescored.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    r1 += rescored.front().second == truth[i];
    if (rescored.front().second != truth[i] && failures.size() < 24) failures.push_back({i, rescored.front().second});
  }
  if (std::getenv("EVAL_DEBUG_DIR")) {
    for (auto [qi, gi] : failures)
      std::printf("  failure: query of %s -> %s\n", files[truth[qi]].filename().c_str(), files[gi].filename().c_str());
  }
  if (const char* dir = std::getenv("EVAL_DEBUG_DIR"); dir && !failures.empty()) {
    // Rows: query | its prepared crop | true product, prepared | wrongly retrieved product, prepared.
    const int t = 96;
    cv::Mat m(t * static_cast<int>(failures.size()), 4 * t, CV_8UC3, cv::Scalar(255, 255, 255));
    auto prep = [&](const cv::Mat& im) {
      return ensemble::embed::detail::prepare_crop(im, cv::Mat(), t, a.params.bg_fill, a.params.balance != 0);
    };
    for (std::size_t r = 0; r < failures.size(); ++r) {
      auto [qi, gi] = failures[r];
      const int y = static_cast<int>(r) * t;
      cv::Mat q;
      cv::resize(queries[qi], q, cv::Size(t, t));
      q.copyTo(m(cv::Rect(0, y, t, t)));
      prep(queries[qi]).copyTo(m(cv::Rect(t, y, t, t)));
      prep(sources[qi]).copyTo(m(cv::Rect(2 * t, y, t, t)));
      prep(cv::imread(files[gi].string(), cv::IMREAD_COLOR)).copyTo(m(cv::Rect(3 * t, y, t, t)));
    }
    cv::imwrite((fs::path(dir) / "catalog_failures.png").string(), m);
  }
  std::printf("  Recall@100 %.3f (the candidates a re-ranker would see)\n", double(r100) / nq);
  std::printf("catalog: %d sample products (%s), %d augmented queries, projection fitted on %d (%.1f s)\n", n,
              a.catalog.c_str(), nq, fit_n, fit_s);
  std::printf("  classic + fitted PCA-512: Recall@1 %.3f (target 0.90)   Recall@10 %.3f (target 0.98)\n",
              double(r1) / nq, double(r10) / nq);
  std::printf("  RESULT catalog_recall1=%.4f catalog_recall10=%.4f gallery=%d queries=%d describe_s=%.1f\n",
              double(r1) / nq, double(r10) / nq, n, nq, describe_s);
}

void task_speed(const Args& a) {
  if (!fs::exists(a.fmnist / "t10k-images-idx3-ubyte.gz")) {
    std::printf("speed: Fashion-MNIST not found, skipped\n");
    return;
  }
  Mnist test = load_mnist(a.fmnist, "t10k");
  std::mt19937 rng(11);
  std::vector<std::vector<uchar>> jpegs;
  for (int i = 0; i < a.speed_n; ++i) {
    std::vector<uchar> buf;
    cv::imencode(".jpg", make_product(test.images[i % test.images.size()], rng), buf, {cv::IMWRITE_JPEG_QUALITY, 90});
    jpegs.push_back(std::move(buf));
  }
  std::vector<cv::Mat> sample;
  for (int i = 0; i < 512; ++i) sample.push_back(cv::imdecode(jpegs[i % jpegs.size()], cv::IMREAD_COLOR));
  auto shared = std::make_shared<const Projection>(ensemble::embed::fit_classic_projection(sample, {}, {}, a.threads));
  ensemble::embed::ClassicEmbedder embedder(a.threads, shared);
  auto t0 = Clock::now();
  const int batch = 256;
  double decode_s = 0;
  for (int start = 0; start < a.speed_n; start += batch) {
    // Decode in parallel too, as the embed stage should (cv::imdecode is thread-safe).
    auto td = Clock::now();
    std::vector<cv::Mat> ims(std::min(a.speed_n, start + batch) - start);
    ensemble::parallel_for(static_cast<std::int64_t>(ims.size()), a.threads, [&](std::int64_t i) {
      ims[i] = cv::imdecode(jpegs[start + i], cv::IMREAD_COLOR);
    });
    decode_s += seconds_since(td);
    auto e = embedder.embed(ims);
    if (e.rows != static_cast<std::int64_t>(ims.size())) std::abort();
  }
  double total = seconds_since(t0);
  std::printf("speed: %d products 160x160 JPEG, threads %d: %.3f ms/product (of which decoding %.3f); "
              "44,000 products -> %.1f s\n",
              a.speed_n, a.threads, 1e3 * total / a.speed_n, 1e3 * decode_s / a.speed_n, total / a.speed_n * 44000);
  // A search query, one at a time as `ensemble search --image` makes it: decode, the photo's views
  // (search's defaults), their embeddings on one thread, the combined vector.
  ensemble::embed::ClassicEmbedder one_thread(1, shared);
  ensemble::embed::QueryViewOptions views = a.views;
  if (views.max_side <= 0) views.max_side = ensemble::embed::view_side(one_thread.input_side());
  std::vector<double> ms;
  for (int i = 0; i < std::min(a.speed_n, 500); ++i) {
    const auto tq = Clock::now();
    const cv::Mat photo = cv::imdecode(jpegs[i], cv::IMREAD_COLOR);
    const auto e = one_thread.embed(ensemble::embed::query_views(photo, views));
    if (ensemble::embed::combine_views(e.values, e.dim).empty()) std::abort();
    ms.push_back(1e3 * seconds_since(tq));
  }
  std::sort(ms.begin(), ms.end());
  std::printf("speed: one query (decode + %d views embedded on one thread + combined): p50 %.3f ms, p95 %.3f ms\n",
              static_cast<int>(ensemble::embed::view_angles(views).size()), ms[ms.size() / 2], ms[ms.size() * 95 / 100]);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  const char* shared = std::getenv("ENSEMBLE_SHARED_DIR");
  a.cc0 = fs::path(shared ? shared : "../shared") / "data" / "clothing-cc0";
  if (!fs::exists(a.cc0) && fs::exists("/work/shared/data/clothing-cc0")) a.cc0 = "/work/shared/data/clothing-cc0";
  try {
    for (int i = 1; i < argc; ++i) {
      std::string k = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(k + " needs a value");
        return argv[++i];
      };
      if (k == "--tasks") a.tasks = split(next(), ',');
      else if (k == "--cc0") a.cc0 = next();
      else if (k == "--fmnist") a.fmnist = next();
      else if (k == "--threads") a.threads = std::stoi(next());
      else if (k == "--set") set_param(a.params, next());
      else if (k == "--alpha") {
        a.alphas.clear();
        for (auto& s : split(next(), ',')) a.alphas.push_back(std::stod(s));
      } else if (k == "--eps") a.eps = std::stod(next());
      else if (k == "--fmnist-train") a.fmnist_train = std::stoi(next());
      else if (k == "--retrieval-n") a.retrieval_n = std::stoi(next());
      else if (k == "--speed-n") a.speed_n = std::stoi(next());
      else if (k == "--catalog") a.catalog = next();
      else if (k == "--catalog-n") a.catalog_n = std::stoi(next());
      else if (k == "--query-views") a.views.per_side = std::stoi(next());
      else if (k == "--view-step") a.views.step_degrees = std::stod(next());
      else if (k == "--view-side") a.views.max_side = std::stoi(next());
      else if (k == "--dump-fmnist") a.dump_fmnist = next();
      else if (k == "--dump-cc0") a.dump_cc0 = next();
      else if (k == "--aug") g_aug = next();
      else {
        std::fprintf(stderr, "usage: see the comment at the top of bench/embed_eval.cc\n");
        return 1;
      }
    }
    std::printf("descriptor %s (%d dims), threads %d\n", a.params.id().c_str(), a.params.dim(), a.threads);
    for (const auto& t : a.tasks) {
      auto t0 = Clock::now();
      if (t == "cc0") task_cc0(a);
      else if (t == "fmnist") task_fmnist(a);
      else if (t == "retrieval") task_retrieval(a);
      else if (t == "speed") task_speed(a);
      else if (t == "catalog") task_catalog(a);
      else throw std::runtime_error("unknown task " + t);
      std::printf("  (%s took %.1f s)\n", t.c_str(), seconds_since(t0));
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_embed: %s\n", e.what());
    return 1;
  }
  return 0;
}
