// SAM's automatic-mask-generation steps as free functions, each one testable on its own.
//
// They follow segment_anything/automatic_mask_generator.py and utils/amg.py (Apache-2.0) exactly,
// including their conventions:
//   - boxes are SAM's XYXY boxes with an inclusive max corner; box IoU is torchvision's box_iou on
//     them (area = (x1 - x0) × (y1 - y0), no +1), so a one-pixel mask has a zero-area box;
//   - predicted IoU keeps scores strictly above the threshold, stability keeps scores at or above it;
//   - NMS drops a box whose IoU with a better-scored kept box is strictly above the threshold.
// Masks are CV_8UC1, nonzero inside (the functions here write 255); logits are CV_32FC1.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace ensemble::segment {

// One candidate mask on its way through the filters.
struct MaskCandidate {
  cv::Mat logits;              // CV_32FC1, inside where > mask_threshold; released by binarize
  cv::Mat mask;                // CV_8UC1 0/255, set by binarize (or directly by a backend)
  float predicted_iou = 0.f;
  float stability = 0.f;
  cv::Rect box;                // tight box of mask (x, y, w, h); empty for an empty mask
  std::int64_t area = 0;
  cv::Point2f point;           // the prompt
  // The backend's probability that the region is a product, when it has one (classic: its
  // region-quality model); -1 when it has none (SAM's IoU head rates the mask, not what it shows).
  float item_probability = -1.f;
};

// SAM's build_point_grid(n): n×n points in [0, 1]², offsets 1/(2n) from the edges, row-major with y
// outer and x inner (point i is column i % n, row i / n). Requires n >= 1.
std::vector<cv::Point2f> build_point_grid(int n);
// The grid in image pixels: (x × width, y × height), as SAM scales it.
std::vector<cv::Point2f> grid_points_for_image(int n, cv::Size size);

// IoU of the mask at threshold + offset with the mask at threshold - offset: the share of the looser
// mask that survives the stricter threshold. 0 when the looser mask is empty.
float stability_score(const cv::Mat& logits, float mask_threshold, float offset);

// Tight box of the nonzero pixels (x, y, w, h); an empty Rect for an empty mask.
cv::Rect mask_box(const cv::Mat& mask);
// torchvision box IoU on SAM's inclusive XYXY boxes (see top of file).
float box_iou(const cv::Rect& a, const cv::Rect& b);
// Pixel IoU of two same-size masks (nonzero = inside); 0 when both are empty.
float mask_iou(const cv::Mat& a, const cv::Mat& b);

// Each filter below removes candidates in place, keeps the survivors' order, and returns how many
// survived.

// Keeps predicted_iou > thresh. thresh <= 0 keeps all.
std::size_t filter_by_predicted_iou(std::vector<MaskCandidate>& c, float thresh);
// Sets each candidate's stability from its logits and keeps stability >= thresh (thresh <= 0 keeps
// all, but still sets the scores). REQUIRES: logits present.
std::size_t filter_by_stability(std::vector<MaskCandidate>& c, float mask_threshold, float offset,
                                float thresh);
// mask = logits > mask_threshold, then box and area; releases the logits. Keeps every candidate.
void binarize(std::vector<MaskCandidate>& c, float mask_threshold);
// Keeps area within [min_frac, max_frac] × (mask pixels).
std::size_t filter_by_area(std::vector<MaskCandidate>& c, double min_frac, double max_frac);

// Greedy NMS: visit boxes by descending score (ties: lower index first), keep a box unless its IoU
// with an already kept box is > iou_thresh. Returns the kept indices in visiting order.
std::vector<int> box_nms(const std::vector<cv::Rect>& boxes, const std::vector<float>& scores,
                         float iou_thresh);
// box_nms on the candidates by predicted_iou; survivors end up in descending score order.
std::size_t filter_by_box_nms(std::vector<MaskCandidate>& c, float iou_thresh);

enum class SmallRegionMode { kHoles, kIslands };
// SAM's remove_small_regions: with kHoles, fills background components (8-connected) of the mask
// smaller than area_thresh pixels; with kIslands, removes foreground components smaller than
// area_thresh, but keeps the largest one when all are small. *changed tells whether anything moved.
cv::Mat remove_small_regions(const cv::Mat& mask, std::int64_t area_thresh, SmallRegionMode mode,
                             bool* changed);
// SAM's postprocess_small_regions: fills holes < hole_area then removes islands < island_area in each
// mask, then box NMS where unchanged masks score 1 and changed masks 0 (so a clean mask beats its
// repaired twin); recomputes box and area of the changed survivors. Areas in pixels; both 0 is a no-op.
std::size_t postprocess_small_regions(std::vector<MaskCandidate>& c, std::int64_t hole_area,
                                      std::int64_t island_area, float nms_thresh);

}  // namespace ensemble::segment
