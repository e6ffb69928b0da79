// bench_embed: where the classic embedder's time goes, per 160×160 product photo.
//   bench_embed [--benchmark_filter=...]
// Figures in docs/EMBEDDINGS.md ("Speed").
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "embed/classic_descriptor.h"
#include "embed/crop.h"
#include "ensemble/embed/classic_embedder.h"
#include "ensemble/embed/query_views.h"

namespace {

using ensemble::embed::detail::DescriptorParams;

// A product-like photo: a soft-edged coloured garment shape with a stripe, on white, JPEG 90.
cv::Mat product(int seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> c(30, 220);
  cv::Mat m(160, 160, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::Scalar colour(c(rng), c(rng), c(rng));
  cv::ellipse(m, cv::Point(80, 85), cv::Size(45 + seed % 15, 65), 0, 0, 360, colour, cv::FILLED);
  cv::rectangle(m, cv::Rect(30, 30, 100, 25), colour, cv::FILLED);
  cv::line(m, cv::Point(40, 90), cv::Point(120, 90), cv::Scalar(c(rng), c(rng), c(rng)), 6);
  cv::GaussianBlur(m, m, cv::Size(3, 3), 0);
  std::vector<uchar> buf;
  cv::imencode(".jpg", m, buf, {cv::IMWRITE_JPEG_QUALITY, 90});
  return cv::imdecode(buf, cv::IMREAD_COLOR);
}

void BM_PrepareCrop(benchmark::State& state) {
  cv::Mat p = product(1);
  DescriptorParams params;
  for (auto _ : state) {
    cv::Mat crop = ensemble::embed::detail::prepare_crop(p, cv::Mat(), params.prepare_side(), params.bg_fill,
                                                         params.balance != 0);
    benchmark::DoNotOptimize(crop.data);
  }
}
BENCHMARK(BM_PrepareCrop);

// One block at a time (arg: 0 colour, 1 HOG (fine + coarse), 2 LBP, 3 thumbnail, 4 all).
void BM_DescriptorBlock(benchmark::State& state) {
  DescriptorParams params;
  const int which = static_cast<int>(state.range(0));
  if (which != 4) {
    params.w_colour = which == 0 ? 1.0f : 0.0f;
    params.w_hog = which == 1 ? 1.0f : 0.0f;
    params.w_lbp = which == 2 ? 1.0f : 0.0f;
    params.w_thumb = which == 3 ? 1.0f : 0.0f;
  }
  cv::Mat crop = ensemble::embed::detail::prepare_crop(product(2), cv::Mat(), params.prepare_side());
  std::vector<float> out(params.dim());
  for (auto _ : state) {
    ensemble::embed::detail::compute_descriptor(crop, params, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  static const char* names[] = {"colour", "hog", "lbp", "thumb", "all"};
  state.SetLabel(names[which]);
}
BENCHMARK(BM_DescriptorBlock)->DenseRange(0, 4);

// The whole embed() of a batch of 256 decoded products (arg: threads), fitted projection.
void BM_EmbedBatch(benchmark::State& state) {
  std::vector<cv::Mat> batch;
  for (int i = 0; i < 256; ++i) batch.push_back(product(i));
  const int threads = static_cast<int>(state.range(0));
  auto projection = std::make_shared<const ensemble::embed::Projection>(
      ensemble::embed::fit_classic_projection(batch, {}, {}, threads));
  ensemble::embed::ClassicEmbedder embedder(threads, projection);
  for (auto _ : state) {
    auto e = embedder.embed(batch);
    benchmark::DoNotOptimize(e.values.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
}
BENCHMARK(BM_EmbedBatch)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DecodeJpeg(benchmark::State& state) {
  std::vector<uchar> buf;
  cv::imencode(".jpg", product(3), buf, {cv::IMWRITE_JPEG_QUALITY, 90});
  for (auto _ : state) {
    cv::Mat m = cv::imdecode(buf, cv::IMREAD_COLOR);
    benchmark::DoNotOptimize(m.data);
  }
}
BENCHMARK(BM_DecodeJpeg);

}  // namespace

namespace {
// One image, one thread: the embedding half of an interactive query's latency.
void BM_EmbedOne(benchmark::State& state) {
  std::vector<cv::Mat> fit_set;
  for (int i = 0; i < 64; ++i) fit_set.push_back(product(i));
  auto projection = std::make_shared<const ensemble::embed::Projection>(ensemble::embed::fit_classic_projection(fit_set));
  ensemble::embed::ClassicEmbedder embedder(1, projection);
  std::vector<cv::Mat> one = {product(1000)};
  for (auto _ : state) benchmark::DoNotOptimize(embedder.embed(one).values.data());
}
BENCHMARK(BM_EmbedOne)->Unit(benchmark::kMicrosecond);

// An image query as search makes it (arg: rotated views each way, query_views.h): the views, their
// embeddings and the combined vector, one thread. Arg 0 is BM_EmbedOne's work.
void BM_EmbedQueryViews(benchmark::State& state) {
  static const auto projection = [] {  // fitted once: the setup would otherwise dominate a profile
    std::vector<cv::Mat> fit_set;
    for (int i = 0; i < 64; ++i) fit_set.push_back(product(i));
    return std::make_shared<const ensemble::embed::Projection>(ensemble::embed::fit_classic_projection(fit_set));
  }();
  ensemble::embed::ClassicEmbedder embedder(1, projection);
  const cv::Mat photo = product(1000);
  const ensemble::embed::QueryViewOptions views{static_cast<int>(state.range(0)), 6.0, ensemble::embed::view_side(embedder.input_side())};
  for (auto _ : state) {
    const auto e = embedder.embed(ensemble::embed::query_views(photo, views));
    benchmark::DoNotOptimize(ensemble::embed::combine_views(e.values, e.dim).data());
  }
}
BENCHMARK(BM_EmbedQueryViews)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
}  // namespace
