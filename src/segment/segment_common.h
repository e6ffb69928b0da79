// What every segmenter does before and after its own candidate generation (internal).
#pragma once

#include <opencv2/core.hpp>

#include <vector>

#include "ensemble/segment/mask_filters.h"
#include "ensemble/segment/segmenter.h"

namespace ensemble::segment {

// The input as 8-bit BGR: 1- and 4-channel 8-bit images are converted, 3-channel ones returned as is.
// Throws Error(kBadInput) for an empty image or another depth / channel count.
cv::Mat to_bgr8(const cv::Mat& image);

// SAM's candidate filters after the backend's own per-batch steps: box NMS, then small holes and
// islands. Counts "nms" and "small_regions". Candidates must be binarized.
void run_nms_and_cleanup(std::vector<MaskCandidate>& c, const SegmenterConfig& config,
                         FilterStats& stats);

// From filtered candidates at work resolution (work_bgr's size) to the result at image_size: region
// quality filters, masks scaled to the image, outfit contexts, kept regions largest first.
SegmentationResult finish_segmentation(std::vector<MaskCandidate> c, const cv::Mat& work_bgr,
                                       cv::Size image_size, const SegmenterConfig& config,
                                       FilterStats stats);

}  // namespace ensemble::segment
