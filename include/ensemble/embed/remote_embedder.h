// The "remote:URL" embedder: sends prepared crops to a model-serving HTTP endpoint (for example
// FashionCLIP behind an autoscaling service) and reads vectors back.
//
// Wire format (docs/EMBEDDINGS.md, "Remote wire format"): one POST per batch of up to batch_size
// crops, Content-Type application/json,
//   request   {"model_input": "image", "format": "jpeg", "dim": 512,
//              "images": ["<base64 JPEG or PNG>", ...]}
//   response  {"embeddings": [[f, f, ...], ...]}   (one row per image, same order)
// Rows are L2-normalised here, so the endpoint may return unnormalised vectors.
//
// Failures: connection errors, timeouts, HTTP 429 and 5xx are retried max_retries times with
// exponential backoff (initial, doubling, capped, ±25% jitter); then Error(kIo) naming the URL,
// the attempts and the last status/body excerpt. Other HTTP statuses (4xx) fail at once with
// Error(kIo). A 200 whose body is not the expected JSON, has the wrong number of rows, a row of
// the wrong dimension, or a non-finite or all-zero value fails with Error(kBadInput). Any failure
// fails the whole call: nothing partial is returned.
//
// Thread-safety: embed() is const and opens its own connection per call; safe to call
// concurrently. HTTPS works when the URL says https:// (cpp-httplib is built with OpenSSL).
#pragma once

#include <string>

#include "ensemble/embed/embedder.h"

namespace ensemble::embed {

class RemoteEmbedder final : public Embedder {
 public:
  // url: "http://host[:port]/path" or "https://...". Throws Error(kInvalidArgument) for a
  // malformed URL or out-of-range options (batch_size < 1, dim < 1, timeouts <= 0, ...).
  RemoteEmbedder(std::string url, RemoteOptions options = {}, int threads = 0);

  std::string id() const override;
  int dim() const override { return options_.dim; }
  int input_side() const override { return options_.image_side; }
  Embeddings embed(std::span<const cv::Mat> images,
                   std::span<const cv::Mat> masks = {}) const override;

  const std::string& url() const { return url_; }

 private:
  std::string url_;
  std::string scheme_host_port_;  // "http://host:port"
  std::string path_;              // "/embed"
  RemoteOptions options_;
  int threads_;
};

}  // namespace ensemble::embed
