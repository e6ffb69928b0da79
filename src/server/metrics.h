// Request counters and latency histograms for GET /metrics (Prometheus text format 0.0.4).
// Labels are route patterns ("/api/products/{id}"), never raw paths, so the label set stays small.
// Thread-safe: record() and render() may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace ensemble::server {

class Metrics {
 public:
  void record(const std::string& route, const std::string& method, int status, double seconds);
  void count_reload() { std::lock_guard lock(mu_); ++reloads_; }
  // Gauges are given by the caller at render time (index size, products, ...): name -> value.
  std::string render(const std::vector<std::pair<std::string, double>>& gauges) const;

 private:
  struct Histogram {
    std::vector<std::uint64_t> buckets;  // cumulative at render time; per-bucket here
    double sum = 0;
    std::uint64_t count = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::uint64_t reloads_ = 0;
};

}  // namespace ensemble::server
