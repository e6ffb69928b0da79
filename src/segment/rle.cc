#include "ensemble/segment/rle.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "ensemble/util/error.h"

namespace ensemble::segment {

std::int64_t Rle::area() const {
  std::int64_t a = 0;
  for (std::size_t i = 1; i < counts.size(); i += 2) a += counts[i];
  return a;
}

namespace {

std::uint64_t load_word(const uchar* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Whether any of the word's 8 bytes is zero.
bool has_zero_byte(std::uint64_t v) {
  return ((v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL) != 0;
}

}  // namespace

Rle rle_encode(const cv::Mat& mask) {
  if (mask.type() != CV_8UC1) {
    throw Error(ErrorCode::kInvalidArgument, "rle_encode: expected a CV_8UC1 mask");
  }
  Rle rle;
  rle.height = mask.rows;
  rle.width = mask.cols;
  if (mask.empty()) {
    rle.counts.push_back(0);
    return rle;
  }
  // Column-major order is the transpose's row-major order: one contiguous scan, 8 bytes at a time
  // through a run (walking the columns of a row-major mask cost a sixth of the segment stage).
  cv::Mat t;
  cv::transpose(mask, t);
  const uchar* p = t.ptr<uchar>(0);
  const size_t n = t.total();
  size_t i = 0, start = 0;
  bool inside = false;
  while (i < n) {
    if (inside) {
      while (i + 8 <= n && !has_zero_byte(load_word(p + i))) i += 8;
      while (i < n && p[i] != 0) ++i;
    } else {
      while (i + 8 <= n && load_word(p + i) == 0) i += 8;
      while (i < n && p[i] == 0) ++i;
    }
    rle.counts.push_back(static_cast<std::uint32_t>(i - start));
    start = i;
    inside = !inside;
  }
  return rle;
}

namespace {

void check_counts(const Rle& rle) {
  if (rle.height < 0 || rle.width < 0) throw Error(ErrorCode::kBadInput, "RLE: negative size");
  std::uint64_t sum = 0;
  for (auto c : rle.counts) sum += c;
  const std::uint64_t pixels = static_cast<std::uint64_t>(rle.height) * static_cast<std::uint64_t>(rle.width);
  if (sum != pixels) {
    throw Error(ErrorCode::kBadInput, "RLE: counts sum to " + std::to_string(sum) + ", expected " +
                                          std::to_string(pixels) + " pixels");
  }
}

}  // namespace

cv::Mat rle_decode(const Rle& rle) {
  check_counts(rle);
  cv::Mat mask = cv::Mat::zeros(rle.height, rle.width, CV_8UC1);
  std::uint64_t pos = 0;
  for (std::size_t i = 0; i < rle.counts.size(); ++i) {
    const std::uint64_t end = pos + rle.counts[i];
    if (i % 2 == 1) {
      for (std::uint64_t p = pos; p < end; ++p) {
        mask.at<uchar>(static_cast<int>(p % rle.height), static_cast<int>(p / rle.height)) = 255;
      }
    }
    pos = end;
  }
  return mask;
}

std::string rle_to_json(const Rle& rle) {
  nlohmann::ordered_json j;
  j["size"] = {rle.height, rle.width};
  j["counts"] = rle.counts;
  return j.dump();
}

Rle rle_from_json(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorCode::kBadInput, std::string("RLE: malformed JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("size") || !j.contains("counts") || !j["size"].is_array() ||
      j["size"].size() != 2 || !j["counts"].is_array()) {
    throw Error(ErrorCode::kBadInput, "RLE: expected {\"size\": [h, w], \"counts\": [...]}");
  }
  Rle rle;
  try {
    rle.height = j["size"][0].get<int>();
    rle.width = j["size"][1].get<int>();
    for (const auto& c : j["counts"]) {
      if (!c.is_number_integer() || c.get<std::int64_t>() < 0 ||
          c.get<std::int64_t>() > static_cast<std::int64_t>(UINT32_MAX)) {
        throw Error(ErrorCode::kBadInput, "RLE: counts must be integers in [0, 2^32)");
      }
      rle.counts.push_back(c.get<std::uint32_t>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kBadInput, std::string("RLE: ") + e.what());
  }
  check_counts(rle);
  return rle;
}

}  // namespace ensemble::segment
