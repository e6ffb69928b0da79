// `ensemble lookbooks import DIR|FILE...`: inspiration photos into the store.
//
// Directories are scanned recursively (sorted) for .jpg/.jpeg/.png/.webp; files are taken as given.
// The id is the file name stem (or the explicit id for a single file). A lookbook whose image
// content is unchanged is left alone; new content replaces it (and later stages re-process it).
// Problems (unreadable, corrupt, over the limits, duplicate id among the inputs) are reported per
// file and the other files are imported; strict rolls everything back. Takes the RunLock; records a
// run 'import-lookbooks' in lineage.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ensemble/catalog/import_report.h"
#include "ensemble/config/config.h"
#include "ensemble/image/image_loader.h"
#include "ensemble/store/store.h"

namespace ensemble::catalog {

struct LookbookImportOptions {
  std::optional<std::string> id;  // only with exactly one input file
  bool strict = false;
  bool quiet = false;
  image::ImageLimits limits;
  std::int64_t commit_every = 200;  // files per transaction (non-strict): bounds the work a kill loses
};

ImportReport import_lookbooks(store::Store& store, const std::vector<std::filesystem::path>& inputs,
                              const LookbookImportOptions& options, const config::Config& config);

}  // namespace ensemble::catalog
