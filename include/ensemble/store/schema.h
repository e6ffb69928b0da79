// The database schema and its forward migrations.
//
// Migrations are numbered from 1 and never edited once released: a change is a new migration.
// migrate() applies, each in its own transaction, every migration above the database's version and
// records it in schema_version. A database newer than this build is refused (kConflict) rather than
// misread. The schema is documented in docs/SCHEMA.md.
#pragma once

#include <string_view>
#include <vector>

#include "ensemble/store/database.h"

namespace ensemble::store {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

const std::vector<Migration>& migrations();
int latest_schema_version();

// 0 for an empty (new) database. Creates the schema_version table if missing.
int schema_version(Database& db);
// Same, without writing anything (for read-only connections).
int schema_version_readonly(Database& db);

// Brings the database up to `target` (default: latest). Returns the number of migrations applied.
int migrate(Database& db, int target = -1);

}  // namespace ensemble::store
