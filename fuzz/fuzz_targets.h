// The fuzzed entry points, shared by the libFuzzer binaries (fuzz_*.cc) and the regression test that
// replays fuzz/corpus and fuzz/regressions in the normal suite (tests/hostile_fuzz_regressions_test.cc).
// Each returns normally for any input; a crash, a sanitizer report or an uncaught exception other
// than ensemble::Error is a bug.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ensemble::fuzz {

// Probes and decodes the bytes as an image under small limits (4 MP, 16 MiB) and checks the
// contract: either ensemble::Error, or an 8-bit BGR image no larger than the limits allow.
void image_load(const std::uint8_t* data, std::size_t size);

// Reads the bytes as a CSV with a small field limit and checks the reader's invariants (fields
// bounded, line numbers increasing, termination), and runs the import's per-field checks
// (UTF-8 validation, images-root containment) on every field.
void csv_reader(const std::uint8_t* data, std::size_t size);

}  // namespace ensemble::fuzz
