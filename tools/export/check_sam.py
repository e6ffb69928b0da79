#!/usr/bin/env python3
# NOT RUN IN THIS REPOSITORY'S BUILD OR TESTS (needs the export environment of export_sam.py).
# Checks exported SAM files against the Python reference (SamPredictor) on one image:
#   python3 tools/export/check_sam.py --checkpoint sam_vit_b_01ec64.pth --model-type vit_b \
#       --manifest models/sam-vit-b/sam.json --image some_photo.jpg
# Prints the largest differences; expect < 1e-3 on logits and IoUs. Batch sizes 1 and 64 are both
# checked because a traced decoder must not have frozen the batch size.
import argparse
import json
import os

import numpy as np
import torch
from PIL import Image

from manifest import sha256_of


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--model-type", required=True)
    p.add_argument("--mobile", action="store_true")
    p.add_argument("--manifest", required=True)
    p.add_argument("--image", required=True)
    args = p.parse_args()
    if args.mobile:
        from mobile_sam import SamPredictor, sam_model_registry
    else:
        from segment_anything import SamPredictor, sam_model_registry
    m = json.load(open(args.manifest))
    base = os.path.dirname(args.manifest)
    for role, f in m["files"].items():
        assert sha256_of(os.path.join(base, f["file"])) == f["sha256"], role + ": checksum differs from the manifest"
    enc = torch.jit.load(os.path.join(base, m["files"]["image_encoder"]["file"]))
    dec = torch.jit.load(os.path.join(base, m["files"]["mask_decoder"]["file"]))
    sam = sam_model_registry[args.model_type](checkpoint=args.checkpoint).eval()
    predictor = SamPredictor(sam)
    image = np.array(Image.open(args.image).convert("RGB"))
    predictor.set_image(image)
    with torch.no_grad():
        x = torch.as_tensor(predictor.transform.apply_image(image)).permute(2, 0, 1)[None].float()
        emb = enc(sam.preprocess(x))  # SAM's own normalise + pad: what Ensemble reproduces in C++
        print("encoder max |diff|:", (emb - predictor.features).abs().max().item())
        h, w = image.shape[:2]
        for n in (1, 64):
            pts = np.stack([np.random.uniform(0, w, n), np.random.uniform(0, h, n)], 1)[:, None, :]
            coords = torch.as_tensor(predictor.transform.apply_coords(pts, (h, w)), dtype=torch.float)
            labels = torch.ones(n, 1)
            low, iou = dec(predictor.features, coords, labels)
            ref_masks, ref_iou, ref_low = predictor.predict_torch(coords, labels.int(), multimask_output=True,
                                                                  return_logits=True)
            print(f"decoder B={n}: low-res max |diff| {(low - ref_low).abs().max().item():.2e}, "
                  f"iou max |diff| {(iou - ref_iou).abs().max().item():.2e}")


if __name__ == "__main__":
    main()
