# Ensemble: the two commands of the README's quick start, and a few helpers.
#   make demo   install missing Debian packages, build (Release), generate the sample, run the pipeline
#   make test   install missing Debian packages, build, run the whole test suite (ctest)
BUILD     ?= build
BUILD_SAN ?= build-asan
JOBS      ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo demo-small test test-fast test-asan bench clean

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
test-asan: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DENSEMBLE_SANITIZE=ON \
	  -DENSEMBLE_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS) --target $(ASAN_TESTS)
	@cd $(BUILD_SAN) && for t in $(ASAN_TESTS); do \
	  find . -name $$t -type f -executable -exec {} --gtest_brief=1 \; || exit 1; done

bench: build
	@bash scripts/bench.sh

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
