// bench_neural: the LibTorch backends (random-weight, real-shaped models) against the classic ones.
//   bench_neural [--benchmark_filter=...]      (OMP_WAIT_POLICY=PASSIVE before starting for >1 thread)
// Models are written once per process into a temporary folder (the SAM ViT-B-shaped encoder is
// ~350 MB). Figures in docs/MODELS.md ("Speed").
#include <benchmark/benchmark.h>

#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <random>
#include <unistd.h>
#include <vector>

#include "ensemble/embed/embedder.h"
#include "ensemble/neural/runtime.h"
#include "ensemble/segment/segmenter.h"
#include "neural/testing/tiny_models.h"
#include "segment/torch_sam_model.h"

namespace {

namespace fs = std::filesystem;
namespace nt = ensemble::neural::testing;

struct Models {
  fs::path dir = fs::temp_directory_path() / ("ensemble_neural_bench_" + std::to_string(getpid()));
  fs::path clip, sam;
  Models() {
    clip = nt::write_vit_b32_clip(dir / "clip");
    sam = nt::write_vit_b_sam(dir / "sam");
  }
  ~Models() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Models& models() {
  static Models m;
  return m;
}

// A lookbook-like photo: a few soft coloured shapes on a grey-beige background.
cv::Mat photo(int seed, cv::Size size = {640, 480}) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> c(30, 220);
  cv::Mat m(size, CV_8UC3, cv::Scalar(190, 200, 210));
  for (int i = 0; i < 4; ++i) {
    cv::ellipse(m, cv::Point(80 + 150 * i, 240), cv::Size(50, 120), 0, 0, 360, cv::Scalar(c(rng), c(rng), c(rng)),
                cv::FILLED);
  }
  cv::GaussianBlur(m, m, cv::Size(5, 5), 0);
  return m;
}

// Image tower throughput. Args: batch, LibTorch threads.
void BM_ClipVitB32Images(benchmark::State& state) {
  ensemble::embed::EmbedderOptions o;
  o.batch_size = static_cast<int>(state.range(0));
  o.neural_threads = static_cast<int>(state.range(1));
  o.threads = 1;
  const auto e = ensemble::embed::make_embedder("clip:" + models().clip.string(), o);
  std::vector<cv::Mat> batch;
  for (int i = 0; i < state.range(0); ++i) batch.push_back(photo(i, {224, 300}));
  // TorchScript's profiling executor optimises a graph during its first calls: warm up first.
  for (int i = 0; i < 2; ++i) e->embed(batch);
  for (auto _ : state) benchmark::DoNotOptimize(e->embed(batch).values.data());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ClipVitB32Images)->Args({1, 1})->Args({8, 1})->Args({8, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// The classic default on the same inputs (one thread).
void BM_ClassicImages(benchmark::State& state) {
  ensemble::embed::EmbedderOptions o;
  o.threads = 1;
  const auto e = ensemble::embed::make_embedder("classic", o);
  std::vector<cv::Mat> batch;
  for (int i = 0; i < state.range(0); ++i) batch.push_back(photo(i, {224, 300}));
  for (auto _ : state) benchmark::DoNotOptimize(e->embed(batch).values.data());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ClassicImages)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();

// SAM ViT-B-shaped image encoder, one 640 × 480 photo (resized to 1024 and padded). Arg: threads.
void BM_SamVitBEncode(benchmark::State& state) {
  ensemble::neural::RuntimeOptions rt;
  rt.threads = static_cast<int>(state.range(0));
  const auto model = ensemble::segment::load_torch_sam_model(models().sam, rt);
  const cv::Mat img = photo(1);
  model->encode(img);  // warm-up (the load's dry run was the first call)
  for (auto _ : state) benchmark::DoNotOptimize(model->encode(img).get());
}
BENCHMARK(BM_SamVitBEncode)->Arg(1)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// One decoder call of 64 points on a 640 × 480 photo: the (tiny) decoder network plus what every
// decoder call costs here, the post-processing of 192 low-res masks to image size.
void BM_SamDecode64Points(benchmark::State& state) {
  ensemble::neural::RuntimeOptions rt;
  rt.threads = 1;
  const fs::path dir = models().dir / "tiny_sam";
  const auto model = ensemble::segment::load_torch_sam_model(nt::write_tiny_sam(dir), rt);
  const cv::Mat img = photo(1);
  const auto emb = model->encode(img);
  std::vector<cv::Point2f> points;
  for (int i = 0; i < 64; ++i) points.emplace_back(40.f + 70.f * (i % 8), 30.f + 55.f * (i / 8));
  for (int i = 0; i < 2; ++i) model->decode(*emb, points);
  for (auto _ : state) benchmark::DoNotOptimize(model->decode(*emb, points).logits.data());
}
BENCHMARK(BM_SamDecode64Points)->Unit(benchmark::kMillisecond)->UseRealTime();

// The classic segmenter on the same photo, for scale.
void BM_ClassicSegment(benchmark::State& state) {
  const auto seg = ensemble::segment::make_segmenter("classic");
  const cv::Mat img = photo(1);
  for (auto _ : state) benchmark::DoNotOptimize(seg->segment(img).regions.size());
}
BENCHMARK(BM_ClassicSegment)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
