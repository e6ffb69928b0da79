// The one error model of Ensemble.
//
// Library code reports expected failures (bad input, missing files, corrupt data, a busy store) by
// throwing ensemble::Error with an ErrorCode and a message written for the user. Broken internal
// invariants use assert(). Only the faces (tools/ensemble CLI, the HTTP server) translate an Error
// into an exit code or an HTTP status, with exit_code_for() / http_status_for() below.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ensemble {

enum class ErrorCode {
  kInvalidArgument,  // the caller asked for something malformed (bad flag, unknown config key)
  kBadInput,         // user data is wrong: a CSV row, a corrupt image, a file over a limit
  kNotFound,         // a named thing (file, product, lookbook) does not exist
  kConflict,         // the store is busy (another run holds the lock) or a state forbids the action
  kTooLarge,         // an input exceeds a configured size limit
  kIo,               // the operating system failed us (disk full, permission denied)
  kInternal,         // a bug or an unexpected library failure
};

std::string_view to_string(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// Documented CLI exit codes: 0 ok, 1 usage, 2 bad input, 3 internal.
int exit_code_for(ErrorCode code);
// HTTP status for the server face.
int http_status_for(ErrorCode code);

}  // namespace ensemble
