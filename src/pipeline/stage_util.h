// Helpers shared by the stage implementations (private to the pipeline module).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "ensemble/config/config.h"
#include "ensemble/store/store.h"
#include "ensemble/util/parallel.h"

namespace ensemble::pipeline {

// Worker threads from pipeline.threads (0 = hardware concurrency, at least 1).
int worker_threads(const config::Config& config);



// Appends a column's bytes after their length (so that no two rows' fields can run together), for
// hashing many rows' columns straight from SQLite's buffers.
void append_column(std::string& out, const store::Statement& st, int col);

// The fingerprint recorded in stage_items for an input: stage-specific parts hashed together.
std::string fingerprint(std::initializer_list<std::string> parts);

// stage_items access.
struct ItemState {
  std::string fingerprint;
  std::string status;
};
std::optional<ItemState> item_state(store::Database& db, const std::string& stage,
                                    const std::string& item_id);
void set_item_state(store::Database& db, const std::string& stage, const std::string& item_id,
                    const std::string& fp, const std::string& status, const std::string& detail,
                    std::int64_t run_id);

// Loads a stored image (products or lookbooks) from the media folder. Throws ensemble::Error.
cv::Mat load_media_image(store::Store& store, const std::string& sha, const std::string& ext);

// Region masks as stored in regions.mask_rle: little-endian uint32 [height, width, counts...],
// counts as in segment::Rle (column-major runs, background first).
std::string mask_to_blob(const cv::Mat& mask);
cv::Mat mask_from_blob(const void* data, int bytes);

// Summary figures of a list of counts: min, median, p95, max, mean.
nlohmann::json distribution(std::vector<std::int64_t> values);

}  // namespace ensemble::pipeline
