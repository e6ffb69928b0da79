// The image and mask transforms around neural models, in plain OpenCV so they can be tested exactly
// without LibTorch. Tensors are float CHW planes (RGB order), row-major, as the models take them.
#pragma once

#include <array>
#include <vector>

#include <opencv2/core.hpp>

namespace ensemble::neural {

// --- SAM (segment_anything/utils/transforms.py ResizeLongestSide + Sam.preprocess/postprocess) ----

// The size an image of `original` size has once its longest side is resized to `target`:
// scale = target / max(w, h), each side int(side * scale + 0.5), as SAM computes it.
cv::Size sam_resized_size(cv::Size original, int target);

// An 8-bit BGR image -> 3 × target × target floats: BGR->RGB, resized (longest side = target; area
// interpolation when shrinking, bilinear when enlarging), normalised (x / 255 - mean) / std per
// channel, padded with zeros at the right and bottom (SAM pads after normalising).
std::vector<float> sam_preprocess(const cv::Mat& bgr, int target, const std::array<float, 3>& mean,
                                  const std::array<float, 3>& std);

// A point in original image coordinates -> the model's target frame (x × new_w / w, y × new_h / h).
cv::Point2f sam_point_to_model(cv::Point2f p, cv::Size original, int target);

// One low-resolution logit mask (lh × lw floats, the decoder's 256 × 256) -> CV_32FC1 logits at the
// original size: bilinear upscale to target × target, crop to the resized image
// (sam_resized_size), bilinear resize to the original size (SAM's postprocess_masks).
cv::Mat sam_postprocess_mask(const float* low_res, int lh, int lw, cv::Size original, int target);

// --- CLIP (the image tower's preprocessing: Resize(S, bicubic) + CenterCrop(S) + Normalize) -------

// An 8-bit BGR image -> 3 × side × side floats: shortest side resized to `side` (bicubic; the other
// side int(side * long / short), as torchvision computes it), centre crop of side × side (offsets
// int(round((h - side) / 2.0)) as torchvision), BGR->RGB, (x / 255 - mean) / std.
std::vector<float> clip_preprocess(const cv::Mat& bgr, int side, const std::array<float, 3>& mean,
                                   const std::array<float, 3>& std);

}  // namespace ensemble::neural
