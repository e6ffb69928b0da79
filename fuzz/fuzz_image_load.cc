// libFuzzer target: image probing and decoding under limits (src/image). See fuzz/README.md.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ensemble::fuzz::image_load(data, size);
  return 0;
}
