#include "pipeline/stage_util.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <numeric>

#include "ensemble/image/image_loader.h"
#include "ensemble/segment/rle.h"
#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"

namespace ensemble::pipeline {

int worker_threads(const config::Config& config) {
  return resolve_threads(static_cast<int>(config.get_int("pipeline.threads")));
}

void append_column(std::string& out, const store::Statement& st, int col) {
  int bytes = 0;
  const void* p = st.column_blob_ptr(col, &bytes);
  out.append(reinterpret_cast<const char*>(&bytes), sizeof bytes);
  if (bytes > 0) out.append(static_cast<const char*>(p), static_cast<size_t>(bytes));
}

std::string fingerprint(std::initializer_list<std::string> parts) {
  std::string joined;
  for (const auto& p : parts) {
    joined += p;
    joined.push_back('\x1f');
  }
  return sha256_hex(joined);
}

std::optional<ItemState> item_state(store::Database& db, const std::string& stage,
                                    const std::string& item_id) {
  auto st = db.prepare("SELECT fingerprint, status FROM stage_items WHERE stage = ? AND item_id = ?");
  st.bind(1, stage).bind(2, item_id);
  if (!st.step()) return std::nullopt;
  return ItemState{st.column_text(0), st.column_text(1)};
}

void set_item_state(store::Database& db, const std::string& stage, const std::string& item_id,
                    const std::string& fp, const std::string& status, const std::string& detail,
                    std::int64_t run_id) {
  db.prepare(
        "INSERT INTO stage_items (stage, item_id, fingerprint, status, detail, run_id)"
        " VALUES (?,?,?,?,?,?) ON CONFLICT(stage, item_id) DO UPDATE SET"
        " fingerprint = excluded.fingerprint, status = excluded.status,"
        " detail = excluded.detail, run_id = excluded.run_id")
      .bind(1, stage)
      .bind(2, item_id)
      .bind(3, fp)
      .bind(4, status)
      .bind(5, detail)
      .bind(6, run_id)
      .run();
}

cv::Mat load_media_image(store::Store& store, const std::string& sha, const std::string& ext) {
  return image::load_image(store.media().path_for(sha, ext));
}

std::string mask_to_blob(const cv::Mat& mask) {
  const segment::Rle rle = segment::rle_encode(mask);
  std::vector<std::uint32_t> words;
  words.reserve(rle.counts.size() + 2);
  words.push_back(static_cast<std::uint32_t>(rle.height));
  words.push_back(static_cast<std::uint32_t>(rle.width));
  words.insert(words.end(), rle.counts.begin(), rle.counts.end());
  return std::string(reinterpret_cast<const char*>(words.data()), words.size() * 4);
}

cv::Mat mask_from_blob(const void* data, int bytes) {
  if (bytes < 8 || bytes % 4 != 0) throw Error(ErrorCode::kBadInput, "corrupt region mask");
  std::vector<std::uint32_t> words(static_cast<size_t>(bytes) / 4);
  std::memcpy(words.data(), data, static_cast<size_t>(bytes));
  segment::Rle rle;
  rle.height = static_cast<int>(words[0]);
  rle.width = static_cast<int>(words[1]);
  rle.counts.assign(words.begin() + 2, words.end());
  return segment::rle_decode(rle);
}

nlohmann::json distribution(std::vector<std::int64_t> v) {
  if (v.empty()) return {{"n", 0}};
  std::sort(v.begin(), v.end());
  auto q = [&](double p) { return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5)]; };
  const double mean = static_cast<double>(std::accumulate(v.begin(), v.end(), std::int64_t{0})) /
                      static_cast<double>(v.size());
  return {{"n", v.size()}, {"min", v.front()}, {"median", q(0.5)}, {"p95", q(0.95)},
          {"max", v.back()}, {"mean", mean}};
}

}  // namespace ensemble::pipeline
