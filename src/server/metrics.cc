#include "server/metrics.h"

#include <array>
#include <cstdio>

namespace ensemble::server {

namespace {

constexpr std::array<double, 12> kBounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25,  0.5,   1,    2.5,   5,    10};

// Label values are route patterns and methods we chose; escape anyway (\ " and newline).
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void Metrics::record(const std::string& route, const std::string& method, int status,
                     double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  auto& h = latency_[route];
  if (h.buckets.empty()) h.buckets.assign(kBounds.size(), 0);
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) {
      ++h.buckets[i];
      break;
    }
  }
  h.sum += seconds;
  ++h.count;
}

std::string Metrics::render(const std::vector<std::pair<std::string, double>>& gauges) const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP ensemble_http_requests_total HTTP requests by route pattern, method and status.\n";
  out += "# TYPE ensemble_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out += "ensemble_http_requests_total{route=\"" + escape(route) + "\",method=\"" +
           escape(method) + "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) +
           "\n";
  }
  out += "# HELP ensemble_http_request_duration_seconds Time from routing to response, by route.\n";
  out += "# TYPE ensemble_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    const std::string r = escape(route);
    std::uint64_t cum = 0;
    for (size_t i = 0; i < kBounds.size(); ++i) {
      cum += h.buckets[i];
      out += "ensemble_http_request_duration_seconds_bucket{route=\"" + r + "\",le=\"" +
             number(kBounds[i]) + "\"} " + std::to_string(cum) + "\n";
    }
    out += "ensemble_http_request_duration_seconds_bucket{route=\"" + r + "\",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += "ensemble_http_request_duration_seconds_sum{route=\"" + r + "\"} " + number(h.sum) + "\n";
    out += "ensemble_http_request_duration_seconds_count{route=\"" + r + "\"} " +
           std::to_string(h.count) + "\n";
  }
  out += "# TYPE ensemble_snapshot_reloads_total counter\n";
  out += "ensemble_snapshot_reloads_total " + std::to_string(reloads_) + "\n";
  for (const auto& [name, v] : gauges) {
    out += "# TYPE " + name + " gauge\n" + name + " " + number(v) + "\n";
  }
  return out;
}

}  // namespace ensemble::server
