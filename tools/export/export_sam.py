#!/usr/bin/env python3
# NOT RUN IN THIS REPOSITORY'S BUILD OR TESTS: needs internet (checkpoints) and Python with torch 1.13.x,
# so that Debian 12's LibTorch 1.13 loads the files (a newer torch writes archives 1.13 cannot read).
#
#   python3 -m venv ~/sam-export && . ~/sam-export/bin/activate
#   pip install torch==1.13.1 torchvision==0.14.1 --index-url https://download.pytorch.org/whl/cpu
#   pip install git+https://github.com/facebookresearch/segment-anything.git    # SAM
#   pip install git+https://github.com/ChaoningZhang/MobileSAM.git               # MobileSAM (optional)
#   wget https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth    # or sam_vit_h_4b8939.pth
#   python3 tools/export/export_sam.py --checkpoint sam_vit_b_01ec64.pth --model-type vit_b --out models/sam-vit-b
#   python3 tools/export/export_sam.py --checkpoint mobile_sam.pt --model-type vit_t --mobile --out models/mobile-sam
#   python3 tools/export/check_sam.py --checkpoint ... --model-type ... --manifest models/sam-vit-b/sam.json
#
# Writes encoder.pt (image [1,3,1024,1024] normalised and padded -> image_embeddings [1,256,64,64]),
# decoder.pt ((image_embeddings, point_coords [B,1,2] in the 1024 frame, point_labels [B,1] float)
# -> (masks [B,3,256,256] low-res logits, iou_predictions [B,3])) and sam.json.
import argparse
import os

import torch

from manifest import tensor, write_manifest

PIXEL_MEAN = [123.675 / 255, 116.28 / 255, 103.53 / 255]  # SAM's, as fractions of 255
PIXEL_STD = [58.395 / 255, 57.12 / 255, 57.375 / 255]


class Decoder(torch.nn.Module):
    """Prompt encoder + mask decoder for point prompts, as SamPredictor.predict_torch runs them with
    multimask_output=True (the prompt encoder adds its own padding point and 0.5-pixel shift)."""

    def __init__(self, sam):
        super().__init__()
        self.prompt_encoder = sam.prompt_encoder
        self.mask_decoder = sam.mask_decoder

    def forward(self, image_embeddings, point_coords, point_labels):
        sparse, dense = self.prompt_encoder(points=(point_coords, point_labels), boxes=None, masks=None)
        low_res, iou = self.mask_decoder(
            image_embeddings=image_embeddings,
            image_pe=self.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=True,
        )
        return low_res, iou


def load(args):
    if args.mobile:
        from mobile_sam import sam_model_registry
    else:
        from segment_anything import sam_model_registry
    sam = sam_model_registry[args.model_type](checkpoint=args.checkpoint)
    return sam.eval()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--model-type", required=True, help="vit_b, vit_l, vit_h (SAM) or vit_t (MobileSAM)")
    p.add_argument("--mobile", action="store_true", help="the checkpoint is MobileSAM's")
    p.add_argument("--out", required=True)
    p.add_argument("--version", default="1")
    args = p.parse_args()
    assert torch.__version__.startswith("1.13"), "export with torch 1.13.x so Debian's LibTorch 1.13 loads it"
    os.makedirs(args.out, exist_ok=True)
    sam = load(args)
    with torch.no_grad():
        image = torch.zeros(1, 3, 1024, 1024)
        encoder = torch.jit.trace(sam.image_encoder, image)
        encoder.save(os.path.join(args.out, "encoder.pt"))
        emb = sam.image_encoder(image)
        coords = torch.tensor([[[500.0, 400.0]], [[100.0, 700.0]]])
        labels = torch.ones(2, 1)
        decoder = torch.jit.trace(Decoder(sam), (emb, coords, labels), check_trace=False)
        decoder.save(os.path.join(args.out, "decoder.pt"))
    name = ("mobile-sam-" if args.mobile else "sam-") + args.model_type.replace("_", "-")
    write_manifest(
        args.out, "sam.json", "sam", name, args.version, 1024, PIXEL_MEAN, PIXEL_STD, 256,
        {
            "image_encoder": ("encoder.pt", [tensor("image", [1, 3, 1024, 1024])],
                              [tensor("image_embeddings", [1, 256, 64, 64])]),
            "mask_decoder": ("decoder.pt",
                             [tensor("image_embeddings", [1, 256, 64, 64]), tensor("point_coords", [-1, 1, 2]),
                              tensor("point_labels", [-1, 1])],
                             [tensor("masks", [-1, 3, 256, 256]), tensor("iou_predictions", [-1, 3])]),
        })


if __name__ == "__main__":
    main()
