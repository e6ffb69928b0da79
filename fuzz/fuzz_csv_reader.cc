// libFuzzer target: the catalog CSV reader and the import's per-field checks (src/catalog).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ensemble::fuzz::csv_reader(data, size);
  return 0;
}
