// `ensemble catalog import FILE.csv`: products from a CSV file into the store.
//
// Format (docs/IMPORT.md): UTF-8 CSV (RFC 4180) with a header row. Required columns id, title,
// category, image (a path relative to the CSV's folder or to images_root, which it may not escape).
// Every other column becomes a product attribute (stored as a JSON object; empty values omitted).
// Products are upserted by id: a row identical to the stored product changes nothing, so re-running
// an import is a no-op.
//
// Rejected rows (reported with file and line, the good rows still imported): wrong field count,
// empty required field, invalid UTF-8, an id seen earlier in the same file, an image that is
// missing, outside the images root, over the size limits, or corrupt. A stored product is never
// modified by a rejected row. With strict, any problem rolls the whole import back.
// Missing required columns in the header, or an unreadable CSV, is an Error(kBadInput/kNotFound)
// and nothing is written. Takes the RunLock; records a run 'import-catalog' in lineage.
#pragma once

#include <filesystem>

#include "ensemble/catalog/import_report.h"
#include "ensemble/config/config.h"
#include "ensemble/image/image_loader.h"
#include "ensemble/store/store.h"

namespace ensemble::catalog {

struct CatalogImportOptions {
  std::filesystem::path images_root;  // Default (empty): the CSV's folder
  bool strict = false;
  bool quiet = false;                 // no progress line
  image::ImageLimits limits;
  std::size_t max_field_bytes = 64 * 1024;
  std::int64_t commit_every = 2000;   // rows per transaction (non-strict), bounds memory and work lost
};

// Limits from config keys import.max_megapixels / import.max_file_mb.
image::ImageLimits limits_from_config(const config::Config& config);

ImportReport import_catalog(store::Store& store, const std::filesystem::path& csv,
                            const CatalogImportOptions& options, const config::Config& config);

}  // namespace ensemble::catalog
