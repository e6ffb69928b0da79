#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "ensemble/index/vector_index.h"
#include "ensemble/util/error.h"
#include "index/test_vectors.h"
#include "testing/temp_dir.h"

namespace ensemble::index {
namespace {

namespace fs = std::filesystem;
using ensemble::testing::TempDir;
using testing::clustered_unit;

std::unique_ptr<VectorIndex> filled(const std::string& spec, int dim, std::int64_t n) {
  auto index = make_index(spec, dim);
  std::vector<Id> ids(n);
  std::iota(ids.begin(), ids.end(), 100);
  index->add(ids, clustered_unit(n, dim, 10, 0.5f, 3));
  return index;
}

void expect_identical(const SearchResults& a, const SearchResults& b) {
  ASSERT_EQ(a.ids, b.ids);
  ASSERT_EQ(a.scores, b.scores);
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorCode::kInternal;
}

void flip_byte(const fs::path& p, std::uintmax_t offset) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x5A));
}

class IndexFile : public ::testing::TestWithParam<std::string> {};

TEST_P(IndexFile, SaveLoadRoundTripAndKeepGrowing) {
  TempDir dir;
  const int dim = 16;
  auto index = filled(GetParam(), dim, 700);
  index->set_metadata(R"({"embedder":"classic#v1#pca=0123456789ab","catalog":"f00d"})");
  const fs::path path = dir / "products.vidx";
  index->save(path);
  auto loaded = load_index(path);
  EXPECT_EQ(loaded->spec(), index->spec());
  EXPECT_EQ(loaded->dim(), dim);
  EXPECT_EQ(loaded->size(), 700);
  EXPECT_EQ(loaded->metadata(), index->metadata());
  auto queries = clustered_unit(30, dim, 10, 0.5f, 4);
  expect_identical(loaded->search(queries, 8), index->search(queries, 8));

  // Incremental after load: new products go into the loaded index, no rebuild.
  std::vector<Id> more = {5000, 5001};
  auto v = clustered_unit(2, dim, 10, 0.5f, 5);
  loaded->add(more, v);
  EXPECT_EQ(loaded->size(), 702);
  std::vector<float> first(v.begin(), v.begin() + dim);
  EXPECT_EQ(loaded->search(first, 1).id(0, 0), 5000);
  loaded->save(path);
  EXPECT_EQ(load_index(path)->size(), 702);
}

TEST_P(IndexFile, CorruptTruncatedAndMissingFilesAreClearErrors) {
  TempDir dir;
  auto index = filled(GetParam(), 8, 300);
  const fs::path path = dir / "x.vidx";
  index->save(path);
  const auto size = fs::file_size(path);

  EXPECT_EQ(code_of([&] { load_index(dir / "absent.vidx"); }), ErrorCode::kNotFound);

  fs::copy_file(path, dir / "flip.vidx");
  flip_byte(dir / "flip.vidx", size / 2);
  if (GetParam() != "exact") fs::copy_file(fs::path(path.string() + ".hnsw"), dir / "flip.vidx.hnsw");
  try {
    load_index(dir / "flip.vidx");
    ADD_FAILURE() << "corrupt file loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("flip.vidx"), std::string::npos) << e.what();
  }

  fs::copy_file(path, dir / "short.vidx");
  fs::resize_file(dir / "short.vidx", size - 9);
  EXPECT_EQ(code_of([&] { load_index(dir / "short.vidx"); }), ErrorCode::kBadInput);

  ensemble::testing::write_text(dir / "junk.vidx", "definitely not an index");
  EXPECT_EQ(code_of([&] { load_index(dir / "junk.vidx"); }), ErrorCode::kBadInput);
}

INSTANTIATE_TEST_SUITE_P(Kinds, IndexFile, ::testing::Values("exact", "hnsw:M=8,efC=40,ef=20"),
                         [](const auto& info) { return info.param == "exact" ? std::string("exact") : std::string("hnsw"); });

TEST(IndexFileVersions, AnotherFormatVersionIsRefusedByName) {
  TempDir dir;
  auto index = filled("exact", 4, 10);
  const fs::path path = dir / "v.vidx";
  index->save(path);
  // Bytes 8..11 hold the format version.
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(8);
  std::uint32_t v2 = 2;
  f.write(reinterpret_cast<const char*>(&v2), 4);
  f.close();
  try {
    load_index(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("version 2"), std::string::npos) << e.what();
  }
}

TEST(HnswFile, GraphMustMatchItsHeader) {
  TempDir dir;
  auto a = filled("hnsw:M=8,efC=40,ef=20", 8, 200);
  a->save(dir / "a.vidx");
  auto b = filled("hnsw:M=8,efC=40,ef=20", 8, 250);
  b->save(dir / "b.vidx");
  // A graph from another save next to this header.
  fs::copy_file(dir / "b.vidx.hnsw", dir / "a.vidx.hnsw", fs::copy_options::overwrite_existing);
  EXPECT_EQ(code_of([&] { load_index(dir / "a.vidx"); }), ErrorCode::kBadInput);
  // No graph at all.
  fs::remove(dir / "b.vidx.hnsw");
  EXPECT_EQ(code_of([&] { load_index(dir / "b.vidx"); }), ErrorCode::kBadInput);
}

TEST(HnswFile, EfCanChangeAtLoadButNotTheGraphParameters) {
  TempDir dir;
  auto a = filled("hnsw:M=8,efC=40,ef=20", 8, 200);
  a->save(dir / "a.vidx");
  EXPECT_EQ(load_index(dir / "a.vidx", "hnsw:M=8,efC=40,ef=128")->spec(), "hnsw:M=8,efC=40,ef=128");
  EXPECT_EQ(code_of([&] { load_index(dir / "a.vidx", "hnsw:M=16,efC=40,ef=20"); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { load_index(dir / "a.vidx", "exact"); }), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ensemble::index
