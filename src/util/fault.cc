#include "ensemble/util/fault.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <utility>

namespace ensemble::fault {
namespace {

struct State {
  std::mutex mu;
  bool armed = false;    // a kill spec is set
  bool tracing = false;  // ENSEMBLE_FAULT_TRACE is set
  std::string scope;     // the spec's scope ("" = any)
  std::string point;
  long target = 0;
  bool stop = false;
  long hits = 0;
  std::string current_scope;
  std::string trace_path;
  std::map<std::string, long> counts;  // "scope/point" -> hits (tracing only)
};

State& state() {
  static State* s = new State();  // never destroyed: used from atexit and late destructors
  return *s;
}

// 0 = not initialised, 1 = inactive, 2 = active (armed or tracing).
std::atomic<int> g_mode{0};

void write_trace() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  FILE* f = std::fopen(s.trace_path.c_str(), "a");
  if (f == nullptr) return;
  for (const auto& [k, n] : s.counts) std::fprintf(f, "%s %ld\n", k.c_str(), n);
  std::fclose(f);
}

int init() {
  static std::once_flag once;
  std::call_once(once, [] {
    State& s = state();
    if (const char* spec = std::getenv("ENSEMBLE_FAULT_KILL"); spec != nullptr && *spec != '\0') {
      std::string v = spec;
      if (v.size() > 5 && v.compare(v.size() - 5, 5, ":stop") == 0) {
        s.stop = true;
        v.resize(v.size() - 5);
      }
      const auto colon = v.rfind(':');
      if (colon != std::string::npos) {
        std::string name = v.substr(0, colon);
        s.target = std::strtol(v.c_str() + colon + 1, nullptr, 10);
        if (const auto slash = name.find('/'); slash != std::string::npos) {
          s.scope = name.substr(0, slash);
          name = name.substr(slash + 1);
        }
        s.point = name;
        s.armed = s.target > 0 && !s.point.empty();
      }
    }
    if (const char* trace = std::getenv("ENSEMBLE_FAULT_TRACE"); trace != nullptr && *trace != '\0') {
      s.trace_path = trace;
      s.tracing = true;
      std::atexit(write_trace);
    }
    g_mode.store(s.armed || s.tracing ? 2 : 1, std::memory_order_release);
  });
  return g_mode.load(std::memory_order_acquire);
}

}  // namespace

void maybe_kill(const char* point) {
  int mode = g_mode.load(std::memory_order_relaxed);
  if (mode == 0) mode = init();
  if (mode != 2) return;
  State& s = state();
  bool fire = false;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.tracing) ++s.counts[s.current_scope + "/" + point];
    if (s.armed && s.point == point && (s.scope.empty() || s.scope == s.current_scope)) {
      fire = ++s.hits == s.target;
    }
  }
  if (fire) ::raise(s.stop ? SIGSTOP : SIGKILL);
}

Scope::Scope(std::string name) {
  if (init() != 2) return;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  previous_ = std::exchange(s.current_scope, std::move(name));
}

Scope::~Scope() {
  if (g_mode.load(std::memory_order_relaxed) != 2) return;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.current_scope = std::move(previous_);
}

}  // namespace ensemble::fault
