#include "ensemble/store/schema.h"

#include <optional>
#include <string>

#include "ensemble/util/error.h"
#include "ensemble/util/progress.h"

namespace ensemble::store {

namespace {

// Version 1: the pipeline's tables.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  stage         TEXT NOT NULL,            -- import-catalog, import-lookbooks, segment, embed, ...
  status        TEXT NOT NULL CHECK (status IN ('running','ok','failed','partial')),
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  config_hash   TEXT NOT NULL,
  config_json   TEXT NOT NULL,
  backend       TEXT,                     -- factory string of the stage's backend
  model_id      TEXT,                     -- id of the model/projection that produced the rows
  input_rows    INTEGER NOT NULL DEFAULT 0,
  output_rows   INTEGER NOT NULL DEFAULT 0,
  failed_rows   INTEGER NOT NULL DEFAULT 0,
  stats_json    TEXT NOT NULL DEFAULT '{}',
  error         TEXT
);

CREATE TABLE products (
  id            TEXT PRIMARY KEY,
  title         TEXT NOT NULL,
  category      TEXT NOT NULL,
  image_sha     TEXT NOT NULL,            -- media/<sha[0:2]>/<sha><ext>
  image_ext     TEXT NOT NULL,
  width         INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  attributes    TEXT NOT NULL DEFAULT '{}',  -- JSON object of the extra CSV columns
  run_id        INTEGER REFERENCES runs(id),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX products_category ON products(category);

CREATE TABLE lookbooks (
  id            TEXT PRIMARY KEY,
  source        TEXT NOT NULL,            -- path it was imported from
  image_sha     TEXT NOT NULL,
  image_ext     TEXT NOT NULL,
  width         INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  run_id        INTEGER REFERENCES runs(id),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

CREATE TABLE regions (
  id            INTEGER PRIMARY KEY,
  lookbook_id   TEXT NOT NULL REFERENCES lookbooks(id) ON DELETE CASCADE,
  idx           INTEGER NOT NULL,         -- order within the lookbook
  context_id    INTEGER NOT NULL DEFAULT 0,  -- outfit context within the image
  x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
  area          INTEGER NOT NULL,         -- mask pixels
  confidence    REAL NOT NULL,            -- predicted IoU or the classical equivalent
  stability     REAL NOT NULL,
  mask_rle      BLOB NOT NULL,            -- COCO-style uncompressed RLE (docs/SCHEMA.md)
  segmenter_id  TEXT NOT NULL,
  run_id        INTEGER NOT NULL REFERENCES runs(id),
  UNIQUE (lookbook_id, idx)
);

-- Per-stage processing state of each input, for incremental and resumable runs.
CREATE TABLE stage_items (
  stage         TEXT NOT NULL,
  item_id       TEXT NOT NULL,
  fingerprint   TEXT NOT NULL,            -- hash of the input and the stage settings
  status        TEXT NOT NULL CHECK (status IN ('ok','empty','failed')),
  detail        TEXT,                     -- error message, or a note
  run_id        INTEGER NOT NULL REFERENCES runs(id),
  PRIMARY KEY (stage, item_id)
);

CREATE TABLE embeddings (
  owner_kind    TEXT NOT NULL CHECK (owner_kind IN ('product','region')),
  owner_id      TEXT NOT NULL,
  model_id      TEXT NOT NULL,
  dim           INTEGER NOT NULL,
  vector        BLOB NOT NULL,            -- dim little-endian float32, L2-normalised
  source_sha    TEXT NOT NULL,            -- what was embedded (image sha or region fingerprint)
  run_id        INTEGER NOT NULL REFERENCES runs(id),
  PRIMARY KEY (owner_kind, owner_id, model_id)
);

CREATE TABLE matches (
  direction     TEXT NOT NULL CHECK (direction IN ('region_to_product','product_to_region')),
  region_id     INTEGER NOT NULL REFERENCES regions(id) ON DELETE CASCADE,
  product_id    TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  rank          INTEGER NOT NULL,         -- 1-based within the source
  score         REAL NOT NULL,            -- cosine similarity
  run_id        INTEGER NOT NULL REFERENCES runs(id),
  PRIMARY KEY (direction, region_id, product_id)
);
CREATE INDEX matches_product ON matches(product_id, direction);

CREATE TABLE pairs (
  scoring       TEXT NOT NULL,            -- 'ensemble' or 'reference'
  product_a     TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  product_b     TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  count         INTEGER NOT NULL,         -- lookbooks (outfit contexts) where both appear
  weight        REAL NOT NULL,            -- confidence-weighted count
  score         REAL NOT NULL,            -- association score used for ranking
  evidence      TEXT NOT NULL DEFAULT '[]',  -- JSON list of lookbook ids
  run_id        INTEGER NOT NULL REFERENCES runs(id),
  PRIMARY KEY (scoring, product_a, product_b),
  CHECK (product_a < product_b)
);

CREATE TABLE recommendations (
  product_id    TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  rank          INTEGER NOT NULL,
  rec_product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  slot          TEXT,
  score         REAL NOT NULL,
  evidence      TEXT NOT NULL DEFAULT '{}',
  run_id        INTEGER NOT NULL REFERENCES runs(id),
  PRIMARY KEY (product_id, rank)
);

CREATE TABLE feedback (
  id            INTEGER PRIMARY KEY,
  product_id    TEXT NOT NULL,
  other_product_id TEXT NOT NULL,
  user          TEXT NOT NULL DEFAULT '',
  vote          INTEGER NOT NULL CHECK (vote IN (-1, 1)),
  target        TEXT NOT NULL DEFAULT 'pair' CHECK (target IN ('pair','outfit')),
  note          TEXT,
  created_at    TEXT NOT NULL
);
CREATE INDEX feedback_pair ON feedback(product_id, other_product_id);
)sql";

// Version 2: full-text search over the catalog (titles, categories, attributes), kept in sync by
// triggers and filled from existing rows.
constexpr std::string_view kV2 = R"sql(
CREATE VIRTUAL TABLE products_fts USING fts5(
  id UNINDEXED, title, category, attributes, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO products_fts (rowid, id, title, category, attributes)
  SELECT rowid, id, title, category, attributes FROM products;
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
  INSERT INTO products_fts (rowid, id, title, category, attributes)
  VALUES (new.rowid, new.id, new.title, new.category, new.attributes);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
  DELETE FROM products_fts WHERE rowid = old.rowid;
END;
CREATE TRIGGER products_fts_update AFTER UPDATE ON products BEGIN
  DELETE FROM products_fts WHERE rowid = old.rowid;
  INSERT INTO products_fts (rowid, id, title, category, attributes)
  VALUES (new.rowid, new.id, new.title, new.category, new.attributes);
END;
)sql";

// Version 3: what the match stage infers about each region, the fitted models (projections) the
// embed stage stores, and the vector index files kept beside the database.
constexpr std::string_view kV3 = R"sql(
ALTER TABLE regions ADD COLUMN category TEXT;             -- similarity-weighted vote of its matches
ALTER TABLE regions ADD COLUMN category_confidence REAL;  -- the winning category's vote share
CREATE TABLE models (
  id            TEXT PRIMARY KEY,         -- the embedder id that uses it (e.g. classic#v1#pca=...)
  kind          TEXT NOT NULL,            -- 'projection', ...
  file_sha      TEXT NOT NULL,            -- content-addressed in the media folder
  file_ext      TEXT NOT NULL,
  active        INTEGER NOT NULL DEFAULT 0,  -- the one the embed stage uses now (one per kind)
  samples       INTEGER NOT NULL DEFAULT 0,  -- rows it was fitted on
  run_id        INTEGER REFERENCES runs(id),
  created_at    TEXT NOT NULL
);
CREATE TABLE vector_indexes (
  name          TEXT PRIMARY KEY,         -- 'products'
  model_id      TEXT NOT NULL,            -- embedder id of the vectors
  backend       TEXT NOT NULL,            -- index factory string
  path          TEXT NOT NULL,            -- file name beside the database
  vectors       INTEGER NOT NULL,
  content_hash  TEXT NOT NULL,            -- hash of (owner ids, source shas): staleness check
  run_id        INTEGER REFERENCES runs(id),
  built_at      TEXT NOT NULL
);
)sql";

// Version 4: the slot planner's learnt table (which slots complete a seed slot), and an index for
// looking pairs up by their second product (feedback validation, pair queries).
constexpr std::string_view kV4 = R"sql(
CREATE TABLE slot_stats (
  scoring       TEXT NOT NULL,            -- 'ensemble' or 'reference' (the pairs it came with)
  seed_slot     TEXT NOT NULL,
  slot          TEXT NOT NULL,            -- '' for a seed slot without completions
  probability   REAL NOT NULL,            -- P(slot present | seed slot present) over outfit contexts
  support       REAL NOT NULL,            -- confidence-weighted contexts showing the seed slot
  source        TEXT NOT NULL CHECK (source IN ('learned','rules')),
  run_id        INTEGER REFERENCES runs(id),
  PRIMARY KEY (scoring, seed_slot, slot)
);
CREATE INDEX pairs_b ON pairs(scoring, product_b);
)sql";

// Version 5: one row per recommendation list instead of one per recommendation. A product's list
// is written as a whole, and the rows of a whole rewrite went from ~20 per product to one: at
// 44,000 products the recommend stage's write took 2.2 s of 4.5 (docs/BENCHMARKS.md). `items` is
// a JSON array with one array per recommendation, best first:
//   [product, slot, score, support, [lookbook ids, up to 10], source, via or null, feedback]
// A rowid table, not WITHOUT ROWID: a list (~1.4 KB) exceeds the ~1 KB an index-organised row
// keeps in its page, and every row then took an overflow page (206 MB for 62 MB of lists at
// reference scale, against 85 MB; the whole rewrite's upsert and checkpoint about 2.5x slower).
// `recommendations` stays, as a view with the version-1 table's columns (evidence rebuilt as an
// object), for SQL users and exports.
constexpr std::string_view kV5 = R"sql(
CREATE TABLE recommendation_lists (
  product_id    TEXT PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE,
  n             INTEGER NOT NULL,         -- recommendations in items
  items         TEXT NOT NULL,            -- JSON array of [product, slot, score, support, lookbooks, source, via, feedback]
  run_id        INTEGER NOT NULL REFERENCES runs(id)
);
INSERT INTO recommendation_lists (product_id, n, items, run_id)
  SELECT product_id, count(*),
         json_group_array(json_array(rec_product_id, slot, score,
                                     coalesce(json_extract(evidence, '$.support'), 0),
                                     json(coalesce(json_extract(evidence, '$.lookbooks'), '[]')),
                                     coalesce(json_extract(evidence, '$.source'), ''),
                                     json_extract(evidence, '$.via'),
                                     coalesce(json_extract(evidence, '$.feedback'), 0))),
         max(run_id)
  FROM (SELECT * FROM recommendations ORDER BY product_id, rank)
  GROUP BY product_id;
DROP TABLE recommendations;
CREATE VIEW recommendations AS
  SELECT l.product_id AS product_id, j.key + 1 AS rank, j.value ->> 0 AS rec_product_id,
         j.value ->> 1 AS slot, j.value ->> 2 AS score,
         json_object('support', j.value ->> 3, 'lookbooks', j.value -> 4, 'source', j.value ->> 5,
                     'via', j.value ->> 6, 'feedback', j.value ->> 7) AS evidence,
         l.run_id AS run_id
  FROM recommendation_lists l, json_each(l.items) j;
DELETE FROM stage_items WHERE stage = 'recommend' AND item_id = '@list_digests';
)sql";

// Version 6: matches by region. A region's matches are deleted with it (ON DELETE CASCADE), and the
// primary key (direction, region_id, product_id) cannot find them by region alone: each deleted
// region scanned the whole table. Re-segmenting one lookbook of the reference run (58 regions,
// 287,000 matches) took 1.8 s; all 110, about 200 s.
constexpr std::string_view kV6 = R"sql(
CREATE INDEX matches_region ON matches(region_id);
)sql";

// Version 7: which vectors there are, without the vectors. The match stage lists every vector's
// owner, source and dimension before it reads a single vector (to skip, or to find what is new);
// each row holds its 2 KB vector, so that listing read the whole table (100 MB at reference scale,
// 70-230 ms). This index covers it (about 6 MB).
constexpr std::string_view kV7 = R"sql(
CREATE INDEX embeddings_source ON embeddings(owner_kind, model_id, owner_id, source_sha, dim);
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "pipeline tables: runs, products, lookbooks, regions, stage_items, embeddings, matches, "
          "pairs, recommendations, feedback",
       kV1},
      {2, "products_fts: full-text search over the catalog", kV2},
      {3, "regions.category/category_confidence, models, vector_indexes", kV3},
      {4, "slot_stats (learnt slot completions); pairs_b index", kV4},
      {5, "recommendation_lists (one row per product's list); recommendations becomes a view", kV5},
      {6, "matches_region index (a region's matches found, and deleted with it, without a scan)", kV6},
      {7, "embeddings_source index (the vectors of a model listed without reading them)", kV7},
  };
  return kMigrations;
}

int latest_schema_version() { return migrations().back().version; }

int schema_version(Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)");
  Statement st = db.prepare("SELECT coalesce(max(version), 0) FROM schema_version");
  st.step();
  return static_cast<int>(st.column_int(0));
}

int schema_version_readonly(Database& db) {
  Statement t = db.prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  t.step();
  if (t.column_int(0) == 0) return 0;
  Statement st = db.prepare("SELECT coalesce(max(version), 0) FROM schema_version");
  st.step();
  return static_cast<int>(st.column_int(0));
}

int migrate(Database& db, int target) {
  if (target < 0) target = latest_schema_version();
  const int current = schema_version(db);
  if (current > latest_schema_version()) {
    throw Error(ErrorCode::kConflict,
                db.path().string() + " has schema version " + std::to_string(current) +
                    ", newer than this build of ensemble understands (" +
                    std::to_string(latest_schema_version()) + "): upgrade ensemble");
  }
  int applied = 0;
  // An existing database's migration can take a while (v5 rewrites the recommendations: about
  // 5 s at 44,000 products): say so on a terminal. A new database (version 0) is quick.
  std::uint64_t pending = 0;
  for (const Migration& m : migrations()) pending += m.version > current && m.version <= target;
  std::optional<Progress> progress;
  if (current > 0 && pending > 0) {
    progress.emplace("migrate " + db.path().filename().string() + " to schema v" + std::to_string(target),
                     pending);
  }
  for (const Migration& m : migrations()) {
    if (m.version <= current || m.version > target) continue;
    if (progress) progress->update(static_cast<std::uint64_t>(applied));
    Transaction tx(db);
    db.exec(m.sql);
    db.prepare("INSERT INTO schema_version (version, description, applied_at) "
               "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
        .bind(1, m.version)
        .bind(2, m.description)
        .run();
    tx.commit();
    ++applied;
  }
  if (progress) progress->finish();
  return applied;
}

}  // namespace ensemble::store
