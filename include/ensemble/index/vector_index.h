// Vector indexes: nearest neighbours by inner product over L2-normalised vectors (= cosine).
//
// One abstract VectorIndex, batch-first like FAISS, with two implementations chosen by a factory
// spec that round-trips to a canonical string (spec()):
//
//   "exact"                      brute force with sgemm (util/gemm.h) over query blocks × database
//                                blocks and a partial top-k; recall 1 by construction.
//   "hnsw:M=32,efC=200,ef=64"    hnswlib HNSW graph (M links per node, efConstruction, efSearch);
//                                omitted keys take these defaults, so "hnsw" = the string above.
//
// Layouts: vectors and queries are row-major float arrays, n × dim(), rows L2-normalised by the
// caller (the embedders guarantee it; the index neither checks nor renormalises). Ids are the
// caller's 64-bit ids (product or region ids), unique within an index.
//
// Files: save()/load_index() use a versioned binary format with dim, count, spec, a caller's
// metadata string and checksums (docs/INDEX.md). An "hnsw" index is two files: PATH (header) and
// PATH.hnsw (the hnswlib graph). Keep them next to the database; see docs/INDEX.md.
//
// Thread-safety: const methods (search, size, save, ...) may run concurrently with each other;
// add/remove/set_metadata need exclusive access (one writer, no readers), like a std::vector.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ensemble::index {

using Id = std::int64_t;

// search() output: n rows of k, best first (score descending; equal scores by ascending id).
// A row with fewer than k results (small index, strict filter) is padded with id -1 and score
// -infinity.
struct SearchResults {
  std::int64_t n = 0;
  int k = 0;
  std::vector<Id> ids;        // n × k
  std::vector<float> scores;  // n × k, inner products (cosine for normalised rows)

  Id id(std::int64_t q, int j) const { return ids[q * k + j]; }
  float score(std::int64_t q, int j) const { return scores[q * k + j]; }
  // Number of real results in row q (before the padding).
  int count(std::int64_t q) const;
};

// Restricts a search to ids for which it returns true (for example: products of one category).
// Called from several threads at once: it must be thread-safe (a lookup in a const set is).
using IdFilter = std::function<bool(Id)>;

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  // The canonical factory spec: make_index(spec(), dim()) builds an empty index of the same kind.
  virtual std::string spec() const = 0;
  virtual int dim() const = 0;
  // Number of live vectors.
  virtual std::int64_t size() const = 0;
  virtual bool contains(Id id) const = 0;
  // All live ids, in no particular order.
  virtual std::vector<Id> ids() const = 0;

  // Adds ids.size() vectors (vectors.size() == ids.size() * dim()). An id already present is
  // replaced (upsert), so re-embedding a product is an add. Within one call a repeated id keeps
  // its last vector. Incremental: no rebuild of what is there.
  // Throws Error(kInvalidArgument) on a size mismatch.
  virtual void add(std::span<const Id> ids, std::span<const float> vectors) = 0;
  // Removes the given ids; unknown ids are ignored. Returns how many were removed.
  virtual std::int64_t remove(std::span<const Id> ids) = 0;

  // k nearest rows for each of n = queries.size() / dim() queries.
  // REQUIRES: 1 <= k (Error(kInvalidArgument) otherwise); queries.size() a multiple of dim().
  // filter: nullptr = no restriction. "exact" applies it during the scan (cheap); "hnsw" searches
  // deeper until k allowed results are found, and scans exactly when the filter is very selective.
  virtual SearchResults search(std::span<const float> queries, int k, const IdFilter* filter = nullptr) const = 0;

  // Inner products of one query (dim() floats) with the stored vectors of `ids`, in order; NaN for
  // an id not in the index. For re-scoring a few hits exactly (an image search scores each hit by
  // the photo alone as well). Throws Error(kInvalidArgument) for a query of the wrong length.
  std::vector<float> score_ids(std::span<const float> query, std::span<const Id> ids) const;

  // Applies the search-time parameters of `spec`, which must name the same kind and, for hnsw,
  // the same M and efC (only ef changes): "hnsw:M=32,efC=200,ef=128". Not concurrent with
  // search(). Throws Error(kInvalidArgument) otherwise.
  virtual void set_search_params(std::string_view spec) = 0;

  // Writes the index (atomically per file). Throws Error(kIo).
  virtual void save(const std::filesystem::path& path) const = 0;

  // A free-form string saved with the index (for example JSON naming the embedder id and a
  // catalog fingerprint, so a stale index can be detected). Default: empty.
  const std::string& metadata() const { return metadata_; }
  void set_metadata(std::string metadata) { metadata_ = std::move(metadata); }

  // Threads for add() (hnsw build) and for the per-query parts of search(). 0 = all cores.
  // The matrix products use as many (the "openblas" gemm backend keeps its own count).
  void set_threads(int threads) { threads_ = threads; }
  int threads() const { return threads_; }

  // Approximate bytes of memory held per vector (vector + id + graph links).
  virtual double bytes_per_vector() const = 0;

 protected:
  // The stored vector of a live id (dim() floats), or nullptr.
  virtual const float* stored_vector(Id id) const = 0;

  std::string metadata_;
  int threads_ = 0;
};

// Builds an empty index. dim >= 1. Throws Error(kInvalidArgument) for an unknown spec or bad
// parameter ("hnsw:M=0", "hnsw:foo=1"), naming the accepted forms.
std::unique_ptr<VectorIndex> make_index(std::string_view spec, int dim);

// The canonical form of a spec ("hnsw" -> "hnsw:M=32,efC=200,ef=64"); validates it.
std::string canonical_index_spec(std::string_view spec);

// Loads an index written by save(). Throws Error(kNotFound) when missing, Error(kBadInput) when
// truncated, corrupt (checksum), of another format version, or when PATH.hnsw does not match.
// search_spec: empty = the saved spec; otherwise a spec of the same kind whose search-time
// parameters replace the saved ones (for hnsw: ef; M and efC must match the saved graph, else
// Error(kInvalidArgument)).
std::unique_ptr<VectorIndex> load_index(const std::filesystem::path& path, std::string_view search_spec = {});

}  // namespace ensemble::index
