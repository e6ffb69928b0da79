# Ensemble: the two commands of the README's quick start, and a few helpers.
#   make demo   install missing Debian packages, build (Release), generate the sample, run the pipeline
#   make test   install missing Debian packages, build, run the whole test suite (ctest)
BUILD     ?= build
BUILD_SAN ?= build-asan
JOBS      ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo demo-small test test-fast test-asan test-asan-all fuzz bench clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh

# The same, on the seconds-sized sample.
demo-small: build
	@ENSEMBLE_DEMO_SMALL=1 bash scripts/demo.sh

# The sanitizer pass first, so that ctest's summary of the whole suite is the last thing printed.
test: build
	@$(MAKE) --no-print-directory test-asan
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# AddressSanitizer + UBSan build of the lower modules (store, config, image, catalog, index) and
# their tests: the code that parses untrusted input and manages memory by hand.
ASAN_TESTS = ensemble_config_tests ensemble_image_tests ensemble_store_tests ensemble_recommend_tests \
             ensemble_catalog_tests ensemble_index_tests
# OpenCV is built without frame pointers: the slow unwinder gives leak reports real stacks, which the
# suppressions (tests/lsan.supp: OpenCV's one-time tables) need to match. print_suppressions=0: LSan
# otherwise prints its "Suppressions used" table on stderr at every exit, which the end-to-end tests
# read with the CLI's JSON output.
SAN_ENV = ASAN_OPTIONS=fast_unwind_on_malloc=0 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:fast_unwind_on_malloc=0:print_suppressions=0
test-asan: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DENSEMBLE_SANITIZE=ON \
	  -DENSEMBLE_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS) --target $(ASAN_TESTS)
	@cd $(BUILD_SAN) && export $(SAN_ENV) && for t in $(ASAN_TESTS); do \
	  find . -name $$t -type f -executable -exec {} --gtest_brief=1 \; || exit 1; done

# The whole test suite (every test binary, the end-to-end and crash-safety tests included) built
# with AddressSanitizer + UBSan. Slow (an hour or more on 2 cores); not part of `make test`.
test-asan-all: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DENSEMBLE_SANITIZE=ON \
	  -DENSEMBLE_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)
	@cd $(BUILD_SAN) && export $(SAN_ENV) && ctest --output-on-failure -j $(JOBS) --timeout 3600

# libFuzzer over the image loader and the CSV reader, FUZZ_SECONDS per target (docs/RELIABILITY.md).
# Needs clang and its runtime (Debian: clang, libclang-rt-14-dev), installed here when missing.
FUZZ_SECONDS ?= 60
BUILD_FUZZ   ?= build-fuzz
fuzz:
	@if ! command -v clang++ >/dev/null || \
	    [ ! -e "$$(clang++ -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-x86_64.a" ]; then \
	  apt-get install -y --no-install-recommends clang libclang-rt-14-dev; fi
	@CC=clang CXX=clang++ cmake -S fuzz -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS)
	@bash fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

# The benchmark suite (docs/BENCHMARKS.md): SCALE=small|reference|10x, BENCH_ARGS for more flags.
SCALE ?= reference
bench: build
	@BUILD=$(BUILD) bash scripts/bench.sh --scale $(SCALE) $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
