// bench_segment: the segmentation module's hot spots.
//   mask ops on 1024×1024 masks (RLE, IoU, SAM's stability score, holes/islands), box NMS, the
//   classical segmenter's superpixels, and a whole classic segmentation of a drawn 1024-px outfit.
// Run: build-*/bench/bench_segment [--benchmark_filter=Classic]
#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <random>

#include "ensemble/segment/mask_filters.h"
#include "ensemble/segment/rle.h"
#include "ensemble/segment/segmenter.h"
#include "segment/classic_internal.h"
#include "segment/graph_segmentation.h"

namespace {

using namespace ensemble::segment;

cv::Mat blob_mask(int side, int seed) {
  cv::Mat m = cv::Mat::zeros(side, side, CV_8UC1);
  std::mt19937 rng(static_cast<unsigned>(seed));
  for (int i = 0; i < 6; ++i) {
    cv::ellipse(m, cv::Point(static_cast<int>(rng() % side), static_cast<int>(rng() % side)),
                cv::Size(20 + static_cast<int>(rng() % (side / 4)), 20 + static_cast<int>(rng() % (side / 4))),
                static_cast<double>(rng() % 180), 0, 360, cv::Scalar(255), cv::FILLED);
  }
  return m;
}

// A figure wearing a striped top, trousers and a bag on a gradient backdrop, 1024 px tall.
cv::Mat outfit_image() {
  cv::Mat img(1024, 768, CV_8UC3);
  for (int y = 0; y < img.rows; ++y) img.row(y).setTo(cv::Scalar(180 + y * 40 / img.rows, 200, 210));
  cv::rectangle(img, cv::Rect(270, 180, 230, 260), cv::Scalar(40, 40, 200), cv::FILLED);
  for (int y = 180; y < 440; y += 24) cv::rectangle(img, cv::Rect(270, y, 230, 10), cv::Scalar(235, 235, 235), cv::FILLED);
  cv::rectangle(img, cv::Rect(300, 440, 170, 420), cv::Scalar(120, 60, 20), cv::FILLED);
  cv::rectangle(img, cv::Rect(520, 450, 110, 100), cv::Scalar(30, 180, 230), cv::FILLED);
  cv::circle(img, {385, 120}, 55, cv::Scalar(120, 150, 220), cv::FILLED);
  cv::Mat noise(img.size(), CV_8UC3);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(4));
  return img + noise;
}

void BM_RleEncode(benchmark::State& state) {
  const cv::Mat m = blob_mask(1024, 1);
  for (auto _ : state) benchmark::DoNotOptimize(rle_encode(m));
}
BENCHMARK(BM_RleEncode)->Unit(benchmark::kMillisecond);

void BM_RleDecode(benchmark::State& state) {
  const Rle r = rle_encode(blob_mask(1024, 1));
  for (auto _ : state) benchmark::DoNotOptimize(rle_decode(r));
}
BENCHMARK(BM_RleDecode)->Unit(benchmark::kMillisecond);

void BM_MaskIou(benchmark::State& state) {
  const cv::Mat a = blob_mask(1024, 1), b = blob_mask(1024, 2);
  for (auto _ : state) benchmark::DoNotOptimize(mask_iou(a, b));
}
BENCHMARK(BM_MaskIou)->Unit(benchmark::kMillisecond);

void BM_StabilityScore(benchmark::State& state) {
  cv::Mat logits;
  blob_mask(1024, 3).convertTo(logits, CV_32F, 20.0 / 255.0, -10.0);
  cv::GaussianBlur(logits, logits, cv::Size(0, 0), 4);
  for (auto _ : state) benchmark::DoNotOptimize(stability_score(logits, 0.f, 1.f));
}
BENCHMARK(BM_StabilityScore)->Unit(benchmark::kMillisecond);

void BM_RemoveSmallRegions(benchmark::State& state) {
  cv::Mat m = blob_mask(1024, 4);
  std::mt19937 rng(5);
  for (int i = 0; i < 200; ++i) m.at<uchar>(static_cast<int>(rng() % 1024), static_cast<int>(rng() % 1024)) ^= 255;
  for (auto _ : state) {
    bool changed = false;
    cv::Mat h = remove_small_regions(m, 500, SmallRegionMode::kHoles, &changed);
    benchmark::DoNotOptimize(remove_small_regions(h, 500, SmallRegionMode::kIslands, &changed));
  }
}
BENCHMARK(BM_RemoveSmallRegions)->Unit(benchmark::kMillisecond);

void BM_BoxNms(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937 rng(6);
  std::vector<cv::Rect> boxes(n);
  std::vector<float> scores(n);
  for (std::size_t i = 0; i < n; ++i) {
    boxes[i] = cv::Rect(static_cast<int>(rng() % 900), static_cast<int>(rng() % 900), 20 + static_cast<int>(rng() % 100),
                        20 + static_cast<int>(rng() % 100));
    scores[i] = static_cast<float>(rng() % 1000) / 1000.f;
  }
  for (auto _ : state) benchmark::DoNotOptimize(box_nms(boxes, scores, 0.7f));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_BoxNms)->Arg(192)->Arg(3072)->Unit(benchmark::kMicrosecond);

void BM_ClassicSuperpixelsAndHierarchies(benchmark::State& state) {
  cv::Mat work;
  cv::resize(outfit_image(), work, cv::Size(240, 320), 0, 0, cv::INTER_AREA);
  for (auto _ : state) {
    const classic::Features f = classic::make_features(work);
    benchmark::DoNotOptimize(classic::build_hierarchies(f));
  }
}
BENCHMARK(BM_ClassicSuperpixelsAndHierarchies)->Unit(benchmark::kMillisecond);

void BM_ClassicSegment1024(benchmark::State& state) {
  cv::setNumThreads(1);
  const cv::Mat img = outfit_image();
  const auto seg = make_segmenter("classic");
  int regions = 0;
  for (auto _ : state) regions = seg->segment(img).kept_count();
  state.counters["regions"] = regions;
}
BENCHMARK(BM_ClassicSegment1024)->Unit(benchmark::kMillisecond);

}  // namespace
