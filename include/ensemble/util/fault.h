// Deterministic fault injection for the crash-safety tests: kill (or stop) the process at the Nth
// hit of a named point, so a test can reproduce "kill -9 in the middle of stage X" exactly.
//
// Armed only by the environment; when ENSEMBLE_FAULT_KILL is unset, maybe_kill() is one relaxed
// atomic load (the spec is parsed once, at the first call).
//
//   ENSEMBLE_FAULT_KILL="[scope/]point:N[:stop]"
//     point  a name passed to maybe_kill(): "sql" (after every write statement, so also in the
//            middle of a transaction), "commit" (after every COMMIT), "media" (after a media file
//            is written, before the rows that reference it are committed).
//     scope  optional: count only hits while that scope is current (a pipeline stage name,
//            "import-catalog", "import-lookbooks"); without it every hit counts.
//     N      1-based hit number at which to act.
//     stop   raise SIGSTOP instead of SIGKILL (the concurrency test freezes a run holding the lock).
//   ENSEMBLE_FAULT_TRACE=FILE: at exit, append "scope/point count" lines for every point hit, so a
//     test can choose kill points inside the range a real run reaches.
//
// Thread-safe. Production code calls it only at points where dying is a real possibility anyway.
#pragma once

#include <string>

namespace ensemble::fault {

// Counts a hit of `point` in the current scope and raises SIGKILL (or SIGSTOP) when the armed spec
// says so.
void maybe_kill(const char* point);

// Sets the current scope for the lifetime of the object (scopes do not nest: the previous one is
// restored on destruction).
class Scope {
 public:
  explicit Scope(std::string name);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  std::string previous_;
};

}  // namespace ensemble::fault
