# Every third-party dependency, checked once with a message that names the Debian package.
# The list of packages itself lives in scripts/install-deps.sh.
include(FindPackageHandleStandardArgs)

macro(ensemble_require found pkg what)
  if(NOT ${found})
    message(FATAL_ERROR "Ensemble needs ${what}: install the Debian package '${pkg}' "
                        "(or run scripts/install-deps.sh as root).")
  endif()
endmacro()

find_package(Threads REQUIRED)
find_package(SQLite3 QUIET)
ensemble_require(SQLite3_FOUND libsqlite3-dev "SQLite 3")
find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs)
ensemble_require(OpenCV_FOUND libopencv-dev "OpenCV 4")
find_package(nlohmann_json 3 QUIET)
ensemble_require(nlohmann_json_FOUND nlohmann-json3-dev "nlohmann-json")
find_package(CLI11 QUIET)
ensemble_require(CLI11_FOUND libcli11-dev "CLI11")
find_package(spdlog QUIET)
ensemble_require(spdlog_FOUND libspdlog-dev "spdlog")
find_package(fmt QUIET)
ensemble_require(fmt_FOUND libfmt-dev "fmt")
find_package(ZLIB QUIET)
ensemble_require(ZLIB_FOUND zlib1g-dev "zlib")
find_package(OpenSSL QUIET COMPONENTS Crypto)
ensemble_require(OpenSSL_FOUND libssl-dev "OpenSSL libcrypto (SHA-256)")
find_package(PkgConfig QUIET)
ensemble_require(PkgConfig_FOUND pkg-config "pkg-config")
pkg_check_modules(TOMLPP QUIET IMPORTED_TARGET tomlplusplus)
ensemble_require(TOMLPP_FOUND libtomlplusplus-dev "toml++")
find_package(BLAS QUIET)
set(BLA_VENDOR OpenBLAS)
find_package(BLAS QUIET)
ensemble_require(BLAS_FOUND libopenblas-dev "OpenBLAS")
# BLIS computes the library's own matrix products (include/ensemble/util/gemm.h): it picks AVX2/FMA
# kernels from the CPU's features, where OpenBLAS 0.3.21 falls back to SSE3 on CPUs it does not know.
# Debian builds BLIS three ways (serial, pthreads, OpenMP) and picks the one that the shared name
# libblis.so.4 means through its alternatives, by priority: OpenMP when installed (libblis4 pulls it
# in), whose idle threads spin after each product and take the cores from the loops that follow it.
# The pthreads build is linked by its own path instead, and the build's RPATH points there.
find_path(BLIS_PTHREAD_INCLUDE_DIR blis-pthread/blis.h)
find_library(BLIS_PTHREAD_LIBRARY blis PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/blis-pthread NO_DEFAULT_PATH)
ensemble_require(BLIS_PTHREAD_INCLUDE_DIR "libblis-dev libblis-pthread-dev" "BLIS")
ensemble_require(BLIS_PTHREAD_LIBRARY "libblis-dev libblis-pthread-dev" "BLIS")
find_path(HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h)
ensemble_require(HNSWLIB_INCLUDE_DIR libhnswlib-dev "hnswlib")
find_path(HTTPLIB_INCLUDE_DIR httplib.h)
ensemble_require(HTTPLIB_INCLUDE_DIR libcpp-httplib-dev "cpp-httplib")
find_package(ICU QUIET COMPONENTS uc)
ensemble_require(ICU_FOUND libicu-dev "ICU (libicuuc)")
# LibTorch (libtorch-dev, CPU) is optional: it enables the neural backends (sam:, clip:; src/neural).
# ENSEMBLE_WITH_TORCH defaults to ON when find_package(Torch) finds it; OFF builds without them.
if(NOT DEFINED ENSEMBLE_WITH_TORCH OR ENSEMBLE_WITH_TORCH)
  find_package(Torch QUIET)
endif()
option(ENSEMBLE_WITH_TORCH "Build the LibTorch neural backends (sam:, clip:)" ${Torch_FOUND})
if(ENSEMBLE_WITH_TORCH)
  ensemble_require(Torch_FOUND libtorch-dev "LibTorch (or configure with -DENSEMBLE_WITH_TORCH=OFF)")
  message(STATUS "Ensemble: LibTorch ${Torch_VERSION} found: neural backends (sam:, clip:) ON")
else()
  message(STATUS "Ensemble: building without LibTorch: the sam: and clip: backends are unavailable "
                 "(install libtorch-dev to enable them)")
endif()
if(ENSEMBLE_BUILD_TESTS)
  find_package(GTest QUIET)
  ensemble_require(GTest_FOUND libgtest-dev "GoogleTest")
endif()
if(ENSEMBLE_BUILD_BENCH)
  find_package(benchmark QUIET)
  ensemble_require(benchmark_FOUND libbenchmark-dev "Google Benchmark")
endif()
