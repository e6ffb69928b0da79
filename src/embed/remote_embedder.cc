#include "ensemble/embed/remote_embedder.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "embed/base64.h"
#include "embed/classic_descriptor.h"
#include "embed/crop.h"
#include "ensemble/util/parallel.h"
#include "ensemble/util/error.h"

namespace ensemble::embed {
namespace {

constexpr int kWireVersion = 1;

std::string excerpt(std::string_view s, std::size_t max = 200) {
  std::string out(s.substr(0, max));
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  if (s.size() > max) out += "...";
  return out;
}

// The endpoint's own message when its body is {"error": "..."} (or {"error": {"message": ...}}).
std::string endpoint_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_string()) return e.get<std::string>();
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
  }
  return excerpt(body);
}

std::chrono::microseconds to_us(double seconds) {
  return std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6));
}

}  // namespace

RemoteEmbedder::RemoteEmbedder(std::string url, RemoteOptions options, int threads)
    : url_(std::move(url)), options_(std::move(options)), threads_(threads) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument, "remote embedder '" + url_ + "': " + why);
  };
  std::size_t scheme_end = url_.find("://");
  if (scheme_end == std::string::npos || (url_.compare(0, scheme_end, "http") != 0 && url_.compare(0, scheme_end, "https") != 0)) {
    throw bad("the URL must start with http:// or https://");
  }
  if (url_.find_first_of("# \t\r\n") != std::string::npos) throw bad("the URL may not contain '#' or spaces");
  std::size_t path_start = url_.find('/', scheme_end + 3);
  scheme_host_port_ = url_.substr(0, path_start);
  path_ = path_start == std::string::npos ? "/" : url_.substr(path_start);
  if (scheme_host_port_.size() <= scheme_end + 3) throw bad("the URL has no host");
  if (options_.dim < 1 || options_.dim > 65536) throw bad("dim must be in 1..65536");
  if (options_.batch_size < 1) throw bad("batch_size must be at least 1");
  if (options_.max_retries < 0) throw bad("max_retries must be >= 0");
  if (!(options_.timeout_s > 0) || !(options_.connect_timeout_s > 0)) throw bad("timeouts must be positive");
  if (options_.backoff_initial_s < 0 || options_.backoff_max_s < options_.backoff_initial_s) throw bad("bad backoff");
  if (options_.image_side < 16 || options_.image_side > 4096) throw bad("image_side must be in 16..4096");
  if (options_.image_format != "jpeg" && options_.image_format != "png") throw bad("image_format must be jpeg or png");
}

std::string RemoteEmbedder::id() const {
  return "remote:" + url_ + "#v" + std::to_string(kWireVersion) + "#dim=" + std::to_string(options_.dim) +
         "#in=" + options_.image_format + std::to_string(options_.image_side);
}

Embeddings RemoteEmbedder::embed(std::span<const cv::Mat> images, std::span<const cv::Mat> masks) const {
  detail::check_batch(images, masks);
  const std::int64_t n = static_cast<std::int64_t>(images.size());
  // Prepare and encode every crop first (parallel), so a bad image fails before any request.
  std::vector<std::string> encoded(n);
  const std::string ext = options_.image_format == "png" ? ".png" : ".jpg";
  const std::vector<int> params = options_.image_format == "png"
                                      ? std::vector<int>{cv::IMWRITE_PNG_COMPRESSION, 3}
                                      : std::vector<int>{cv::IMWRITE_JPEG_QUALITY, options_.jpeg_quality};
  parallel_for(n, threads_, [&](std::int64_t i) {
    cv::Mat crop = detail::prepare_crop(images[i], detail::mask_at(masks, i), options_.image_side);
    std::vector<uchar> buf;
    if (!cv::imencode(ext, crop, buf, params)) throw Error(ErrorCode::kInternal, "remote embedder: cannot encode a crop");
    encoded[i] = detail::base64_encode(std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
  });

  httplib::Client client(scheme_host_port_);
  client.set_connection_timeout(to_us(options_.connect_timeout_s));
  client.set_read_timeout(to_us(options_.timeout_s));
  client.set_write_timeout(to_us(options_.timeout_s));
  client.set_keep_alive(true);
  if (!options_.bearer_token.empty()) client.set_bearer_token_auth(options_.bearer_token);
  std::mt19937 jitter_rng(std::random_device{}());

  Embeddings out(n, options_.dim);
  for (std::int64_t start = 0; start < n; start += options_.batch_size) {
    const std::int64_t count = std::min<std::int64_t>(options_.batch_size, n - start);
    nlohmann::json request = {{"model_input", "image"}, {"format", options_.image_format}, {"dim", options_.dim}};
    auto& list = request["images"] = nlohmann::json::array();
    for (std::int64_t i = 0; i < count; ++i) list.push_back(std::move(encoded[start + i]));
    const std::string body = request.dump();
    request = nullptr;

    std::string response_body;
    double backoff = options_.backoff_initial_s;
    const int attempts = options_.max_retries + 1;
    for (int attempt = 1;; ++attempt) {
      std::string failure;
      auto res = client.Post(path_, body, "application/json");
      if (!res) {
        failure = httplib::to_string(res.error());
        if (res.error() == httplib::Error::Read || res.error() == httplib::Error::Write) failure += " (timeout or connection dropped)";
      } else if (res->status == 200) {
        response_body = std::move(res->body);
        break;
      } else if (res->status == 429 || res->status >= 500) {
        failure = "HTTP " + std::to_string(res->status) + ": " + endpoint_message(res->body);
      } else {
        throw Error(ErrorCode::kIo, "embedding endpoint " + url_ + " rejected the request with HTTP " +
                                        std::to_string(res->status) + ": " + endpoint_message(res->body));
      }
      if (attempt >= attempts) {
        throw Error(ErrorCode::kIo, "embedding endpoint " + url_ + " failed after " + std::to_string(attempts) +
                                        " attempt(s): " + failure);
      }
      std::uniform_real_distribution<double> jitter(0.75, 1.25);
      std::this_thread::sleep_for(to_us(std::min(backoff, options_.backoff_max_s) * jitter(jitter_rng)));
      backoff *= 2;
      client.stop();  // a fresh connection for the retry
    }

    auto fail = [&](const std::string& why) {
      return Error(ErrorCode::kBadInput, "embedding endpoint " + url_ + " returned " + why);
    };
    nlohmann::json response = nlohmann::json::parse(response_body, nullptr, /*allow_exceptions=*/false);
    if (response.is_discarded()) throw fail("malformed JSON: " + excerpt(response_body));
    if (!response.is_object() || !response.contains("embeddings") || !response["embeddings"].is_array()) {
      throw fail("JSON without an \"embeddings\" array: " + excerpt(response_body));
    }
    const auto& rows = response["embeddings"];
    if (static_cast<std::int64_t>(rows.size()) != count) {
      throw fail(std::to_string(rows.size()) + " embeddings for " + std::to_string(count) + " images");
    }
    for (std::int64_t i = 0; i < count; ++i) {
      const auto& row = rows[i];
      if (!row.is_array() || static_cast<int>(row.size()) != options_.dim) {
        throw fail("an embedding of dimension " + std::to_string(row.is_array() ? row.size() : 0) + ", expected " +
                   std::to_string(options_.dim));
      }
      float* dst = out.row(start + i);
      for (int j = 0; j < options_.dim; ++j) {
        if (!row[j].is_number()) throw fail("a non-numeric value in embedding " + std::to_string(i));
        double v = row[j].get<double>();
        dst[j] = static_cast<float>(v);
        if (!std::isfinite(dst[j])) throw fail("a non-finite value in embedding " + std::to_string(i));
      }
    }
  }
  normalize_rows(out, "embedding from " + url_);
  return out;
}

}  // namespace ensemble::embed
