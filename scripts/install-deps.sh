#!/usr/bin/env bash
# Installs the Debian 12 packages Ensemble needs to build, test and run its demo.
# The single list of dependencies for the project: CMake checks the same set with clear messages.
# Idempotent: packages already present are skipped; apt is only called when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libsqlite3-dev          # the store
  libopencv-dev           # image decode, classical vision
  nlohmann-json3-dev      # JSON (config echo, ground truth, --json output)
  libcli11-dev            # CLI parsing
  libspdlog-dev libfmt-dev  # logging, formatting
  libtomlplusplus-dev     # pipeline config (ensemble.toml)
  libgtest-dev libgmock-dev googletest  # unit tests
  libbenchmark-dev        # bench/
  zlib1g-dev              # reading the gzipped Fashion-MNIST IDX files
  libssl-dev              # SHA-256 for the content-addressed media folder
  dataset-fashion-mnist   # real product images for the built-in sample
  libopenblas-dev         # BLAS/LAPACK for LibTorch and the projection fit's eigensolver
  libblis-dev libblis-pthread-dev  # BLIS: the library's own matrix products (util/gemm.h)
  libhnswlib-dev          # ANN index
  libcpp-httplib-dev      # HTTP server and remote embedder client
  chromium chromium-driver  # browser tests of the web UI (tests/browser; node + npm: install-browser-deps.sh)
  libfaiss-dev wrk        # bench only: FAISS comparison (optional in CMake), HTTP load for the serving bench
  libicu-dev              # Unicode classes and case mapping for the CLIP text tokenizer
  libtorch-dev            # LibTorch (CPU): the sam: and clip: neural backends (optional in CMake)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  bash "$(dirname "${BASH_SOURCE[0]}")/install-browser-deps.sh"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
bash "$(dirname "${BASH_SOURCE[0]}")/install-browser-deps.sh"
