// Shared by runtime.cc (LibTorch) and runtime_stub.cc (no LibTorch): the process-wide defaults.
#pragma once

#include <cstdlib>
#include <mutex>
#include <string>

#include "ensemble/neural/runtime.h"

namespace ensemble::neural::detail {

inline std::mutex& defaults_mutex() {
  static std::mutex mu;
  return mu;
}

inline RuntimeOptions& defaults() {
  static RuntimeOptions d = [] {
    RuntimeOptions o;
    if (const char* dev = std::getenv("ENSEMBLE_DEVICE"); dev && *dev) o.device = dev;
    if (const char* t = std::getenv("ENSEMBLE_TORCH_THREADS"); t && *t) o.threads = std::atoi(t);
    return o;
  }();
  return d;
}

}  // namespace ensemble::neural::detail

namespace ensemble::neural {

inline RuntimeOptions default_runtime_impl() {
  std::lock_guard<std::mutex> lock(detail::defaults_mutex());
  return detail::defaults();
}

inline void set_default_runtime_impl(const RuntimeOptions& o) {
  std::lock_guard<std::mutex> lock(detail::defaults_mutex());
  detail::defaults() = o;
}

}  // namespace ensemble::neural
