#include "ensemble/store/store.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "ensemble/store/schema.h"
#include "ensemble/util/error.h"
#include "ensemble/util/sha256.h"
#include "testing/store_query.h"
#include "testing/temp_dir.h"

namespace ensemble::store {
namespace {

using ensemble::testing::TempDir;

using ensemble::testing::query_int;

TEST(Database, TransactionRollsBackUnlessCommitted) {
  TempDir dir;
  Database db = Database::open(dir / "t.db");
  db.exec("CREATE TABLE t (x INTEGER)");
  {
    Transaction tx(db);
    db.prepare("INSERT INTO t VALUES (?)").bind(1, 1).run();
  }
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM t"), 0);
  {
    Transaction tx(db);
    db.prepare("INSERT INTO t VALUES (?)").bind(1, 2).run();
    tx.commit();
  }
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM t"), 1);
}

// prepare() reuses compiled statements: each reuse must behave like a fresh statement.
TEST(Database, ACachedStatementComesBackResetWithoutItsBindings) {
  TempDir dir;
  Database db = Database::open(dir / "t.db");
  {
    Statement st = db.prepare("SELECT ?");
    st.bind(1, 5);
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_int(0), 5);
  }
  Statement again = db.prepare("SELECT ?");
  ASSERT_TRUE(again.step());
  EXPECT_TRUE(again.column_is_null(0)) << "the previous binding leaked into the reused statement";
}

TEST(Database, TheSameSqlPreparedTwiceAtOnceGivesTwoIndependentStatements) {
  TempDir dir;
  Database db = Database::open(dir / "t.db");
  db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);");
  { Statement warm = db.prepare("SELECT x FROM t WHERE x >= ? ORDER BY x"); }  // now cached
  Statement outer = db.prepare("SELECT x FROM t WHERE x >= ? ORDER BY x");
  outer.bind(1, 1);
  std::vector<std::int64_t> pairs;
  while (outer.step()) {
    Statement inner = db.prepare("SELECT x FROM t WHERE x >= ? ORDER BY x");
    inner.bind(1, outer.column_int(0));
    while (inner.step()) pairs.push_back(outer.column_int(0) * 10 + inner.column_int(0));
  }
  EXPECT_EQ(pairs, (std::vector<std::int64_t>{11, 12, 13, 22, 23, 33}));
}

TEST(Database, AStatementDroppedMidwayLeavesNoReadOpenAndSeesSchemaChanges) {
  TempDir dir;
  Database db = Database::open(dir / "t.db");
  db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2);");
  {
    Statement st = db.prepare("SELECT * FROM t");
    ASSERT_TRUE(st.step());  // dropped with a row pending
  }
  // An active statement on this connection would make DROP/ALTER fail ("table is locked").
  db.exec("ALTER TABLE t ADD COLUMN y TEXT DEFAULT 'new'");
  Statement st = db.prepare("SELECT * FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_count(), 2);
  EXPECT_EQ(st.column_text(1), "new");
}

TEST(Database, AStatementThatOutlivesItsDatabaseIsFinalizedNotCached) {
  TempDir dir;
  std::optional<Statement> survivor;
  {
    Database db = Database::open(dir / "t.db");
    survivor.emplace(db.prepare("SELECT 1"));
    ASSERT_TRUE(survivor->step());
  }
  survivor.reset();  // after the connection closed: must not touch the gone cache (ASan checks)
  Database db = Database::open(dir / "t.db");
  EXPECT_EQ(query_int(db, "SELECT 2"), 2);
}

TEST(Database, UsesWalAndForeignKeys) {
  TempDir dir;
  Database db = Database::open(dir / "t.db");
  Statement st = db.prepare("PRAGMA journal_mode");
  st.step();
  EXPECT_EQ(st.column_text(0), "wal");
  EXPECT_EQ(query_int(db, "PRAGMA foreign_keys"), 1);
}

TEST(Database, AReadSnapshotSeesOneStateOfTheDatabaseUntilItEnds) {
  TempDir dir;
  Database reader = Database::open(dir / "t.db");
  reader.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)");
  Database writer = Database::open(dir / "t.db");
  {
    const ReadSnapshot snapshot(reader);
    EXPECT_EQ(query_int(reader, "SELECT count(*) FROM t"), 1);
    writer.exec("INSERT INTO t VALUES (2)");  // a reader does not block the writer (WAL)
    EXPECT_EQ(query_int(reader, "SELECT count(*) FROM t"), 1) << "the snapshot's state, not the newest";
    EXPECT_EQ(query_int(writer, "SELECT count(*) FROM t"), 2);
  }
  EXPECT_EQ(query_int(reader, "SELECT count(*) FROM t"), 2) << "ended: the next read sees the write";
  // Inside a write transaction it leaves the transaction alone.
  {
    Transaction tx(reader);
    { const ReadSnapshot nested(reader); }
    reader.exec("INSERT INTO t VALUES (3)");
    tx.commit();
  }
  EXPECT_EQ(query_int(writer, "SELECT count(*) FROM t"), 3);
}

TEST(Database, ForeignKeyChecksOffForItsScopeOnlyAndNeverInsideATransaction) {
  TempDir dir;
  Database db = Database::open(dir / "t.db");
  db.exec("CREATE TABLE p (id TEXT PRIMARY KEY);"
          "CREATE TABLE c (pid TEXT NOT NULL REFERENCES p(id) ON DELETE CASCADE)");
  db.exec("INSERT INTO p VALUES ('a')");
  EXPECT_THROW(db.exec("INSERT INTO c VALUES ('missing')"), Error);
  {
    ForeignKeyChecksOff off(db);
    EXPECT_EQ(query_int(db, "PRAGMA foreign_keys"), 0);
    Transaction tx(db);
    db.exec("INSERT INTO c VALUES ('a')");
    EXPECT_THROW(ForeignKeyChecksOff{db}, Error) << "a transaction is open";
    tx.commit();
  }
  EXPECT_EQ(query_int(db, "PRAGMA foreign_keys"), 1);
  EXPECT_THROW(db.exec("INSERT INTO c VALUES ('missing')"), Error);
  db.exec("DELETE FROM p WHERE id = 'a'");  // rows written without the checks still cascade
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM c"), 0);
}

TEST(Database, BoundParametersAreNeverSql) {
  TempDir dir;
  Database db = Database::open(dir / "t.db");
  db.exec("CREATE TABLE t (s TEXT)");
  const std::string evil = "x'); DROP TABLE t; --";
  db.prepare("INSERT INTO t VALUES (?)").bind(1, evil).run();
  Statement st = db.prepare("SELECT s FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), evil);
}

TEST(Database, NotADatabaseIsBadInput) {
  TempDir dir;
  ensemble::testing::write_text(dir / "junk.db", std::string(4096, 'x'));
  try {
    Database::open(dir / "junk.db");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  }
}

TEST(Schema, NewDatabaseIsAtLatestVersion) {
  TempDir dir;
  auto store = Store::open(dir / "e.db");
  EXPECT_EQ(schema_version(store->db()), latest_schema_version());
  EXPECT_EQ(migrate(store->db()), 0);  // idempotent
  for (const char* t : {"products", "lookbooks", "regions", "embeddings", "matches", "pairs",
                        "recommendations", "feedback", "runs", "stage_items", "products_fts"}) {
    EXPECT_EQ(query_int(store->db(),
                    std::string("SELECT count(*) FROM sqlite_master WHERE name='") + t + "'"),
              1)
        << t;
  }
}

// A deleted region takes its matches with it (ON DELETE CASCADE): SQLite finds them with the same
// lookup as this query, which must not scan the table (before v6 every deleted region did).
TEST(Schema, ARegionsMatchesAreFoundThroughAnIndex) {
  TempDir dir;
  auto store = Store::open(dir / "e.db");
  Statement st = store->db().prepare("EXPLAIN QUERY PLAN SELECT rowid FROM matches WHERE region_id = 7");
  std::string plan;
  while (st.step()) plan += st.column_text(3) + "\n";
  EXPECT_NE(plan.find("INDEX matches_region (region_id=?)"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
}

// The match stage lists a model's vectors (owner, source, dimension) in owner order before it
// reads any: that must come from an index, not from the 2 KB rows (before v7 it read them all).
TEST(Schema, VectorsAreListedFromAnIndexWithoutTheirRows) {
  TempDir dir;
  auto store = Store::open(dir / "e.db");
  Statement st = store->db().prepare(
      "EXPLAIN QUERY PLAN SELECT owner_id, source_sha, dim FROM embeddings WHERE owner_kind = 'product'"
      " AND model_id = 'm' ORDER BY owner_id");
  std::string plan;
  while (st.step()) plan += st.column_text(3) + "\n";
  EXPECT_NE(plan.find("COVERING INDEX embeddings_source"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST(Schema, MigratesAVersion1DatabaseKeepingItsRows) {
  TempDir dir;
  const auto path = dir / "old.db";
  {
    Database db = Database::open(path);
    ASSERT_EQ(migrate(db, 1), 1);
    db.exec(
        "INSERT INTO products (id, title, category, image_sha, image_ext, width, height,"
        " attributes, created_at, updated_at) VALUES ('p1', 'Red summer dress', 'dress', 'ab', "
        "'.jpg', 10, 10, '{\"colour\":\"red\"}', 'now', 'now')");
    EXPECT_EQ(schema_version(db), 1);
  }
  auto store = Store::open(path);  // migrates to latest
  EXPECT_EQ(schema_version(store->db()), latest_schema_version());
  EXPECT_EQ(query_int(store->db(), "SELECT count(*) FROM products"), 1);
  // The v2 full-text index was filled from the rows that existed before the migration.
  EXPECT_EQ(query_int(store->db(), "SELECT count(*) FROM products_fts WHERE products_fts MATCH 'summer'"),
            1);
  // And is kept in sync afterwards.
  store->db().exec("UPDATE products SET title = 'Blue winter coat' WHERE id = 'p1'");
  EXPECT_EQ(query_int(store->db(), "SELECT count(*) FROM products_fts WHERE products_fts MATCH 'summer'"),
            0);
  EXPECT_EQ(query_int(store->db(), "SELECT count(*) FROM products_fts WHERE products_fts MATCH 'winter'"),
            1);
}

// The first column of the first row, as text.
std::string first_text(Database& db, const std::string& sql) {
  Statement st = db.prepare(sql);
  return st.step() ? st.column_text(0) : std::string("(no row)");
}

TEST(Schema, Version5MovesEachProductsRecommendationsIntoOneListInRankOrder) {
  TempDir dir;
  const auto path = dir / "v4.db";
  {
    Database db = Database::open(path);
    ASSERT_EQ(migrate(db, 4), 4);
    db.exec("INSERT INTO runs (id, stage, status, started_at, config_hash, config_json)"
            " VALUES (7, 'recommend', 'ok', 'now', '', '{}')");
    for (const char* id : {"a", "b", "c"}) {
      db.exec(std::string("INSERT INTO products (id, title, category, image_sha, image_ext, width,"
                          " height, attributes, created_at, updated_at) VALUES ('") +
              id + "', 't', 'dress', 'ab', '.jpg', 1, 1, '{}', 'now', 'now')");
    }
    // Inserted out of rank order.
    db.exec(
        "INSERT INTO recommendations (product_id, rank, rec_product_id, slot, score, evidence, run_id)"
        " VALUES ('a', 2, 'c', 'shoes', 0.25, '{\"support\":1,\"lookbooks\":[\"l2\"],"
        "\"source\":\"neighbours\",\"via\":\"b\"}', 7),"
        " ('a', 1, 'b', 'top', 0.5, '{\"support\":2,\"lookbooks\":[\"l1\",\"l2\"],"
        "\"source\":\"pairs\",\"feedback\":1}', 7),"
        " ('b', 1, 'a', 'dress', 0.5, '{\"support\":2,\"lookbooks\":[\"l1\",\"l2\"],"
        "\"source\":\"pairs\"}', 7)");
  }
  auto store = Store::open(path);
  auto& db = store->db();
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM recommendation_lists"), 2);
  EXPECT_EQ(query_int(db, "SELECT n FROM recommendation_lists WHERE product_id = 'a'"), 2);
  EXPECT_EQ(query_int(db, "SELECT run_id FROM recommendation_lists WHERE product_id = 'a'"), 7);
  EXPECT_EQ(first_text(db, "SELECT items FROM recommendation_lists WHERE product_id = 'a'"),
            "[[\"b\",\"top\",0.5,2,[\"l1\",\"l2\"],\"pairs\",null,1],"
            "[\"c\",\"shoes\",0.25,1,[\"l2\"],\"neighbours\",\"b\",0]]");
  // The view gives the old table's rows back.
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM recommendations"), 3);
  EXPECT_EQ(first_text(db, "SELECT rec_product_id FROM recommendations WHERE product_id = 'a'"
                           " AND rank = 2"),
            "c");
  EXPECT_EQ(first_text(db, "SELECT json_extract(evidence, '$.via') FROM recommendations"
                           " WHERE product_id = 'a' AND rank = 2"),
            "b");
  EXPECT_EQ(store->table_counts().at("recommendations"), 3);
}

TEST(Schema, RefusesADatabaseFromANewerBuild) {
  TempDir dir;
  const auto path = dir / "new.db";
  {
    auto store = Store::open(path);
    store->db().exec(
        "INSERT INTO schema_version VALUES (999, 'from the future', 'now')");
  }
  try {
    Store::open(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
    EXPECT_NE(std::string(e.what()).find("999"), std::string::npos);
  }
}

TEST(Store, ReadOnlyOpenOfMissingDatabaseIsNotFound) {
  TempDir dir;
  Store::Options o;
  o.read_only = true;
  try {
    Store::open(dir / "missing.db", o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
}

TEST(Store, RunsRecordLineage) {
  TempDir dir;
  auto store = Store::open(dir / "e.db");
  const auto id = store->begin_run("segment", "hash1", "{\"a\":1}", "classic", "classic-v1");
  auto r = store->run(id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, "running");
  RunOutcome o;
  o.status = "partial";
  o.input_rows = 10;
  o.output_rows = 42;
  o.failed_rows = 1;
  o.error = "1 image failed";
  store->finish_run(id, o);
  r = store->run(id);
  EXPECT_EQ(r->status, "partial");
  EXPECT_EQ(r->output_rows, 42);
  EXPECT_EQ(r->backend, "classic");
  EXPECT_EQ(r->config_hash, "hash1");
  EXPECT_FALSE(r->finished_at.empty());
}

TEST(Store, InterruptedRunsAreMarkedFailed) {
  TempDir dir;
  auto store = Store::open(dir / "e.db");
  const auto id = store->begin_run("embed", "h", "{}");
  EXPECT_EQ(store->mark_interrupted_runs(), 1);
  EXPECT_EQ(store->run(id)->status, "failed");
  EXPECT_NE(store->run(id)->error.find("interrupted"), std::string::npos);
}

TEST(Store, RecoveringFromAKilledRunRemovesItsTemporaryFiles) {
  TempDir dir;
  auto store = Store::open(dir / "e.db");
  const std::string sha = store->media().put("kept", ".jpg");
  const auto sub = store->media().root() / sha.substr(0, 2);
  // What a writer killed in the middle of write_file_atomic leaves behind.
  ensemble::testing::write_text(sub / ("." + sha + ".jpg.tmp12345"), "half a file");
  ensemble::testing::write_text(store->media().root() / ".projection.tmp", "half a projection");
  ensemble::testing::write_text(dir / "e.index" / ".products.idx.tmp77", "half an index");
  // No interrupted run: nothing is swept (a live writer could own such files).
  EXPECT_EQ(store->mark_interrupted_runs(), 0);
  EXPECT_TRUE(std::filesystem::exists(sub / ("." + sha + ".jpg.tmp12345")));
  store->begin_run("segment", "h", "{}");  // then the process "dies"
  EXPECT_EQ(store->mark_interrupted_runs(), 1);
  EXPECT_FALSE(std::filesystem::exists(sub / ("." + sha + ".jpg.tmp12345")));
  EXPECT_FALSE(std::filesystem::exists(store->media().root() / ".projection.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir / "e.index" / ".products.idx.tmp77"));
  EXPECT_TRUE(store->media().contains(sha, ".jpg"));
}

TEST(MediaStore, StoresContentOnceUnderItsDigest) {
  TempDir dir;
  MediaStore media(dir / "media");
  const std::string sha = media.put("hello", ".txt");
  EXPECT_EQ(sha, sha256_hex("hello"));
  EXPECT_TRUE(std::filesystem::exists(dir / "media" / sha.substr(0, 2) / (sha + ".txt")));
  EXPECT_EQ(media.put("hello", ".txt"), sha);
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "media")) {
    files += e.is_regular_file();
  }
  EXPECT_EQ(files, 1);
  EXPECT_EQ(media_root_for("/x/y/ensemble.db"), std::filesystem::path("/x/y/ensemble.media"));
}

TEST(RunLock, SecondHolderIsRefusedWithTheHoldersPid) {
  TempDir dir;
  const auto db = dir / "e.db";
  {
    RunLock first = RunLock::acquire(db);
    try {
      RunLock::acquire(db);
      FAIL() << "second lock should be refused";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kConflict);
      EXPECT_NE(std::string(e.what()).find(std::to_string(::getpid())), std::string::npos);
    }
  }
  RunLock again = RunLock::acquire(db);  // released by the first's destructor
}

}  // namespace
}  // namespace ensemble::store
