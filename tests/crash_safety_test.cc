// Crash safety (issue #9): kill -9 the real CLI at deterministic points inside every pipeline stage
// and both importers (ENSEMBLE_FAULT_KILL, include/ensemble/util/fault.h), and at random times; the
// next command completes, and every table equals that of an uninterrupted run (no lost, duplicated
// or half-written rows), with no temporary or extra files in the media folder. Also: two runs at
// once on one database, the second refused with a clear message while readers keep working.
//
// Runs on the --small sample, generated once. The kill points are chosen from the hit counts an
// uninterrupted run reports (ENSEMBLE_FAULT_TRACE), so they follow the code as it changes.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <thread>

#include "ensemble/store/database.h"
#include "hostile_cli.h"
#include "testing/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using ensemble::testing::ChildResult;
using ensemble::testing::CliProcess;
using ensemble::testing::run_cli;

// One table as rows of cells: text compared exactly, reals with a tolerance (vectors element-wise).
struct Cell {
  std::string text;
  std::vector<double> reals;  // REAL values, or a float32 vector blob
  bool is_real = false;
};
using Table = std::vector<std::vector<Cell>>;
using Dump = std::map<std::string, Table>;

// What is compared: every table the pipeline and the importers write, without run ids, timestamps
// and lineage, and with region ids replaced by (lookbook, idx) so a renumbering would not hide or
// cause a difference. Stage fingerprints that hash run ids (match, cooccur, recommend) are left out.
const std::vector<std::pair<std::string, std::string>>& queries() {
  static const std::vector<std::pair<std::string, std::string>> q = {
      {"products",
       "SELECT id, title, category, image_sha, image_ext, width, height, attributes FROM products"
       " ORDER BY id"},
      {"lookbooks", "SELECT id, image_sha, image_ext, width, height FROM lookbooks ORDER BY id"},
      {"regions",
       "SELECT lookbook_id, idx, context_id, x, y, w, h, area, confidence, stability, hex(mask_rle),"
       " segmenter_id, category, category_confidence FROM regions ORDER BY lookbook_id, idx"},
      {"stage_items",
       "SELECT stage, item_id, CASE WHEN stage = 'segment' THEN fingerprint ELSE '' END, status,"
       " CASE WHEN stage = 'segment' THEN detail ELSE '' END FROM stage_items ORDER BY stage, item_id"},
      {"embeddings",
       "SELECT e.owner_kind, CASE WHEN e.owner_kind = 'region' THEN r.lookbook_id || '#' || r.idx"
       " ELSE e.owner_id END AS owner, e.model_id, e.dim, e.vector,"
       " CASE WHEN e.owner_kind = 'product' THEN e.source_sha ELSE '' END"
       " FROM embeddings e LEFT JOIN regions r ON e.owner_kind = 'region' AND"
       " CAST(r.id AS TEXT) = e.owner_id ORDER BY e.owner_kind, owner, e.model_id"},
      {"matches",
       "SELECT m.direction, r.lookbook_id || '#' || r.idx AS region, m.product_id, m.rank, m.score"
       " FROM matches m JOIN regions r ON r.id = m.region_id"
       " ORDER BY m.direction, region, m.product_id"},
      {"pairs",
       "SELECT scoring, product_a, product_b, count, weight, score, evidence FROM pairs"
       " ORDER BY scoring, product_a, product_b"},
      {"recommendations",
       "SELECT product_id, rank, rec_product_id, slot, score, evidence FROM recommendations"
       " ORDER BY product_id, rank"},
      {"slot_stats",
       "SELECT scoring, seed_slot, slot, probability, support, source FROM slot_stats"
       " ORDER BY scoring, seed_slot, slot"},
      {"models", "SELECT id, kind, file_sha, file_ext, active, samples FROM models ORDER BY id"},
      {"vector_indexes",
       "SELECT name, model_id, backend, path, vectors, content_hash FROM vector_indexes ORDER BY name"},
      {"feedback", "SELECT product_id, other_product_id, vote FROM feedback ORDER BY id"},
  };
  return q;
}

Dump dump(const fs::path& db_path) {
  ensemble::store::Database::Options o;
  o.read_only = true;
  auto db = ensemble::store::Database::open(db_path, o);
  Dump out;
  for (const auto& [name, sql] : queries()) {
    auto st = db.prepare(sql);
    Table t;
    while (st.step()) {
      std::vector<Cell> row;
      for (int c = 0; c < st.column_count(); ++c) {
        Cell cell;
        using K = ensemble::store::Statement::Kind;
        switch (st.column_kind(c)) {
          case K::kReal:
            cell.is_real = true;
            cell.reals.push_back(st.column_double(c));
            break;
          case K::kBlob: {
            int bytes = 0;
            const void* p = st.column_blob_ptr(c, &bytes);
            cell.is_real = true;
            cell.reals.resize(static_cast<size_t>(bytes) / 4);
            std::vector<float> f(cell.reals.size());
            std::memcpy(f.data(), p, f.size() * 4);
            std::copy(f.begin(), f.end(), cell.reals.begin());
            break;
          }
          default: cell.text = st.column_text(c);
        }
        row.push_back(std::move(cell));
      }
      t.push_back(std::move(row));
    }
    out[name] = std::move(t);
  }
  return out;
}

// Empty when equal; otherwise the first difference of each table.
std::string compare(const Dump& want, const Dump& got, const std::set<std::string>& only = {}) {
  std::string diff;
  for (const auto& [name, a] : want) {
    if (!only.empty() && only.count(name) == 0) continue;
    const Table& b = got.at(name);
    if (a.size() != b.size()) {
      diff += name + ": " + std::to_string(b.size()) + " rows, expected " +
              std::to_string(a.size()) + "\n";
      continue;
    }
    for (size_t r = 0; r < a.size(); ++r) {
      bool same = a[r].size() == b[r].size();
      for (size_t c = 0; same && c < a[r].size(); ++c) {
        const Cell &x = a[r][c], &y = b[r][c];
        if (x.is_real != y.is_real || x.text != y.text || x.reals.size() != y.reals.size()) {
          same = false;
        }
        for (size_t i = 0; same && i < x.reals.size(); ++i) {
          same = std::fabs(x.reals[i] - y.reals[i]) <= 1e-4 * std::max(1.0, std::fabs(x.reals[i]));
        }
      }
      if (!same) {
        diff += name + ": row " + std::to_string(r) + " differs (key " + a[r][0].text + " " +
                (a[r].size() > 1 ? a[r][1].text : "") + ")\n";
        break;
      }
    }
  }
  return diff;
}

// Relative paths of the media folder's files; temporary files are reported with a "TEMP " prefix.
std::set<std::string> media_files(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir / "ensemble.media", ec)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), dir).string();
    const std::string name = e.path().filename().string();
    out.insert((name[0] == '.' ? "TEMP " : "") + rel);
  }
  return out;
}

// Temporary files beside the database and in its index folder.
std::vector<std::string> temp_files_beside_db(const fs::path& dir) {
  std::vector<std::string> out;
  for (const fs::path& d : {dir, dir / "ensemble.index"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      const std::string name = e.path().filename().string();
      if (name.find(".tmp") != std::string::npos) out.push_back(name);
    }
  }
  return out;
}

// The database, its media folder and its index folder (everything named ensemble.*, not the lock).
void copy_db(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("ensemble.", 0) == 0 && name != "ensemble.db.lock") {
      fs::copy(e.path(), to / name, fs::copy_options::recursive);
    }
  }
}

class CrashSafety : public ::testing::Test {
 protected:
  // Snapshots, each a folder with ensemble.db + media + index, all made by uninterrupted commands:
  //   catalog    the catalog imported
  //   base       + the lookbooks imported
  //   segmented  + `run --stage segment`
  //   embedded   + `run --stage embed`
  //   ref        + `run` (index, match, cooccur, recommend): the reference every scenario must equal.
  // A scenario that kills stage X starts from the snapshot before X and runs the whole pipeline
  // (the earlier stages find nothing to do), so each kill costs about one stage, not one pipeline.
  static void SetUpTestSuite() {
    dir_ = new ensemble::testing::TempDir();
    const fs::path d = dir_->path();
    // The --small preset, made smaller still (120 products, 6 lookbooks): the test runs the
    // pipeline a dozen times.
    ChildResult r = run_cli(d, {"sample", "--small", "--products", "120", "--lookbooks", "6", "--out", "sample"});
    ASSERT_EQ(r.code, 0) << r.out;
    const std::map<std::string, std::string> trace = {
        {"ENSEMBLE_FAULT_TRACE", (d / "trace.txt").string()}};
    auto step = [&](const std::string& from, const std::string& to, const std::vector<std::string>& args) {
      if (!from.empty()) copy_db(d / from, d / to);
      fs::create_directories(d / to);
      const auto t0 = std::chrono::steady_clock::now();
      const ChildResult c = run_cli(d / to, args, trace);
      if (args[0] == "run") {
        pipeline_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      ASSERT_EQ(c.code, 0) << to << ":\n" << c.out;
    };
    step("", "catalog", {"catalog", "import", "../sample/catalog.csv"});
    step("catalog", "base", {"lookbooks", "import", "../sample/lookbooks"});
    step("base", "segmented", {"run", "--stage", "segment"});
    step("segmented", "embedded", {"run", "--stage", "embed"});
    step("embedded", "ref", {"run"});
    base_ = new Dump(dump(d / "base/ensemble.db"));
    ref_ = new Dump(dump(d / "ref/ensemble.db"));
    std::ifstream in(d / "trace.txt");
    std::string key;
    long n;
    while (in >> key >> n) (*counts_)[key] += n;
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete base_;
    delete ref_;
  }

  static fs::path dir() { return dir_->path(); }
  static long count(const std::string& key) {
    const auto it = counts_->find(key);
    return it == counts_->end() ? 0 : it->second;
  }
  // "scope/point:N" with N = the middle hit ("mid"), the last-but-one ("last-1"), or a number.
  static std::string spec(const std::string& scope, const std::string& point, const std::string& which) {
    const long n = count(scope + "/" + point);
    long k = which == "mid" ? (n + 1) / 2 : which == "last-1" ? n - 1 : std::stol(which);
    return scope + "/" + point + ":" + std::to_string(std::max(1L, k));
  }

  static void expect_clean_media(const fs::path& victim, const fs::path& reference,
                                 const std::string& what) {
    EXPECT_EQ(media_files(victim), media_files(reference)) << what;
    EXPECT_TRUE(temp_files_beside_db(victim).empty()) << what;
  }
  static void expect_no_run_left_running(const fs::path& victim, const std::string& what) {
    const ChildResult runs = run_cli(victim, {"runs", "--json"});
    EXPECT_EQ(runs.out.find("\"running\""), std::string::npos) << what << "\n" << runs.out;
  }

  static ensemble::testing::TempDir* dir_;
  static Dump* base_;
  static Dump* ref_;
  static std::map<std::string, long>* counts_;
  static double pipeline_seconds_;  // the three staged runs together
};
ensemble::testing::TempDir* CrashSafety::dir_ = nullptr;
Dump* CrashSafety::base_ = nullptr;
Dump* CrashSafety::ref_ = nullptr;
std::map<std::string, long>* CrashSafety::counts_ = new std::map<std::string, long>();
double CrashSafety::pipeline_seconds_ = 0;

TEST_F(CrashSafety, ReferenceRunReachesEveryKillPoint) {
  for (const char* stage : {"segment", "embed", "match", "cooccur", "recommend"}) {
    EXPECT_GT(count(std::string(stage) + "/sql"), 2) << stage;
    EXPECT_GT(count(std::string(stage) + "/commit"), 2) << stage;
  }
  EXPECT_GT(count("index/sql"), 0);    // the products' index registered
  EXPECT_GT(count("embed/media"), 0);  // the fitted projection file
  EXPECT_GT(count("import-catalog/media"), 1);
  EXPECT_GT(count("import-lookbooks/media"), 1);
  EXPECT_FALSE(ref_->at("recommendations").empty());
  EXPECT_FALSE(ref_->at("matches").empty());
  EXPECT_FALSE(ref_->at("pairs").empty());
}

TEST_F(CrashSafety, KilledImportsResumeToTheSameTables) {
  struct Case {
    std::string from, spec, what;
    std::vector<std::string> args;
    std::set<std::string> tables;
    std::string reference;
  };
  const std::vector<std::string> cat = {"catalog", "import", "../sample/catalog.csv"};
  const std::vector<std::string> lb = {"lookbooks", "import", "../sample/lookbooks"};
  const std::vector<Case> cases = {
      {"", spec("import-catalog", "sql", "mid"), "mid-transaction", cat, {"products"}, "catalog"},
      {"", spec("import-catalog", "media", "mid"), "after a media file", cat, {"products"}, "catalog"},
      {"", spec("import-catalog", "commit", "last-1"), "rows committed, run open", cat, {"products"}, "catalog"},
      {"catalog", spec("import-lookbooks", "sql", "mid"), "mid-transaction", lb, {"products", "lookbooks"}, "base"},
      {"catalog", spec("import-lookbooks", "media", "mid"), "after a media file", lb, {"products", "lookbooks"}, "base"},
  };
  int n = 0;
  for (const auto& c : cases) {
    const fs::path v = dir() / ("imp" + std::to_string(n++));
    if (c.from.empty()) {
      fs::create_directories(v);
    } else {
      copy_db(dir() / c.from, v);
    }
    const std::string what = c.spec + " (" + c.what + ")";
    ChildResult r = run_cli(v, c.args, {{"ENSEMBLE_FAULT_KILL", c.spec}});
    EXPECT_EQ(r.signal, SIGKILL) << what << ": the kill point was not reached\n" << r.out;
    r = run_cli(v, c.args);
    ASSERT_EQ(r.code, 0) << what << "\n" << r.out;
    const Dump got = dump(v / "ensemble.db");
    EXPECT_EQ(compare(*base_, got, c.tables), "") << what;
    expect_clean_media(v, dir() / c.reference, what);
    expect_no_run_left_running(v, what);
    fs::remove_all(v);
  }
}

TEST_F(CrashSafety, KilledPipelineStagesResumeToTheSameTables) {
  struct Case {
    std::string from, spec, what;
  };
  // Every stage in the middle of a transaction (after earlier units committed); the embed stage
  // also right after writing its fitted projection file; the whole-table stages also after their
  // first data commit, before the run is closed.
  const std::vector<Case> cases = {
      {"base", spec("segment", "sql", "mid"), "mid-lookbook"},
      {"segmented", spec("embed", "media", "1"), "projection file written, model not registered"},
      {"segmented", spec("embed", "sql", "mid"), "mid-batch"},
      {"embedded", spec("match", "sql", "mid"), "mid-transaction"},
      {"embedded", spec("index", "sql", "mid"), "index file written, not registered"},
      {"embedded", spec("match", "commit", "2"), "matches committed, run not closed"},
      {"embedded", spec("cooccur", "sql", "mid"), "mid-transaction"},
      {"embedded", spec("cooccur", "commit", "2"), "first commit"},
      {"embedded", spec("recommend", "sql", "mid"), "mid-transaction"},
      {"embedded", spec("recommend", "commit", "2"), "first commit"},
  };
  int n = 0;
  for (const auto& c : cases) {
    const fs::path v = dir() / ("run" + std::to_string(n++));
    copy_db(dir() / c.from, v);
    const std::string what = c.spec + " (" + c.what + ")";
    ChildResult r = run_cli(v, {"run"}, {{"ENSEMBLE_FAULT_KILL", c.spec}});
    EXPECT_EQ(r.signal, SIGKILL) << what << ": the kill point was not reached\n" << r.out;
    r = run_cli(v, {"run"});
    ASSERT_EQ(r.code, 0) << what << "\n" << r.out;
    EXPECT_EQ(compare(*ref_, dump(v / "ensemble.db")), "") << what;
    expect_clean_media(v, dir() / "ref", what);
    expect_no_run_left_running(v, what);
    fs::remove_all(v);
  }
}

TEST_F(CrashSafety, RandomTimeKillsResumeToTheSameTables) {
  // A whole pipeline from the imports, killed at a random moment (segment and embed take most of
  // the time, so that is where most kills land).
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> when(0.1, 1.0);
  for (int i = 0; i < 2; ++i) {
    const fs::path v = dir() / ("random" + std::to_string(i));
    copy_db(dir() / "base", v);
    const double delay = when(rng) * pipeline_seconds_;
    const std::string what = "killed after " + std::to_string(delay) + " s";
    {
      CliProcess p(v, {"run"});
      std::this_thread::sleep_for(std::chrono::duration<double>(delay));
      ::kill(p.pid(), SIGKILL);
      p.wait();
    }
    const ChildResult r = run_cli(v, {"run"});
    ASSERT_EQ(r.code, 0) << what << "\n" << r.out;
    EXPECT_EQ(compare(*ref_, dump(v / "ensemble.db")), "") << what;
    expect_clean_media(v, dir() / "ref", what);
    fs::remove_all(v);
  }
}

TEST_F(CrashSafety, ASecondRunIsRefusedWhileReadersKeepWorking) {
  const fs::path v = dir() / "concurrent";
  copy_db(dir() / "embedded", v);
  // The first run freezes in the middle of a match transaction, holding the run lock and SQLite's
  // write lock.
  CliProcess first(v, {"run"}, {{"ENSEMBLE_FAULT_KILL", "match/sql:2:stop"}});
  ASSERT_TRUE(first.wait_stopped());
  const ChildResult second = run_cli(v, {"run"});
  EXPECT_EQ(second.code, 2) << second.out;
  EXPECT_NE(second.out.find("another ensemble process (pid " + std::to_string(first.pid()) + ")"),
            std::string::npos)
      << second.out;
  const ChildResult import = run_cli(v, {"catalog", "import", "../sample/catalog.csv"});
  EXPECT_EQ(import.code, 2) << import.out;
  EXPECT_NE(import.out.find("another ensemble process"), std::string::npos) << import.out;
  const ChildResult stats = run_cli(v, {"stats", "--json"});
  EXPECT_EQ(stats.code, 0) << stats.out;  // readers are not blocked (WAL)
  ::kill(first.pid(), SIGCONT);
  const ChildResult done = first.wait();
  EXPECT_EQ(done.code, 0) << done.out;
  EXPECT_EQ(compare(*ref_, dump(v / "ensemble.db")), "");
  // And once it is done, the lock is free again.
  EXPECT_EQ(run_cli(v, {"run"}).code, 0);
}

}  // namespace
